/* wx_api: the WeChat server API as plain JSON calls (libcurl), and the apps it speaks for.
 *
 * Design. WeChat's server API (api.weixin.qq.com: /cgi-bin/token, /sns/oauth2/access_token,
 * /sns/jscode2session, /wxa/business/getuserphonenumber, /cgi-bin/message/subscribe/...) answers
 * HTTP 200 with a JSON object for success and failure alike; a failure carries a non-zero
 * "errcode" and an "errmsg". So wx_call succeeds for any 200 JSON object and the caller reads
 * wx_errcode(): each call site knows which codes mean what for it (40029 a bad code, 42001 an
 * expired token, 43101 the user refused the subscription, ...). Transport errors, other statuses
 * and non-JSON bodies are 502 for the caller. The base URL is a setting (`wechat_api_base_url`)
 * so that tests point it at tests/support/fake_wechat.mjs.
 *
 * Secrets. An app's AppSecret is read from the file its setting names, at each use (it is
 * small, and an operator may replace the file); WeChat's protocol puts it in the query string,
 * so URLs are never logged. Timeouts: 3 s to connect, 8 s in all. */
#ifndef TUCAI_WECHAT_WX_API_H
#define TUCAI_WECHAT_WX_API_H

#include <jansson.h>

#include "config/config.h"
#include "util/err.h"

#define WX_OPENID_MAX 72
#define WX_TOKEN_MAX 1024

typedef struct wx_app {
  const char *kind; /* "mp" (official account, web pages in WeChat) or "mini" (mini program) */
  char appid[64];
  char secret[128];
} wx_app;

/* The configured app of that kind: 404 "wechat_off" when its appid is not set, 503
 * "wechat_secret" when its secret file cannot be read. */
int wx_app_load(const config *cfg, const char *kind, wx_app *out, err_t *err);
/* 1 when the app of that kind is configured (appid set), without reading the secret. */
int wx_app_enabled(const config *cfg, const char *kind);

/* method "GET" or "POST" (body JSON, may be NULL for GET); path_query is relative to the base URL
 * ("/sns/jscode2session?appid=..."). 0 with *out (a JSON object, caller decrefs) for any HTTP 200
 * JSON object answer; -1 with 502 "wechat_unreachable" / "wechat_bad_answer" otherwise. */
int wx_call(const config *cfg, const char *method, const char *path_query, const json_t *body, json_t **out,
            err_t *err);
/* The answer's errcode (0 when absent: success). */
long wx_errcode(const json_t *answer);
/* URL-escaped copy (malloc'd). */
char *wx_escape(const char *s);
/* 1 when s looks like an openid or code WeChat hands out: 1..max chars of [A-Za-z0-9_-]. */
int wx_plain_token(const char *s, size_t max);

#endif
