/* remind.c: one reminder from the school office to a student (see remind.h). */
#include "office/remind.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "identity/batch.h"
#include "notify/notify.h"
#include "office/progress.h"
#include "util/clock.h"

/* The deadline in Beijing time, as the student reads it: "11月30日". */
static void deadline_words(int64_t end_ms, char out[32]) {
  int64_t day = (end_ms - 1 + 8 * 3600000LL) / 86400000LL; /* the last day inside the window */
  int64_t z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  snprintf(out, 32, "%d月%d日", (int)(m % 13), (int)(d % 32));
}

/* What the student still has to do, in the words of their own page. */
static const char *next_step(const char *status) {
  if (!strcmp(status, "linked")) return "请缴费后拍摄并提交照片";
  if (!strcmp(status, "paid")) return "请拍摄并提交照片";
  if (!strcmp(status, "rejected")) return "照片未通过审核，请按原因免费重拍并重新提交";
  return "照片正在审核中，请留意审核结果";
}

int office_remind(db_t *db, int64_t batch_id, int64_t record_id, int actor_role, int64_t actor_id, int64_t interval_ms,
                  json_t **out, err_t *err) {
  *out = NULL;
  batch b;
  if (batch_get(db, batch_id, &b, err) < 0) return -1;
  int64_t now = clock_now_ms();
  if (db_begin(db, err) < 0) return -1;
  char status[16];
  int64_t account = 0;
  if (office_record_status(db, batch_id, record_id, status, &account, err) < 0) goto fail;
  if (!strcmp(status, "approved")) {
    err_set(err, 409, "already_done", "这名学生的照片已审核通过，不需要提醒");
    goto fail;
  }
  if (!account) {
    err_set(err, 409, "not_linked", "这名学生还没有登录认证，系统无法给他发消息，请用其他方式联系");
    goto fail;
  }
  /* Inside the transaction: two office staff pressing at once send one reminder (SQLite writes one
   * at a time; on PostgreSQL the later insert's check sees the earlier row once it commits, and the
   * inbox's dedupe key below makes the same minute's second reminder a no-op). */
  int64_t last = db_int(db, err, 0, "SELECT COALESCE(MAX(sent_at), 0) FROM office_reminders WHERE record_id = $1",
                        DB_INT(record_id));
  if (err_is_set(err)) goto fail;
  if (last && now - last < interval_ms) {
    int64_t next = last + interval_ms;
    int hours = (int)((next - now + 3599999) / 3600000), ago = (int)((now - last) / 3600000);
    if (ago == 0)
      err_set(err, 429, "reminded_recently", "刚刚提醒过这名学生，%d 小时后才能再次提醒", hours);
    else
      err_set(err, 429, "reminded_recently", "%d 小时前已提醒过这名学生，%d 小时后才能再次提醒", ago, hours);
    goto fail;
  }
  if (db_exec(db, err,
              "INSERT INTO office_reminders (record_id, batch_id, account_id, actor_role, actor_id, sent_at) "
              "VALUES ($1, $2, $3, $4, $5, $6)",
              DB_INT(record_id), DB_INT(batch_id), DB_INT(account), DB_INT(actor_role), DB_INT(actor_id),
              DB_INT(now)) != 1)
    goto fail;
  char when[32], body[400], key[64];
  deadline_words(b.window_end_ms, when);
  snprintf(body, sizeof body, "学校提醒：你的毕业照片采集还没有完成（当前：%s）。%s，采集截止到%s。",
           office_status_label(status), next_step(status), when);
  snprintf(key, sizeof key, "remind:%lld:%lld", (long long)record_id, (long long)(now / 60000));
  json_t *d = json_pack("{s:I, s:I, s:s}", "batch_id", (json_int_t)batch_id, "window_end", (json_int_t)b.window_end_ms,
                        "status", status);
  int rc = notify_student(db, account, "reminder", "请尽快完成照片采集", body, d, key, err);
  json_decref(d);
  if (rc < 0) goto fail;
  d = json_pack("{s:I, s:s}", "batch_id", (json_int_t)batch_id, "status", status);
  rc = audit_log(db, actor_role, actor_id, "office.remind", "roster_record", record_id, d, err);
  json_decref(d);
  if (rc < 0 || db_commit(db, err) < 0) goto fail;
  int64_t next_at = now + interval_ms;
  *out = json_pack("{s:I, s:I, s:I}", "record_id", (json_int_t)record_id, "sent_at", (json_int_t)now, "next_at",
                   (json_int_t)next_at);
  return 0;
fail:
  db_rollback(db);
  return -1;
}
