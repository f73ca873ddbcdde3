/* wx_token: the app's access token, one for every node, kept in the store.
 *
 * Design. WeChat gives an app one access token at a time (/cgi-bin/token): fetching a new one
 * ends the old one a few minutes later, and the fetches per day are limited. So nodes must not
 * each fetch their own: the token lives in `wechat_tokens` (sealed), and a node that finds it
 * missing or near its end takes a short lease on the row (a conditional UPDATE on lock_until and
 * on the stored value still being stale, the same on SQLite and PostgreSQL) and refreshes it; the
 * others wait for the new one and read it. The staleness is part of the UPDATE because a node may
 * read the row stale just before another stores a fresh token and frees the lease.
 * A node whose call is answered 42001 (expired) or 40001 (invalid) drops the token, but only if
 * it is still the one that node used (another may have refreshed meanwhile), and retries once
 * (wx_call_token). Call these with no transaction open: the lease must be seen by other nodes. */
#ifndef TUCAI_WECHAT_WX_TOKEN_H
#define TUCAI_WECHAT_WX_TOKEN_H

#include <jansson.h>

#include "store/store.h"
#include "wechat/wx_api.h"

/* The app's live token into out. 503 "wechat_token_busy" when another node holds the lease too
 * long; 502 when WeChat refuses (a wrong secret, an address not on the app's allow list). */
int wx_token_get(const config *cfg, db_t *db, const wx_app *app, char out[WX_TOKEN_MAX], err_t *err);
/* Forgets `token` when it is still the stored one. */
int wx_token_drop(db_t *db, const char *appid, const char *token, err_t *err);
/* POST path?access_token=<token> with body: on 42001/40001/40014 drops the token and tries once
 * more with a fresh one. 0 with *out (any errcode) or -1 as wx_call. */
int wx_call_token(const config *cfg, db_t *db, const wx_app *app, const char *path, const json_t *body, json_t **out,
                  err_t *err);

/* GET path_query&access_token=<token>, with the same drop-and-retry-once as wx_call_token. */
int wx_get_token(const config *cfg, db_t *db, const wx_app *app, const char *path_query, json_t **out, err_t *err);

/* The cache behind wx_token_get, for any value WeChat hands out one at a time per app with an
 * expires_in (the access token; the JS-SDK's jsapi_ticket, wx_jssdk.h): `table` has the columns
 * of wechat_tokens; fetch_fn gets a new value when the stored one is missing or near its end,
 * under the row's lease, so one node fetches and the others read. */
typedef int (*wx_fetch_fn)(const config *cfg, db_t *db, const wx_app *app, char out[WX_TOKEN_MAX], int64_t *expires_in,
                           err_t *err);
int wx_cached_get(const config *cfg, db_t *db, const wx_app *app, const char *table, wx_fetch_fn fetch_fn,
                  char out[WX_TOKEN_MAX], err_t *err);

#endif
