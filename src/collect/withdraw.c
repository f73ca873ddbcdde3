/* withdraw.c: a student takes back a submission no reviewer has decided yet (撤回审核), and the
 * limit on how many times a student of a batch may submit.
 *
 * Withdrawing turns the pending submission into 'withdrawn' and the record back to 'open', so the
 * same photo waits in preview again: the student may resubmit it or retake. Both UPDATEs are
 * conditional on the states read, in one transaction with the audit row, so a reviewer's decision
 * that lands at the same moment wins cleanly (the withdrawal is then refused with 409) and the
 * reviewer's own decide finds the submission no longer pending. A reviewer's claim does not stop
 * the student: the photo is theirs until someone decides. Only inside the batch's window, where the
 * photo can be submitted again. */
#include <string.h>

#include "audit/audit.h"
#include "auth/roles.h"
#include "collect/internal.h"
#include "util/clock.h"

int collect_withdraw(db_t *db, int64_t account_id, json_t **out, err_t *err) {
  collect_ctx c;
  if (collect_ctx_load(db, account_id, &c, err) < 0) return -1;
  if (!c.linked) return err_set(err, 409, "not_linked", "请先上传采集码完成身份认证");
  if (strcmp(c.state, "in_review") != 0 || !c.last_submission)
    return err_set(err, 409, "not_in_review", "现在没有审核中的照片，无需撤回");
  int64_t now = clock_now_ms();
  /* Outside the window a withdrawn photo could not be submitted again: it stays in review. */
  if (batch_check_window(&c.b, now, err) < 0) return -1;
  if (db_begin(db, err) < 0) return -1;
  int64_t n =
      db_exec(db, err,
              "UPDATE collect_submissions SET state = 'withdrawn', decided_at = $1, claimed_by = 0, claim_until = 0 "
              "WHERE id = $2 AND account_id = $3 AND state = 'pending'",
              DB_INT(now), DB_INT(c.last_submission), DB_INT(account_id));
  if (n < 0) goto fail;
  if (n == 0) {
    err_set(err, 409, "already_decided", "审核员已经处理了这次提交，不能撤回，请刷新查看结果");
    goto fail;
  }
  n = db_exec(db, err,
              "UPDATE collect_records SET state = 'open', updated_at = $1 "
              "WHERE record_id = $2 AND state = 'in_review' AND last_submission = $3",
              DB_INT(now), DB_INT(c.rec.record_id), DB_INT(c.last_submission));
  if (n < 0) goto fail;
  if (n == 0) {
    err_set(err, 409, "changed", "照片状态已变化，请刷新后重试");
    goto fail;
  }
  json_t *d =
      json_pack("{s:I, s:I}", "record_id", (json_int_t)c.rec.record_id, "attempt_id", (json_int_t)c.last_attempt);
  int rc = audit_log(db, ROLE_STUDENT, account_id, "submission.withdraw", "submission", c.last_submission, d, err);
  json_decref(d);
  if (rc < 0 || db_commit(db, err) < 0) goto fail;
  *out = json_pack("{s:I, s:I, s:I}", "submission_id", (json_int_t)c.last_submission, "attempt_id",
                   (json_int_t)c.last_attempt, "withdrawn_at", (json_int_t)now);
  return 0;
fail:
  db_rollback(db);
  return -1;
}

int collect_submissions_used(db_t *db, int64_t record_id, err_t *err) {
  return (int)db_int(db, err, 0,
                     "SELECT COUNT(*) FROM collect_submissions WHERE record_id = $1 AND state <> 'withdrawn'",
                     DB_INT(record_id));
}
