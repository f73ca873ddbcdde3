/* quota: see quota.h. */
#include "identity/quota.h"

#include "auth/roles.h" /* ROLE_STUDENT */

#define HOUR_MS (3600LL * 1000)

int quota_check(db_t *db, enum quota_kind kind, int64_t account_id, const quota *q, int64_t now_ms, err_t *err) {
  /* One bigint lock key: the kind in the high half, the account in the low half. */
  int64_t key = (int64_t)((uint64_t)(7420200 + kind) << 32 | (uint32_t)account_id);
  if (db_dialect(db) == DB_POSTGRES && db_exec(db, err, "SELECT pg_advisory_xact_lock($1)", DB_INT(key)) < 0) return -1;
  const char *sql =
      kind == QUOTA_UPLOADS
          ? "SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN created_at > $2 THEN 1 ELSE 0 END), 0) AS last_hour "
            "FROM collect_attempts WHERE account_id = $1"
          : "SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN created_at > $2 THEN 1 ELSE 0 END), 0) AS last_hour "
            "FROM support_messages WHERE account_id = $1 AND from_role = $3";
  db_res *r = kind == QUOTA_UPLOADS
                  ? db_query(db, err, sql, DB_INT(account_id), DB_INT(now_ms - HOUR_MS))
                  : db_query(db, err, sql, DB_INT(account_id), DB_INT(now_ms - HOUR_MS), DB_INT(ROLE_STUDENT));
  if (!r) return -1;
  int64_t total = db_res_int_at(r, 0, "total"), hour = db_res_int_at(r, 0, "last_hour");
  db_res_free(r);
  if (kind == QUOTA_UPLOADS) {
    if (q->total > 0 && total >= q->total)
      return err_set(err, 429, "upload_quota_total", "上传照片次数已达上限（%lld 次），如需继续请联系客服",
                     (long long)q->total);
    if (q->per_hour > 0 && hour >= q->per_hour)
      return err_set(err, 429, "upload_quota_hour", "上传过于频繁（每小时最多 %lld 次），请稍后再试",
                     (long long)q->per_hour);
  } else {
    if (q->total > 0 && total >= q->total)
      return err_set(err, 429, "support_quota_total", "留言数量已达上限（%lld 条），请等待客服回复",
                     (long long)q->total);
    if (q->per_hour > 0 && hour >= q->per_hour)
      return err_set(err, 429, "support_quota_hour", "留言过于频繁（每小时最多 %lld 条），请稍后再试",
                     (long long)q->per_hour);
  }
  return 0;
}
