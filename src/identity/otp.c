/* otp: see otp.h. */
#include "identity/otp.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/clock.h"
#include "util/vault.h"

#define HOUR_MS (3600LL * 1000)

int otp_phone_valid(const char *phone) {
  if (!phone || strlen(phone) != 11 || phone[0] != '1' || phone[1] < '3' || phone[1] > '9') return 0;
  for (int i = 0; i < 11; i++)
    if (phone[i] < '0' || phone[i] > '9') return 0;
  return 1;
}

static void code_hash(const char *phone_hash, const char *code, char out[65]) {
  char buf[96];
  snprintf(buf, sizeof buf, "%s:%s", phone_hash, code);
  vault_lookup_hash("otp", buf, out);
  sodium_memzero(buf, sizeof buf);
}

/* The rate checks and the INSERT must be one atomic step, or parallel requests all read the same
 * counts and all pass (SMS bombing, SMS cost). SQLite: db_begin is BEGIN IMMEDIATE, which holds the
 * database's write lock from the first SELECT. PostgreSQL: transaction-scoped advisory locks on the
 * phone and on the address (always in that order, so two senders never wait on each other in a
 * cycle); READ COMMITTED then lets the counts below see every code committed before the lock. */
static int lock_limits(db_t *db, const char *ph, const char *iph, err_t *err) {
  if (db_dialect(db) != DB_POSTGRES) return 0;
  if (db_exec(db, err, "SELECT pg_advisory_xact_lock(7420101, hashtext($1))", DB_TEXT(ph)) < 0) return -1;
  return db_exec(db, err, "SELECT pg_advisory_xact_lock(7420102, hashtext($1))", DB_TEXT(iph)) < 0 ? -1 : 0;
}

static int check_limits(db_t *db, const otp_limits *lim, const char *ph, const char *iph, int64_t now, err_t *err) {
  int64_t last = db_int(db, err, 0, "SELECT MAX(created_at) FROM otp_codes WHERE phone_hash = $1", DB_TEXT(ph));
  if (err_is_set(err)) return -1;
  if (last > 0 && now - last < lim->resend_ms) {
    int64_t wait = (lim->resend_ms - (now - last) + 999) / 1000;
    return err_set(err, 429, "otp_too_frequent", "验证码发送过于频繁，请 %lld 秒后再试", (long long)wait);
  }
  int64_t n_phone = db_int(db, err, 0, "SELECT COUNT(*) FROM otp_codes WHERE phone_hash = $1 AND created_at > $2",
                           DB_TEXT(ph), DB_INT(now - HOUR_MS));
  if (err_is_set(err)) return -1;
  if (n_phone >= lim->per_phone_hour)
    return err_set(err, 429, "otp_phone_limit", "该手机号获取验证码次数过多，请一小时后再试");
  int64_t n_ip = db_int(db, err, 0, "SELECT COUNT(*) FROM otp_codes WHERE ip_hash = $1 AND created_at > $2",
                        DB_TEXT(iph), DB_INT(now - HOUR_MS));
  if (err_is_set(err)) return -1;
  if (n_ip >= lim->per_ip_hour) return err_set(err, 429, "otp_ip_limit", "当前网络获取验证码次数过多，请稍后再试");
  return 0;
}

int otp_issue(db_t *db, const otp_limits *lim, const char *phone, const char *client_ip, char code_out[7], err_t *err) {
  err_clear(err); /* the checks below test err after db_int */
  if (!otp_phone_valid(phone)) return err_set(err, 400, "invalid_phone", "请输入正确的 11 位手机号");
  char ph[65], iph[65];
  vault_lookup_hash("phone", phone, ph);
  vault_lookup_hash("client_ip", client_ip ? client_ip : "", iph);
  if (db_begin(db, err) < 0) return -1;
  /* The time is read after the lock: a sender that waited must not count with a stale clock. */
  if (lock_limits(db, ph, iph, err) < 0) goto fail;
  int64_t now = clock_now_ms();
  if (check_limits(db, lim, ph, iph, now, err) < 0) goto fail;
  snprintf(code_out, 7, "%06u", (unsigned)randombytes_uniform(1000000));
  char ch[65];
  code_hash(ph, code_out, ch);
  if (db_exec(db, err,
              "INSERT INTO otp_codes (phone_hash, ip_hash, code_hash, tries, created_at, expires_at) "
              "VALUES ($1, $2, $3, 0, $4, $5)",
              DB_TEXT(ph), DB_TEXT(iph), DB_TEXT(ch), DB_INT(now), DB_INT(now + lim->ttl_ms)) < 0)
    goto fail;
  if (db_commit(db, err) < 0) goto fail;
  return 0;
fail:
  db_rollback(db);
  return -1;
}

int otp_check(db_t *db, const otp_limits *lim, const char *phone, const char *code, err_t *err) {
  if (!otp_phone_valid(phone)) return err_set(err, 400, "invalid_phone", "请输入正确的 11 位手机号");
  if (!code || strlen(code) != 6 || strspn(code, "0123456789") != 6)
    return err_set(err, 400, "invalid_otp", "请输入 6 位数字验证码");
  char ph[65];
  vault_lookup_hash("phone", phone, ph);
  int64_t now = clock_now_ms();
  db_res *r = db_query(db, err,
                       "SELECT id, code_hash, tries, expires_at, used_at FROM otp_codes WHERE phone_hash = $1 "
                       "ORDER BY id DESC LIMIT 1",
                       DB_TEXT(ph));
  if (!r) return -1;
  if (db_res_rows(r) == 0 || !db_res_is_null_at(r, 0, "used_at")) {
    db_res_free(r);
    return err_set(err, 400, "otp_not_found", "请先获取验证码");
  }
  int64_t id = db_res_int_at(r, 0, "id"), tries = db_res_int_at(r, 0, "tries"), exp = db_res_int_at(r, 0, "expires_at");
  char stored[65];
  snprintf(stored, sizeof stored, "%s", db_res_text_at(r, 0, "code_hash"));
  db_res_free(r);
  if (tries >= lim->max_tries) return err_set(err, 429, "otp_locked", "验证码错误次数过多，请重新获取验证码");
  if (now >= exp) return err_set(err, 400, "otp_expired", "验证码已过期，请重新获取");
  /* Count the try first and atomically, so that parallel guesses cannot exceed the limit. */
  int64_t n =
      db_exec(db, err, "UPDATE otp_codes SET tries = tries + 1 WHERE id = $1 AND tries < $2 AND used_at IS NULL",
              DB_INT(id), DB_INT(lim->max_tries));
  if (n < 0) return -1;
  if (n == 0) return err_set(err, 429, "otp_locked", "验证码错误次数过多，请重新获取验证码");
  char ch[65];
  code_hash(ph, code, ch);
  if (sodium_memcmp(ch, stored, 64) != 0) {
    int64_t left = lim->max_tries - tries - 1;
    if (left <= 0) return err_set(err, 429, "otp_locked", "验证码错误次数过多，请重新获取验证码");
    return err_set(err, 400, "otp_wrong", "验证码错误，还可尝试 %lld 次", (long long)left);
  }
  n = db_exec(db, err, "UPDATE otp_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL", DB_INT(now), DB_INT(id));
  if (n < 0) return -1;
  if (n == 0) return err_set(err, 400, "otp_not_found", "请先获取验证码");
  return 0;
}
