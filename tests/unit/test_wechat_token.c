/* The shared WeChat access token (wechat/wx_token.h) under parallel nodes, on SQLite and
 * PostgreSQL alike. WeChat hands out one token at a time and every fetch revokes the last, so when
 * the stored token goes stale exactly one node may fetch; the others must wait and use its token.
 * Each round starts eight threads together on separate pooled connections, as eight requests on
 * several nodes would, with a fetch that answers at once: the narrowest window between a node
 * reading the token stale and another storing a fresh one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "store/store.h"
#include "testdb.h"
#include "together.h"
#include "wechat/wx_token.h"

#define N_THREADS 8
#define ROUNDS 12

static atomic_int fetches;

/* WeChat's /cgi-bin/token as the nodes see it: a new token each time, valid two hours. */
static int fetch_counted(const config *cfg, db_t *db, const wx_app *app, char out[WX_TOKEN_MAX], int64_t *expires_in,
                         err_t *err) {
  (void)cfg, (void)db, (void)err;
  snprintf(out, WX_TOKEN_MAX, "%s-token-%d", app->appid, atomic_fetch_add(&fetches, 1) + 1);
  *expires_in = 7200;
  return 0;
}

typedef struct race {
  store_t *st;
  config *cfg;
  wx_app app;
  char got[N_THREADS][WX_TOKEN_MAX];
} race;

static void get_one(void *ctx, int i, pthread_barrier_t *go) {
  race *r = ctx;
  err_t err = {0};
  db_t *db = store_get(r->st, &err);
  pthread_barrier_wait(go);
  if (!db || wx_cached_get(r->cfg, db, &r->app, "wechat_tokens", fetch_counted, r->got[i], &err) < 0) {
    fprintf(stderr, "wx_cached_get: %s %s\n", err.code, err.message);
    r->got[i][0] = 0;
  }
  store_put(r->st, db);
}

static void one_fetch_per_expiry(enum testdb_kind kind) {
  race r = {.st = testdb_open(kind, NULL), .cfg = config_new(), .app = {.kind = "mini", .appid = "wxrace0001"}};
  atomic_store(&fetches, 0);
  for (int round = 1; round <= ROUNDS; round++) {
    run_together(N_THREADS, get_one, &r);
    if (atomic_load(&fetches) != round)
      fail_msg("%s round %d: %d fetches in all, want %d", testdb_kind_name(kind), round, atomic_load(&fetches), round);
    char want[WX_TOKEN_MAX];
    snprintf(want, sizeof want, "wxrace0001-token-%d", round);
    for (int i = 0; i < N_THREADS; i++) assert_string_equal(r.got[i], want);
    /* WeChat answers 42001 to the token: a node drops it (wx_token_drop) and the next calls refresh. */
    err_t err = {0};
    db_t *db = store_get(r.st, &err);
    assert_non_null(db);
    assert_int_equal(wx_token_drop(db, r.app.appid, want, &err), 0);
    store_put(r.st, db);
  }
  config_free(r.cfg);
  store_close(r.st);
}

static void t_one_fetch_per_expiry(void **s) {
  (void)s;
  for (int k = 0; k < TESTDB_KINDS; k++) one_fetch_per_expiry(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_one_fetch_per_expiry)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
