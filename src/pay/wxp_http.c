#include "pay/wxp_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pay/wxp_sign.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

typedef struct buf {
  char *p;
  size_t len, cap;
} buf;

typedef struct resp_headers {
  char timestamp[32], nonce[64], signature[600], serial[96];
} resp_headers;

#define MAX_RESPONSE_BYTES (16u << 20)

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  buf *b = ud;
  size_t n = size * nmemb;
  if (b->len + n + 1 > MAX_RESPONSE_BYTES) return 0;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
  return n;
}

static void copy_header(const char *line, size_t n, size_t name_len, char *dst, size_t cap) {
  const char *v = line + name_len;
  size_t len = n - name_len;
  while (len && (*v == ' ' || *v == '\t')) v++, len--;
  while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' ')) len--;
  if (len >= cap) len = cap - 1;
  memcpy(dst, v, len);
  dst[len] = '\0';
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud) {
  resp_headers *h = ud;
  size_t n = size * nmemb;
  static const struct {
    const char *name;
    size_t off, cap;
  } want[] = {
      {"wechatpay-timestamp:", offsetof(resp_headers, timestamp), sizeof((resp_headers *)0)->timestamp},
      {"wechatpay-nonce:", offsetof(resp_headers, nonce), sizeof((resp_headers *)0)->nonce},
      {"wechatpay-signature:", offsetof(resp_headers, signature), sizeof((resp_headers *)0)->signature},
      {"wechatpay-serial:", offsetof(resp_headers, serial), sizeof((resp_headers *)0)->serial},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    size_t l = strlen(want[i].name);
    if (n > l && strncasecmp(line, want[i].name, l) == 0) copy_header(line, n, l, (char *)h + want[i].off, want[i].cap);
  }
  return n;
}

/* The path+query that is signed, from a path or an absolute URL under base_url. */
static const char *signed_path(const wxp_http *h, const char *url) {
  if (url[0] == '/') return url;
  size_t bl = strlen(h->base_url);
  if (strncmp(url, h->base_url, bl) == 0 && url[bl] == '/') return url + bl;
  return NULL;
}

static int attempt(const wxp_http *h, const char *method, const char *url, const char *path, const char *body, buf *b,
                   resp_headers *rh, long *status, err_t *err) {
  char ts[24], nonce[33];
  snprintf(ts, sizeof ts, "%lld", (long long)(clock_now_ms() / 1000));
  wxp_random_nonce(nonce, 32);
  char *auth = wxp_authorization(h->merchant_key, h->mchid, h->serial, method, path, ts, nonce, body ? body : "");
  if (!auth) return err_set(err, 0, "pay_sign_failed", "could not sign the provider request");
  char *auth_hdr = xasprintf("Authorization: %s", auth);
  free(auth);

  char full[2048];
  if (url[0] == '/')
    snprintf(full, sizeof full, "%s%s", h->base_url, url);
  else
    snprintf(full, sizeof full, "%s", url);

  CURL *c = curl_easy_init();
  struct curl_slist *hdrs = NULL;
  hdrs = curl_slist_append(hdrs, auth_hdr);
  hdrs = curl_slist_append(hdrs, "Accept: application/json");
  hdrs = curl_slist_append(hdrs, "User-Agent: tucai/1 (libcurl)");
  if (body) hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
  int rc = -1;
  if (c && hdrs) {
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms > 0 ? h->timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, rh);
    if (strcmp(method, "POST") == 0) {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
    }
    CURLcode cr = curl_easy_perform(c);
    if (cr == CURLE_OK) {
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
      rc = 0;
    } else {
      err_set(err, 502, "provider_unreachable", "支付服务暂时无法连接，请稍后再试");
      log_warn("pay_http_transport", "error", curl_easy_strerror(cr), NULL);
    }
  } else {
    err_set(err, 0, "oom", "out of memory");
  }
  curl_slist_free_all(hdrs);
  if (c) curl_easy_cleanup(c);
  free(auth_hdr);
  return rc;
}

int wxp_http_call(const wxp_http *h, const char *method, const char *url, const char *body, int signed_response,
                  wxp_resp *out, err_t *err) {
  memset(out, 0, sizeof *out);
  const char *path = signed_path(h, url);
  if (!path) return err_set(err, 502, "provider_bad_url", "provider URL is outside its base");
  int tries = h->retries > 0 ? h->retries + 1 : 1;
  int64_t backoff = 200;
  for (int i = 0; i < tries; i++) {
    buf b = {0};
    resp_headers rh = {0};
    long status = 0;
    err_clear(err);
    int rc = attempt(h, method, url, path, body, &b, &rh, &status, err);
    int retry = rc < 0 || status >= 500;
    if (!retry) {
      if (status >= 200 && status < 300 && b.len > 0 && signed_response) {
        size_t mlen = 0;
        char *msg = wxp_response_message(rh.timestamp, rh.nonce, b.p, b.len, &mlen);
        int ok = msg && rh.signature[0] && wxp_rsa_verify_b64(h->platform_key, msg, mlen, rh.signature) &&
                 (!h->platform_serial || !h->platform_serial[0] || strcmp(rh.serial, h->platform_serial) == 0);
        free(msg);
        if (!ok) {
          free(b.p);
          log_warn("pay_http_bad_response_signature", "url", path, NULL);
          return err_set(err, 502, "provider_bad_signature", "支付服务的应答未通过验签");
        }
      }
      out->status = status;
      out->body = b.p ? b.p : xstrdup("");
      out->len = b.len;
      return 0;
    }
    free(b.p);
    if (rc == 0) err_set(err, 502, "provider_error", "支付服务暂时不可用，请稍后再试");
    if (i + 1 < tries) {
      clock_sleep_ms(backoff);
      backoff *= 2;
    }
  }
  return -1;
}

void wxp_resp_free(wxp_resp *r) {
  free(r->body);
  r->body = NULL;
}
