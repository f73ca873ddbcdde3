/* wx_jssdk: the JS-SDK's jsapi_ticket and wx.config signature (see wx_jssdk.h). */
#include "wechat/wx_jssdk.h"

#include <openssl/sha.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"
#include "wechat/wx_token.h"

static int fetch_ticket(const config *cfg, db_t *db, const wx_app *app, char out[WX_TOKEN_MAX], int64_t *expires_in,
                        err_t *err) {
  json_t *j = NULL;
  if (wx_get_token(cfg, db, app, "/cgi-bin/ticket/getticket?type=jsapi", &j, err) < 0) return -1;
  long code = wx_errcode(j);
  const char *t = json_string_value(json_object_get(j, "ticket"));
  json_t *ei = json_object_get(j, "expires_in");
  if (code || !t || !*t || strlen(t) >= WX_TOKEN_MAX || !json_is_integer(ei)) {
    char c[24];
    snprintf(c, sizeof c, "%ld", code);
    log_warn("wechat_ticket_refused", "appid", app->appid, "errcode", c, NULL);
    json_decref(j);
    return err_set(err, 502, "wechat_ticket_refused", "微信服务暂时不可用，请稍后再试（%ld）", code);
  }
  snprintf(out, WX_TOKEN_MAX, "%s", t);
  *expires_in = json_integer_value(ei);
  json_decref(j);
  return 0;
}

int wx_jsapi_ticket(const config *cfg, db_t *db, const wx_app *app, char out[WX_TOKEN_MAX], err_t *err) {
  return wx_cached_get(cfg, db, app, "wechat_jsapi_tickets", fetch_ticket, out, err);
}

void wx_jssdk_sign(const char *ticket, const char *noncestr, int64_t timestamp, const char *url, char out[41]) {
  size_t n = strlen(ticket) + strlen(noncestr) + strlen(url) + 80;
  char *s = xmalloc(n);
  int len =
      snprintf(s, n, "jsapi_ticket=%s&noncestr=%s&timestamp=%lld&url=%s", ticket, noncestr, (long long)timestamp, url);
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1((const unsigned char *)s, (size_t)len, d);
  sodium_memzero(s, n);
  free(s);
  sodium_bin2hex(out, 41, d, sizeof d);
}

int wx_jssdk_page_url(const config *cfg, const char *url, char out[WX_PAGE_URL_MAX + 1], err_t *err) {
  const char *base = config_str(cfg, "wechat_public_url");
  size_t bl = strlen(base);
  while (bl && base[bl - 1] == '/') bl--;
  size_t n = url ? strlen(url) : 0;
  int ok = bl > 0 && n >= bl && n <= WX_PAGE_URL_MAX && strncmp(url, base, bl) == 0 &&
           (n == bl || url[bl] == '/' || url[bl] == '?' || url[bl] == '#');
  for (size_t i = 0; ok && i < n; i++) ok = (unsigned char)url[i] > 0x20 && (unsigned char)url[i] < 0x7f;
  if (!ok) return err_set(err, 400, "page_url_invalid", "页面地址无效，请刷新页面后重试");
  size_t keep = strcspn(url, "#");
  memcpy(out, url, keep);
  out[keep] = 0;
  /* A bare origin: the browser's location.href has "/" as its path, and that is what WeChat checks. */
  if (keep == bl) snprintf(out + keep, WX_PAGE_URL_MAX + 1 - keep, "/");
  return 0;
}

int wx_jssdk_config(const config *cfg, db_t *db, const char *page_url, json_t **out, err_t *err) {
  *out = NULL;
  char url[WX_PAGE_URL_MAX + 1];
  if (wx_jssdk_page_url(cfg, page_url, url, err) < 0) return -1;
  wx_app mp;
  if (wx_app_load(cfg, "mp", &mp, err) < 0) return -1;
  char ticket[WX_TOKEN_MAX];
  int rc = wx_jsapi_ticket(cfg, db, &mp, ticket, err);
  memset(mp.secret, 0, sizeof mp.secret);
  if (rc < 0) return -1;
  uint8_t raw[12];
  char nonce[25], sig[41];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(nonce, sizeof nonce, raw, sizeof raw);
  int64_t ts = clock_now_ms() / 1000; /* seconds, as WeChat wants */
  wx_jssdk_sign(ticket, nonce, ts, url, sig);
  sodium_memzero(ticket, sizeof ticket);
  /* jsApiList is required by wx.config; the open tag needs no JS API, and checkJsApi is harmless. */
  *out = json_pack("{s:s, s:I, s:s, s:s, s:[s], s:[s]}", "appId", mp.appid, "timestamp", (json_int_t)ts, "nonceStr",
                   nonce, "signature", sig, "jsApiList", "checkJsApi", "openTagList", "wx-open-subscribe");
  return *out ? 0 : err_set(err, 0, "oom", "out of memory");
}
