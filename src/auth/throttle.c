/* throttle: see throttle.h. */
#include "auth/throttle.h"

#include <stdio.h>

#include "util/vault.h"

static void key_hash(const char *scope, const char *key, char out[65]) {
  char buf[320];
  snprintf(buf, sizeof buf, "%s:%s", scope, key ? key : "");
  vault_lookup_hash("throttle", buf, out);
}

static int64_t lock_for(const throttle_rule *r, int64_t failures) {
  if (failures < r->free_failures) return 0;
  int64_t ms = r->base_ms;
  for (int64_t k = r->free_failures; k < failures && ms < r->max_ms; k++) ms *= 2;
  return ms < r->max_ms ? ms : r->max_ms;
}

int throttle_take(db_t *db, const char *scope, const char *key, const throttle_rule *rule, int64_t now_ms,
                  int64_t *retry_after_s, err_t *err) {
  char kh[65];
  key_hash(scope, key, kh);
  *retry_after_s = 0;
  if (db_exec(db, err,
              "INSERT INTO auth_throttle (scope, key_hash, failures, locked_until, version, updated_at) "
              "VALUES ($1, $2, 0, 0, 0, $3) ON CONFLICT (scope, key_hash) DO NOTHING",
              DB_TEXT(scope), DB_TEXT(kh), DB_INT(now_ms)) < 0)
    return -1;
  /* Compare-and-swap on `version`: a writer that lost the race reads again. Each round some
   * writer wins, so this ends; the bound only guards against a store that misbehaves. */
  for (int round = 0; round < 200; round++) {
    db_res *r = db_query(db, err,
                         "SELECT failures, locked_until, version, updated_at FROM auth_throttle "
                         "WHERE scope = $1 AND key_hash = $2",
                         DB_TEXT(scope), DB_TEXT(kh));
    if (!r) return -1;
    if (db_res_rows(r) != 1) { /* purged in between: start it again */
      db_res_free(r);
      if (db_exec(db, err,
                  "INSERT INTO auth_throttle (scope, key_hash, failures, locked_until, version, updated_at) "
                  "VALUES ($1, $2, 0, 0, 0, $3) ON CONFLICT (scope, key_hash) DO NOTHING",
                  DB_TEXT(scope), DB_TEXT(kh), DB_INT(now_ms)) < 0)
        return -1;
      continue;
    }
    int64_t failures = db_res_int_at(r, 0, "failures"), locked = db_res_int_at(r, 0, "locked_until"),
            version = db_res_int_at(r, 0, "version"), updated = db_res_int_at(r, 0, "updated_at");
    db_res_free(r);
    if (locked > now_ms) {
      *retry_after_s = (locked - now_ms + 999) / 1000;
      return 1;
    }
    if (now_ms - updated > rule->forget_ms) failures = 0;
    failures++;
    int64_t lock = lock_for(rule, failures);
    int64_t n = db_exec(db, err,
                        "UPDATE auth_throttle SET failures = $1, locked_until = $2, version = version + 1, "
                        "updated_at = $3 WHERE scope = $4 AND key_hash = $5 AND version = $6",
                        DB_INT(failures), DB_INT(lock ? now_ms + lock : 0), DB_INT(now_ms), DB_TEXT(scope), DB_TEXT(kh),
                        DB_INT(version));
    if (n < 0) return -1;
    if (n == 1) return 0;
  }
  return err_set(err, 503, "busy", "服务器繁忙，请稍后再试");
}

int throttle_forgive(db_t *db, const char *scope, const char *key, const throttle_rule *rule, int all, err_t *err) {
  char kh[65];
  key_hash(scope, key, kh);
  if (all)
    return db_exec(db, err, "DELETE FROM auth_throttle WHERE scope = $1 AND key_hash = $2", DB_TEXT(scope),
                   DB_TEXT(kh)) < 0
               ? -1
               : 0;
  /* Give back this one attempt; a lock that only this attempt caused goes with it. */
  return db_exec(db, err,
                 "UPDATE auth_throttle SET failures = failures - 1, version = version + 1, "
                 "locked_until = CASE WHEN failures - 1 < $1 THEN 0 ELSE locked_until END "
                 "WHERE scope = $2 AND key_hash = $3 AND failures > 0",
                 DB_INT(rule->free_failures), DB_TEXT(scope), DB_TEXT(kh)) < 0
             ? -1
             : 0;
}

int64_t throttle_purge(db_t *db, int64_t now_ms, int64_t older_than_ms, err_t *err) {
  return db_exec(db, err, "DELETE FROM auth_throttle WHERE updated_at < $1 AND locked_until < $2",
                 DB_INT(now_ms - older_than_ms), DB_INT(now_ms));
}
