/* wx_identity: bound openids, OAuth states, bind tickets, WeChat sessions (see wx_identity.h). */
#include "wechat/wx_identity.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/vault.h"

static void sha256_hex(const char *s, char out[65]) {
  uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const uint8_t *)s, strlen(s));
  sodium_bin2hex(out, 65, h, sizeof h);
}

void wx_random_token(char out[65]) {
  uint8_t raw[32];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(out, 65, raw, sizeof raw);
}

int64_t wx_identity_find(db_t *db, const char *appid, const char *openid, int64_t *account_id, err_t *err) {
  char h[65];
  vault_lookup_hash("wechat_openid", openid, h);
  *account_id = 0;
  db_res *r = db_query(db, err, "SELECT id, account_id FROM wechat_identities WHERE appid = $1 AND openid_hash = $2",
                       DB_TEXT(appid), DB_TEXT(h));
  if (!r) return -1;
  int64_t id = 0;
  if (db_res_rows(r)) {
    id = db_res_int_at(r, 0, "id");
    *account_id = db_res_int_at(r, 0, "account_id");
  }
  db_res_free(r);
  return id;
}

int64_t wx_identity_bind(db_t *db, const char *kind, const char *appid, const char *openid, int64_t account_id,
                         err_t *err) {
  int64_t owner = 0;
  int64_t id = wx_identity_find(db, appid, openid, &owner, err);
  if (id < 0) return -1;
  if (id > 0) {
    if (owner != account_id)
      return err_set(err, 409, "wechat_bound_elsewhere", "该微信已绑定其他手机号，请用那个手机号登录");
    return wx_identity_touch(db, id, err) < 0 ? -1 : id;
  }
  char h[65];
  vault_lookup_hash("wechat_openid", openid, h);
  char *sealed = vault_seal_text(openid, err);
  if (!sealed) return -1;
  int64_t now = clock_now_ms();
  /* The account's earlier WeChat of this app gives way: the phone was just confirmed again. */
  int64_t n = db_exec(db, err,
                      "UPDATE wechat_identities SET openid_hash = $1, openid_sealed = $2, last_login_at = $3 "
                      "WHERE appid = $4 AND account_id = $5",
                      DB_TEXT(h), DB_TEXT(sealed), DB_INT(now), DB_TEXT(appid), DB_INT(account_id));
  if (n == 0) {
    db_res *r =
        db_query(db, err,
                 "INSERT INTO wechat_identities (app_kind, appid, openid_hash, openid_sealed, account_id, created_at, "
                 "last_login_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                 DB_TEXT(kind), DB_TEXT(appid), DB_TEXT(h), DB_TEXT(sealed), DB_INT(account_id), DB_INT(now));
    free(sealed);
    if (!r) {
      if (db_last_was_unique_violation(db)) {
        err_clear(err);
        return err_set(err, 409, "wechat_bound_elsewhere", "该微信已绑定其他手机号，请用那个手机号登录");
      }
      return -1;
    }
    id = db_res_int_at(r, 0, "id");
    db_res_free(r);
    return id;
  }
  free(sealed);
  if (n < 0) return -1;
  return db_int(db, err, -1, "SELECT id FROM wechat_identities WHERE appid = $1 AND account_id = $2", DB_TEXT(appid),
                DB_INT(account_id));
}

int wx_identity_touch(db_t *db, int64_t identity_id, err_t *err) {
  return db_exec(db, err, "UPDATE wechat_identities SET last_login_at = $1 WHERE id = $2", DB_INT(clock_now_ms()),
                 DB_INT(identity_id)) < 0
             ? -1
             : 0;
}

int wx_session_attach(db_t *db, int64_t session_id, int64_t identity_id, err_t *err) {
  return db_exec(db, err,
                 "INSERT INTO wechat_sessions (session_id, identity_id, created_at) VALUES ($1, $2, $3) "
                 "ON CONFLICT (session_id) DO UPDATE SET identity_id = excluded.identity_id",
                 DB_INT(session_id), DB_INT(identity_id), DB_INT(clock_now_ms())) < 0
             ? -1
             : 0;
}

int wx_session_openid(db_t *db, int64_t session_id, const char *appid, char openid[WX_OPENID_MAX], err_t *err) {
  db_res *r = db_query(db, err,
                       "SELECT i.openid_sealed FROM wechat_sessions s JOIN wechat_identities i ON i.id = s.identity_id "
                       "JOIN sessions x ON x.id = s.session_id AND x.user_id = i.account_id "
                       "WHERE s.session_id = $1 AND i.appid = $2",
                       DB_INT(session_id), DB_TEXT(appid));
  if (!r) return -1;
  int found = 0;
  if (db_res_rows(r)) {
    char *o = vault_open_text(db_res_text_at(r, 0, "openid_sealed"), err);
    if (!o)
      found = -1;
    else {
      snprintf(openid, WX_OPENID_MAX, "%s", o);
      free(o);
      found = 1;
    }
  }
  db_res_free(r);
  return found;
}

int wx_state_new(db_t *db, const char *binder, int64_t session_id, char state_out[65], err_t *err) {
  char sh[65], bh[65];
  wx_random_token(state_out);
  sha256_hex(state_out, sh);
  sha256_hex(binder, bh);
  int64_t now = clock_now_ms();
  /* Old states go with each new one: the table stays the size of the last ten minutes. */
  if (db_exec(db, err, "DELETE FROM wechat_oauth_states WHERE expires_at < $1", DB_INT(now - WX_STATE_TTL_MS)) < 0)
    return -1;
  return db_exec(db, err,
                 "INSERT INTO wechat_oauth_states (state_hash, binder_hash, session_id, created_at, expires_at) "
                 "VALUES ($1, $2, $3, $4, $5)",
                 DB_TEXT(sh), DB_TEXT(bh), DB_INT(session_id), DB_INT(now), DB_INT(now + WX_STATE_TTL_MS)) < 0
             ? -1
             : 0;
}

int wx_state_take(db_t *db, const char *state, const char *binder, int64_t *session_id, err_t *err) {
  *session_id = 0;
  if (!wx_plain_token(state, 64) || !binder || !wx_plain_token(binder, 64))
    return err_set(err, 400, "wechat_state_invalid", "登录链接已失效，请重新进入页面");
  char sh[65], bh[65];
  sha256_hex(state, sh);
  sha256_hex(binder, bh);
  int64_t now = clock_now_ms();
  db_res *r = db_query(db, err,
                       "UPDATE wechat_oauth_states SET used_at = $1 WHERE state_hash = $2 AND binder_hash = $3 "
                       "AND used_at = 0 AND expires_at > $1 RETURNING session_id",
                       DB_INT(now), DB_TEXT(sh), DB_TEXT(bh));
  if (!r) return -1;
  int ok = db_res_rows(r) == 1;
  if (ok) *session_id = db_res_int_at(r, 0, "session_id");
  db_res_free(r);
  return ok ? 0 : err_set(err, 400, "wechat_state_invalid", "登录链接已失效，请重新进入页面");
}

int wx_ticket_new(db_t *db, const char *kind, const char *appid, const char *openid, char token_out[65], err_t *err) {
  char th[65];
  wx_random_token(token_out);
  sha256_hex(token_out, th);
  char *sealed = vault_seal_text(openid, err);
  if (!sealed) return -1;
  int64_t now = clock_now_ms();
  int rc =
      db_exec(db, err, "DELETE FROM wechat_bind_tickets WHERE expires_at < $1", DB_INT(now - WX_TICKET_TTL_MS)) < 0 ||
              db_exec(
                  db, err,
                  "INSERT INTO wechat_bind_tickets (token_hash, app_kind, appid, openid_sealed, created_at, expires_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6)",
                  DB_TEXT(th), DB_TEXT(kind), DB_TEXT(appid), DB_TEXT(sealed), DB_INT(now),
                  DB_INT(now + WX_TICKET_TTL_MS)) < 0
          ? -1
          : 0;
  free(sealed);
  return rc;
}

int wx_ticket_peek(db_t *db, const char *token, char kind[8], char appid[64], char openid[WX_OPENID_MAX], err_t *err) {
  if (!token || !wx_plain_token(token, 64)) return 0;
  char th[65];
  sha256_hex(token, th);
  db_res *r =
      db_query(db, err,
               "SELECT app_kind, appid, openid_sealed FROM wechat_bind_tickets WHERE token_hash = $1 AND used_at = 0 "
               "AND expires_at > $2",
               DB_TEXT(th), DB_INT(clock_now_ms()));
  if (!r) return -1;
  int found = 0;
  if (db_res_rows(r)) {
    char *o = vault_open_text(db_res_text_at(r, 0, "openid_sealed"), err);
    if (!o)
      found = -1;
    else {
      snprintf(kind, 8, "%s", db_res_text_at(r, 0, "app_kind"));
      snprintf(appid, 64, "%s", db_res_text_at(r, 0, "appid"));
      snprintf(openid, WX_OPENID_MAX, "%s", o);
      free(o);
      found = 1;
    }
  }
  db_res_free(r);
  return found;
}

int wx_ticket_use(db_t *db, const char *token, err_t *err) {
  if (!token || !wx_plain_token(token, 64)) return 0;
  char th[65];
  sha256_hex(token, th);
  int64_t n = db_exec(db, err, "UPDATE wechat_bind_tickets SET used_at = $1 WHERE token_hash = $2 AND used_at = 0",
                      DB_INT(clock_now_ms()), DB_TEXT(th));
  return n < 0 ? -1 : n == 1;
}
