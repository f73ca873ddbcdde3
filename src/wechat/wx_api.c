/* wx_api: JSON calls to the WeChat server API (see wx_api.h). */
#include "wechat/wx_api.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xmalloc.h"

#define MAX_ANSWER_BYTES (1u << 20)

typedef struct buf {
  char *p;
  size_t len;
} buf;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  buf *b = ud;
  size_t n = size * nmemb;
  if (b->len + n + 1 > MAX_ANSWER_BYTES) return 0;
  char *p = xrealloc(b->p, b->len + n + 1);
  if (!p) return 0;
  memcpy(p + b->len, data, n);
  b->p = p;
  b->len += n;
  b->p[b->len] = 0;
  return n;
}

int wx_app_enabled(const config *cfg, const char *kind) {
  return *config_str(cfg, strcmp(kind, "mini") == 0 ? "wechat_mini_appid" : "wechat_mp_appid") != 0;
}

int wx_app_load(const config *cfg, const char *kind, wx_app *out, err_t *err) {
  memset(out, 0, sizeof *out);
  int mini = strcmp(kind, "mini") == 0;
  out->kind = mini ? "mini" : "mp";
  const char *appid = config_str(cfg, mini ? "wechat_mini_appid" : "wechat_mp_appid");
  const char *file = config_str(cfg, mini ? "wechat_mini_secret_file" : "wechat_mp_secret_file");
  if (!*appid) return err_set(err, 404, "wechat_off", "未启用微信登录");
  snprintf(out->appid, sizeof out->appid, "%s", appid);
  FILE *f = *file ? fopen(file, "r") : NULL;
  int ok = f && fgets(out->secret, sizeof out->secret, f);
  if (f) fclose(f);
  out->secret[strcspn(out->secret, "\r\n")] = 0;
  if (!ok || !out->secret[0]) {
    memset(out->secret, 0, sizeof out->secret);
    log_warn("wechat_secret_unreadable", "setting", mini ? "wechat_mini_secret_file" : "wechat_mp_secret_file", NULL);
    return err_set(err, 503, "wechat_secret", "微信服务未配置完整，请联系管理员");
  }
  return 0;
}

long wx_errcode(const json_t *answer) {
  json_t *e = json_object_get(answer, "errcode");
  return json_is_integer(e) ? (long)json_integer_value(e) : 0;
}

char *wx_escape(const char *s) {
  char *e = curl_easy_escape(NULL, s, 0);
  char *copy = e ? xstrdup(e) : NULL;
  curl_free(e);
  return copy;
}

int wx_plain_token(const char *s, size_t max) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > max) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return 0;
  }
  return 1;
}

int wx_call(const config *cfg, const char *method, const char *path_query, const json_t *body, json_t **out,
            err_t *err) {
  *out = NULL;
  const char *base = config_str(cfg, "wechat_api_base_url");
  size_t bl = strlen(base);
  while (bl && base[bl - 1] == '/') bl--;
  size_t ul = bl + strlen(path_query) + 1;
  char *url = xmalloc(ul);
  char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  h = curl_slist_append(h, "User-Agent: tucai/1 (libcurl)");
  buf b = {0};
  long status = 0;
  CURLcode cr = CURLE_FAILED_INIT;
  if (url && c && h) {
    snprintf(url, ul, "%.*s%s", (int)bl, base, path_query);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 8000L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (strcmp(method, "POST") == 0) {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload ? payload : "{}");
    }
    cr = curl_easy_perform(c);
    if (cr == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_slist_free_all(h);
  if (c) curl_easy_cleanup(c);
  if (url) memset(url, 0, ul); /* it may hold the AppSecret */
  free(url);
  free(payload);
  /* The path without its query names the call in logs: the query may hold secrets and codes. */
  char what[96];
  snprintf(what, sizeof what, "%.*s", (int)strcspn(path_query, "?"), path_query);
  int rc = 0;
  if (cr != CURLE_OK) {
    log_warn("wechat_unreachable", "call", what, "error", curl_easy_strerror(cr), NULL);
    rc = err_set(err, 502, "wechat_unreachable", "微信服务暂时无法连接，请稍后再试");
  } else {
    json_t *j = status == 200 && b.p ? json_loadb(b.p, b.len, 0, NULL) : NULL;
    if (!json_is_object(j)) {
      char st[16];
      snprintf(st, sizeof st, "%ld", status);
      log_warn("wechat_bad_answer", "call", what, "status", st, NULL);
      json_decref(j);
      rc = err_set(err, 502, "wechat_bad_answer", "微信服务暂时不可用，请稍后再试");
    } else {
      *out = j;
    }
  }
  free(b.p);
  return rc;
}
