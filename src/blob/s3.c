/* s3.c: see s3.h. One request = one curl easy handle; the retry loop is in request(). */
#include "blob/s3.h"
#include "util/xmalloc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ATTEMPTS 4
static const long PAUSE_MS[ATTEMPTS - 1] = {200, 600, 1800};

struct s3_client {
  char base[600];   /* scheme://host[:port] (virtual-hosted: with the bucket in front of host) */
  char prefix[300]; /* "/<bucket>" path-style, "" virtual-hosted */
  char bucket[256];
  char sigv4[128]; /* "aws:amz:<region>:s3" */
  char access[256], secret[256];
  char where[900];
  long timeout_s;
};

/* Reads a small key file, surrounding whitespace removed. */
static int read_key(const char *path, const char *what, char *out, size_t n, err_t *err) {
  if (!path || !*path) return err_set(err, 0, "s3_config", "s3_%s_file is not set", what);
  FILE *f = fopen(path, "rb");
  if (!f) return err_set(err, 0, "s3_config", "cannot read s3_%s_file %s", what, path);
  size_t got = fread(out, 1, n - 1, f);
  int more = fgetc(f) != EOF;
  fclose(f);
  out[got] = 0;
  if (more) return err_set(err, 0, "s3_config", "s3_%s_file %s is too long to be a key", what, path);
  char *s = out;
  while (*s && isspace((unsigned char)*s)) s++;
  size_t l = strlen(s);
  while (l && isspace((unsigned char)s[l - 1])) l--;
  memmove(out, s, l);
  out[l] = 0;
  if (!l) return err_set(err, 0, "s3_config", "s3_%s_file %s is empty", what, path);
  for (size_t i = 0; i < l; i++)
    if (!isgraph((unsigned char)out[i]))
      return err_set(err, 0, "s3_config", "s3_%s_file %s holds more than one word", what, path);
  return 0;
}

/* Bucket names as S3 allows them (3-63 of a-z 0-9 . -): they go into URLs and host names. */
static int bucket_ok(const char *b) {
  size_t l = strlen(b);
  if (l < 3 || l > 63) return 0;
  for (size_t i = 0; i < l; i++)
    if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '.' || b[i] == '-')) return 0;
  return 1;
}

s3_client *s3_open(const s3_opts *o, err_t *err) {
  const char *ep = o->endpoint ? o->endpoint : "";
  const char *host = !strncmp(ep, "https://", 8) ? ep + 8 : !strncmp(ep, "http://", 7) ? ep + 7 : NULL;
  if (!host || !*host || strchr(host, '?') || strchr(host, '#') || strchr(host, '@')) {
    err_set(err, 0, "s3_config", "s3_endpoint must be http(s)://host[:port] (is '%s')", ep);
    return NULL;
  }
  size_t hl = strlen(host);
  while (hl && host[hl - 1] == '/') hl--;
  if (!hl || memchr(host, '/', hl)) {
    err_set(err, 0, "s3_config", "s3_endpoint must be http(s)://host[:port] without a path (is '%s')", ep);
    return NULL;
  }
  if (!o->bucket || !bucket_ok(o->bucket)) {
    err_set(err, 0, "s3_config", "s3_bucket must be a bucket name (3-63 of a-z, 0-9, '.', '-')");
    return NULL;
  }
  const char *region = o->region && *o->region ? o->region : "us-east-1";
  for (const char *p = region; *p; p++)
    if (!(isalnum((unsigned char)*p) || *p == '-') || p - region > 60) {
      err_set(err, 0, "s3_config", "s3_region must be a region name such as us-east-1 or oss-cn-hangzhou");
      return NULL;
    }
  s3_client *c = xcalloc(1, sizeof *c);
  if (read_key(o->access_key_file, "access_key", c->access, sizeof c->access, err) < 0 ||
      read_key(o->secret_key_file, "secret_key", c->secret, sizeof c->secret, err) < 0) {
    s3_close(c);
    return NULL;
  }
  int scheme_len = (int)(host - ep);
  if (o->path_style) {
    snprintf(c->base, sizeof c->base, "%.*s%.*s", scheme_len, ep, (int)hl, host);
    snprintf(c->prefix, sizeof c->prefix, "/%s", o->bucket);
  } else
    snprintf(c->base, sizeof c->base, "%.*s%s.%.*s", scheme_len, ep, o->bucket, (int)hl, host);
  snprintf(c->bucket, sizeof c->bucket, "%s", o->bucket);
  snprintf(c->sigv4, sizeof c->sigv4, "aws:amz:%s:s3", region);
  snprintf(c->where, sizeof c->where, "%.*s%.*s bucket %s", scheme_len, ep, (int)hl, host, o->bucket);
  c->timeout_s = o->timeout_s > 0 ? o->timeout_s : 30;
  return c;
}

void s3_close(s3_client *c) {
  if (!c) return;
  sodium_memzero(c->secret, sizeof c->secret);
  sodium_memzero(c->access, sizeof c->access);
  free(c);
}

const char *s3_where(const s3_client *c) { return c->where; }

/* ---- one request ------------------------------------------------------------------------- */

typedef struct body {
  uint8_t *p;
  size_t len, cap, max;
  int too_large;
} body;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  body *b = ud;
  size_t n = size * nmemb;
  if (b->len + n > b->max) {
    b->too_large = 1;
    return 0; /* curl stops with CURLE_WRITE_ERROR */
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + n + 1) cap *= 2;
    uint8_t *np = xrealloc(b->p, cap);
    if (!np) return 0;
    b->p = np, b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = 0;
  return n;
}

/* The <Code> of an S3 XML error body, or "" (never the message: it may echo the key). */
static void s3_code(const body *b, char *out, size_t n) {
  out[0] = 0;
  if (!b->p) return;
  const char *s = strstr((const char *)b->p, "<Code>");
  if (!s) return;
  s += 6;
  size_t i = 0;
  while (s[i] && s[i] != '<' && i + 1 < n && (isalnum((unsigned char)s[i]) || s[i] == '.')) out[i] = s[i], i++;
  out[i] = 0;
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

/* method: GET, PUT, DELETE, HEAD; key: NULL = the bucket itself. On success (2xx) *status is set
 * and, for GET, out holds the body. Retries what may pass (see s3.h). */
static int request(s3_client *c, const char *method, const char *op, const char *key, const uint8_t *data, size_t len,
                   body *out, long *status, err_t *err) {
  char url[1400];
  snprintf(url, sizeof url, "%s%s/%s", c->base, c->prefix, key ? key : "");
  uint8_t sha[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(sha, data ? data : (const uint8_t *)"", data ? len : 0);
  char hex[crypto_hash_sha256_BYTES * 2 + 1], hdr[128];
  sodium_bin2hex(hex, sizeof hex, sha, sizeof sha);
  snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", hex);
  struct curl_slist *h = curl_slist_append(NULL, hdr);
  /* No "Expect:" to switch 100-continue off: curl 7.88 would sign the header it then leaves out,
   * and the server would find the signature wrong. */
  if (data) h = curl_slist_append(h, "Content-Type: application/octet-stream");
  int rc = -1;
  for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt) pause_ms(PAUSE_MS[attempt - 1]);
    /* Room for an error document even when the object asked for is tiny; the object's own
     * limit is checked once the answer is a success. */
    size_t want = out ? out->max : 0;
    body b = {.max = want > 65536 ? want : 65536};
    CURL *e = curl_easy_init();
    if (!e) {
      rc = err_set(err, 0, "oom", "out of memory");
      break;
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, c->timeout_s);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, c->timeout_s < 10 ? c->timeout_s : 10L);
    curl_easy_setopt(e, CURLOPT_AWS_SIGV4, c->sigv4);
    curl_easy_setopt(e, CURLOPT_USERNAME, c->access);
    curl_easy_setopt(e, CURLOPT_PASSWORD, c->secret);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
    if (!strcmp(method, "HEAD"))
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET"))
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    if (data) {
      /* The body from memory, so that curl hashes the same bytes we announced. */
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, (const char *)data);
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode cc = curl_easy_perform(e);
    long st = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &st);
    curl_easy_cleanup(e);
    char code[64];
    s3_code(&b, code, sizeof code);
    if (b.too_large || (out && st >= 200 && st < 300 && b.len > want)) {
      free(b.p);
      rc = err_set(err, 0, "s3_too_large", "S3 %s: the object is larger than expected (%s)", op, c->where);
      break;
    }
    if (cc != CURLE_OK) {
      free(b.p);
      rc = err_set(err, 503, "s3_unavailable", "S3 %s failed after %d tries: %s (%s)", op, attempt + 1,
                   curl_easy_strerror(cc), c->where);
      continue;
    }
    if (st >= 200 && st < 300) {
      if (out) {
        out->p = b.p, out->len = b.len;
      } else
        free(b.p);
      *status = st;
      rc = 0;
      break;
    }
    free(b.p);
    if (st >= 500 || st == 429) {
      rc = err_set(err, 503, "s3_unavailable", "S3 %s failed after %d tries: HTTP %ld %s (%s)", op, attempt + 1, st,
                   code, c->where);
      continue;
    }
    if (st == 404 && key && strcmp(code, "NoSuchBucket"))
      rc = err_set(err, 404, "s3_not_found", "S3 %s: no such object (HTTP 404 %s, %s)", op, code, c->where);
    else if (st == 404)
      rc = err_set(err, 0, "s3_no_bucket", "S3 %s: the bucket does not exist (HTTP 404 %s, %s)", op, code, c->where);
    else if (st == 403)
      rc = err_set(
          err, 0, "s3_denied",
          "S3 %s refused: HTTP 403 %s (%s): check s3_access_key_file, s3_secret_key_file, s3_region and the bucket's policy",
          op, *code ? code : "(no code)", c->where);
    else
      rc = err_set(err, 0, "s3_error", "S3 %s: HTTP %ld %s (%s)", op, st, code, c->where);
    break;
  }
  curl_slist_free_all(h);
  return rc;
}

int s3_put(s3_client *c, const char *key, const uint8_t *data, size_t len, err_t *err) {
  long st;
  /* A zero-length PUT still needs a body pointer, else curl would send no Content-Length. */
  return request(c, "PUT", "put", key, data ? data : (const uint8_t *)"", len, NULL, &st, err);
}

int s3_get(s3_client *c, const char *key, size_t max, uint8_t **data, size_t *len, err_t *err) {
  body b = {.max = max};
  long st;
  if (request(c, "GET", "get", key, NULL, 0, &b, &st, err) < 0) return -1;
  *data = b.p ? b.p : xcalloc(1, 1);
  *len = b.len;
  return 0;
}

int s3_delete(s3_client *c, const char *key, err_t *err) {
  long st;
  return request(c, "DELETE", "delete", key, NULL, 0, NULL, &st, err);
}

int s3_probe_bucket(s3_client *c, err_t *err) {
  long st;
  return request(c, "HEAD", "bucket check", NULL, NULL, 0, NULL, &st, err);
}
