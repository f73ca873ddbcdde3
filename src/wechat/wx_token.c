/* wx_token: the shared access token (see wx_token.h). */
#include "wechat/wx_token.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/vault.h"
#include "util/xmalloc.h"

#define LEASE_MS 15000
#define WAIT_STEP_MS 100
#define EARLY_S 300 /* refresh this long before WeChat's expiry: calls in flight keep working */

/* Fetches a new token from WeChat. */
static int fetch(const config *cfg, const wx_app *app, char out[WX_TOKEN_MAX], int64_t *expires_in, err_t *err) {
  char *id = wx_escape(app->appid), *sec = wx_escape(app->secret);
  char q[512];
  snprintf(q, sizeof q, "/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s", id ? id : "", sec ? sec : "");
  if (sec) sodium_memzero(sec, strlen(sec));
  free(id);
  free(sec);
  json_t *j = NULL;
  int rc = wx_call(cfg, "GET", q, NULL, &j, err);
  sodium_memzero(q, sizeof q);
  if (rc < 0) return -1;
  long code = wx_errcode(j);
  const char *tok = json_string_value(json_object_get(j, "access_token"));
  json_t *ei = json_object_get(j, "expires_in");
  if (code || !tok || !*tok || strlen(tok) >= WX_TOKEN_MAX || !json_is_integer(ei)) {
    char c[24];
    snprintf(c, sizeof c, "%ld", code);
    log_warn("wechat_token_refused", "appid", app->appid, "errcode", c, NULL);
    json_decref(j);
    return err_set(err, 502, "wechat_token_refused", "微信服务配置有误，请联系管理员（%ld）", code);
  }
  snprintf(out, WX_TOKEN_MAX, "%s", tok);
  *expires_in = json_integer_value(ei);
  json_decref(j);
  return 0;
}

/* The token's fetch, in the shape wx_cached_get takes. */
static int fetch_token(const config *cfg, db_t *db, const wx_app *app, char out[WX_TOKEN_MAX], int64_t *expires_in,
                       err_t *err) {
  (void)db;
  return fetch(cfg, app, out, expires_in, err);
}

int wx_token_get(const config *cfg, db_t *db, const wx_app *app, char out[WX_TOKEN_MAX], err_t *err) {
  return wx_cached_get(cfg, db, app, "wechat_tokens", fetch_token, out, err);
}

int wx_cached_get(const config *cfg, db_t *db, const wx_app *app, const char *table, wx_fetch_fn fetch_fn,
                  char out[WX_TOKEN_MAX], err_t *err) {
  /* table is one of our own constants (wechat_tokens, wechat_jsapi_tickets), never input. */
  char q_read[160], q_new[160], q_lease[240], q_free[160], q_store[300];
  snprintf(q_read, sizeof q_read, "SELECT token_sealed, expires_at FROM %s WHERE appid = $1", table);
  snprintf(q_new, sizeof q_new, "INSERT INTO %s (appid) VALUES ($1) ON CONFLICT DO NOTHING", table);
  /* The lease is taken only while the stored value is still stale: a node that read it stale and
   * then lost the race to one that refreshed and let go must not fetch a second one. */
  snprintf(q_lease, sizeof q_lease,
           "UPDATE %s SET lock_until = $1, lock_owner = $2 WHERE appid = $3 AND lock_until < $4 "
           "AND (expires_at <= $4 OR token_sealed = '')",
           table);
  snprintf(q_free, sizeof q_free, "UPDATE %s SET lock_until = 0 WHERE appid = $1 AND lock_owner = $2", table);
  snprintf(q_store, sizeof q_store,
           "UPDATE %s SET token_sealed = $1, expires_at = $2, lock_until = 0, refreshed_at = $3, "
           "refreshes = refreshes + 1 WHERE appid = $4 AND lock_owner = $5",
           table);
  char owner[33];
  uint8_t raw[16];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(owner, sizeof owner, raw, sizeof raw);
  for (int waited = 0; waited <= LEASE_MS * 2; waited += WAIT_STEP_MS) {
    int64_t now = clock_now_ms();
    db_res *r = db_query(db, err, q_read, DB_TEXT(app->appid));
    if (!r) return -1;
    int have = db_res_rows(r) > 0;
    if (have && db_res_int_at(r, 0, "expires_at") > now && db_res_text_at(r, 0, "token_sealed")[0]) {
      char *tok = vault_open_text(db_res_text_at(r, 0, "token_sealed"), err);
      db_res_free(r);
      if (!tok) return -1;
      snprintf(out, WX_TOKEN_MAX, "%s", tok);
      sodium_memzero(tok, strlen(tok));
      free(tok);
      return 0;
    }
    db_res_free(r);
    if (!have && db_exec(db, err, q_new, DB_TEXT(app->appid)) < 0) return -1;
    int64_t took = db_exec(db, err, q_lease, DB_INT(now + LEASE_MS), DB_TEXT(owner), DB_TEXT(app->appid), DB_INT(now));
    if (took < 0) return -1;
    if (took == 0) { /* another node is refreshing: its token will be there shortly */
      clock_sleep_ms(WAIT_STEP_MS);
      continue;
    }
    int64_t expires_in = 0;
    if (fetch_fn(cfg, db, app, out, &expires_in, err) < 0) {
      err_t e2 = {0};
      db_exec(db, &e2, q_free, DB_TEXT(app->appid), DB_TEXT(owner));
      return -1;
    }
    int64_t life = expires_in > EARLY_S + 60 ? expires_in - EARLY_S : (expires_in > 1 ? expires_in / 2 : 1);
    char *sealed = vault_seal_text(out, err);
    if (!sealed) return -1;
    now = clock_now_ms();
    int64_t n = db_exec(db, err, q_store, DB_TEXT(sealed), DB_INT(now + life * 1000), DB_INT(now), DB_TEXT(app->appid),
                        DB_TEXT(owner));
    free(sealed);
    if (n < 0) return -1;
    log_info("wechat_token_refreshed", "appid", app->appid, "cache", table, NULL);
    return 0; /* n == 0: our lease ran out meanwhile; the token we hold is still WeChat's newest */
  }
  return err_set(err, 503, "wechat_token_busy", "微信服务繁忙，请稍后再试");
}

int wx_token_drop(db_t *db, const char *appid, const char *token, err_t *err) {
  db_res *r = db_query(db, err, "SELECT token_sealed FROM wechat_tokens WHERE appid = $1", DB_TEXT(appid));
  if (!r) return -1;
  int rc = 0;
  if (db_res_rows(r) && db_res_text_at(r, 0, "token_sealed")[0]) {
    err_t e = {0};
    char *tok = vault_open_text(db_res_text_at(r, 0, "token_sealed"), &e);
    /* Only the token this node used: a fresh one another node stored meanwhile stays. */
    if (tok && strcmp(tok, token) == 0)
      rc = db_exec(db, err, "UPDATE wechat_tokens SET expires_at = 0 WHERE appid = $1 AND token_sealed = $2",
                   DB_TEXT(appid), DB_TEXT(db_res_text_at(r, 0, "token_sealed"))) < 0
               ? -1
               : 0;
    if (tok) sodium_memzero(tok, strlen(tok));
    free(tok);
  }
  db_res_free(r);
  return rc;
}

static int token_rejected(long code) { return code == 42001 || code == 40001 || code == 40014; }

static int call_token(const config *cfg, db_t *db, const wx_app *app, const char *method, const char *path,
                      const json_t *body, json_t **out, err_t *err) {
  *out = NULL;
  for (int attempt = 0; attempt < 2; attempt++) {
    char tok[WX_TOKEN_MAX];
    if (wx_token_get(cfg, db, app, tok, err) < 0) return -1;
    char *esc = wx_escape(tok);
    size_t n = strlen(path) + (esc ? strlen(esc) : 0) + 32;
    char *q = xmalloc(n);
    if (!q || !esc) {
      free(q);
      free(esc);
      return err_set(err, 0, "oom", "out of memory");
    }
    snprintf(q, n, "%s%caccess_token=%s", path, strchr(path, '?') ? '&' : '?', esc);
    free(esc);
    int rc = wx_call(cfg, method, q, body, out, err);
    free(q);
    if (rc < 0) return -1;
    long code = wx_errcode(*out);
    if (!token_rejected(code) || attempt == 1) return 0;
    char c[24];
    snprintf(c, sizeof c, "%ld", code);
    log_info("wechat_token_rejected", "appid", app->appid, "errcode", c, NULL);
    json_decref(*out);
    *out = NULL;
    if (wx_token_drop(db, app->appid, tok, err) < 0) return -1;
  }
  return 0;
}

int wx_call_token(const config *cfg, db_t *db, const wx_app *app, const char *path, const json_t *body, json_t **out,
                  err_t *err) {
  return call_token(cfg, db, app, "POST", path, body, out, err);
}

int wx_get_token(const config *cfg, db_t *db, const wx_app *app, const char *path_query, json_t **out, err_t *err) {
  return call_token(cfg, db, app, "GET", path_query, NULL, out, err);
}
