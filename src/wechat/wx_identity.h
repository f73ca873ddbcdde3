/* wx_identity: WeChat identities bound to student accounts, and the short-lived things a WeChat
 * sign-in passes through.
 *
 * Design. An identity is (app, openid) -> student account; an account has at most one per app
 * (a student who changes WeChat accounts re-binds, after confirming the phone by code again), and
 * an openid belongs to one account. Openids are sealed and found by keyed hash (util/vault).
 *   - OAuth states: the `state` sent to WeChat is random, single-use, 10 minutes, and only counts
 *     when the browser that comes back carries the binder cookie it was issued with (so a link
 *     with someone else's state signs nobody in: login CSRF).
 *   - Bind tickets: a WeChat user no account knows yet gets one (as an HttpOnly cookie, 15
 *     minutes, single use); confirming a phone by SMS code (or the mini program's phone number)
 *     with it binds the openid to that phone's account. After that WeChat alone signs in.
 *   - Sessions: a session opened through an identity remembers it (wechat_sessions), so JSAPI
 *     payment takes the payer's openid from the session, never from the client.
 * Random tokens are kept as SHA-256 only. */
#ifndef TUCAI_WECHAT_WX_IDENTITY_H
#define TUCAI_WECHAT_WX_IDENTITY_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"
#include "wechat/wx_api.h"

#define WX_STATE_TTL_MS (10LL * 60 * 1000)
#define WX_TICKET_TTL_MS (15LL * 60 * 1000)

/* The identity of (appid, openid): its id and *account_id, or 0 when unknown; -1 on error. */
int64_t wx_identity_find(db_t *db, const char *appid, const char *openid, int64_t *account_id, err_t *err);
/* Binds (appid, openid) to the account (re-binding the account's earlier openid of that app).
 * 409 "wechat_bound_elsewhere" when the openid is another account's. Returns the identity id. */
int64_t wx_identity_bind(db_t *db, const char *kind, const char *appid, const char *openid, int64_t account_id,
                         err_t *err);
int wx_identity_touch(db_t *db, int64_t identity_id, err_t *err);

/* Remembers that the session came through the identity. */
int wx_session_attach(db_t *db, int64_t session_id, int64_t identity_id, err_t *err);
/* The openid of app `appid` the session came through: 1 and openid filled, 0 none, -1 error. */
int wx_session_openid(db_t *db, int64_t session_id, const char *appid, char openid[WX_OPENID_MAX], err_t *err);

/* 64 hex characters of fresh randomness. */
void wx_random_token(char out[65]);
/* A new state for the browser holding `binder`; state_out gets it. */
int wx_state_new(db_t *db, const char *binder, int64_t session_id, char state_out[65], err_t *err);
/* Uses the state up: 0 and *session_id when it is live, unused and the binder matches; 400
 * "wechat_state_invalid" otherwise. */
int wx_state_take(db_t *db, const char *state, const char *binder, int64_t *session_id, err_t *err);

int wx_ticket_new(db_t *db, const char *kind, const char *appid, const char *openid, char token_out[65], err_t *err);
/* 1 and the fields when the ticket is live (it stays usable: wx_ticket_use ends it), 0 when not. */
int wx_ticket_peek(db_t *db, const char *token, char kind[8], char appid[64], char openid[WX_OPENID_MAX], err_t *err);
/* Ends the ticket: 1 when this call ended it, 0 when it was already used or expired. */
int wx_ticket_use(db_t *db, const char *token, err_t *err);

#endif
