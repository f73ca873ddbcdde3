/* student: accounts and their linked roster records (see student.h). */
#include "identity/student.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/vault.h"

#define RECORD_COLS                                                                                     \
  "r.id, r.batch_id, r.school_id, r.student_no, r.name_sealed, r.name_masked, r.id_masked, r.college, " \
  "r.major, r.degree, r.grad_year, r.approved_at"

static void fill_record(const db_res *r, int row, student_record *out) {
  out->record_id = db_res_int_at(r, row, "id");
  out->batch_id = db_res_int_at(r, row, "batch_id");
  out->school_id = db_res_int_at(r, row, "school_id");
  snprintf(out->student_no, sizeof out->student_no, "%s", db_res_text_at(r, row, "student_no"));
  err_t e = {0};
  char *name = vault_open_text(db_res_text_at(r, row, "name_sealed"), &e);
  snprintf(out->name, sizeof out->name, "%s", name ? name : "");
  free(name);
  snprintf(out->name_masked, sizeof out->name_masked, "%s", db_res_text_at(r, row, "name_masked"));
  snprintf(out->id_masked, sizeof out->id_masked, "%s", db_res_text_at(r, row, "id_masked"));
  snprintf(out->college, sizeof out->college, "%s", db_res_text_at(r, row, "college"));
  snprintf(out->major, sizeof out->major, "%s", db_res_text_at(r, row, "major"));
  snprintf(out->degree, sizeof out->degree, "%s", db_res_text_at(r, row, "degree"));
  out->grad_year = (int)db_res_int_at(r, row, "grad_year");
}

int student_current(db_t *db, int64_t account_id, student_record *out, err_t *err) {
  memset(out, 0, sizeof *out);
  db_res *r = db_query(db, err,
                       "SELECT a.id AS account_id, l.record_id, " RECORD_COLS
                       ", l.seal_kid FROM student_accounts a LEFT JOIN student_links l ON l.account_id = a.id "
                       "LEFT JOIN roster_records r ON r.id = l.record_id WHERE a.id = $1",
                       DB_INT(account_id));
  if (!r) return -1;
  if (db_res_rows(r) == 0) {
    db_res_free(r);
    return err_set(err, 404, "account_not_found", "账号不存在");
  }
  out->account_id = db_res_int_at(r, 0, "account_id");
  if (!db_res_is_null_at(r, 0, "record_id") && !db_res_is_null_at(r, 0, "id")) {
    fill_record(r, 0, out);
    out->status = db_res_is_null_at(r, 0, "approved_at") ? STUDENT_LINKED : STUDENT_APPROVED;
    snprintf(out->seal_kid, sizeof out->seal_kid, "%s", db_res_text_at(r, 0, "seal_kid"));
  }
  db_res_free(r);
  return 0;
}

int student_record_get(db_t *db, int64_t record_id, student_record *out, err_t *err) {
  memset(out, 0, sizeof *out);
  db_res *r = db_query(db, err,
                       "SELECT " RECORD_COLS
                       ", l.account_id FROM roster_records r "
                       "LEFT JOIN student_links l ON l.record_id = r.id WHERE r.id = $1",
                       DB_INT(record_id));
  if (!r) return -1;
  if (db_res_rows(r) == 0) {
    db_res_free(r);
    return err_set(err, 404, "record_not_found", "名单记录不存在");
  }
  fill_record(r, 0, out);
  out->account_id = db_res_int_at(r, 0, "account_id");
  out->status = !db_res_is_null_at(r, 0, "approved_at") ? STUDENT_APPROVED
                : out->account_id                       ? STUDENT_LINKED
                                                        : STUDENT_UNLINKED;
  db_res_free(r);
  return 0;
}

int student_record_mark_approved(db_t *db, int64_t record_id, err_t *err) {
  int64_t now = clock_now_ms();
  int64_t n = db_exec(db, err, "UPDATE roster_records SET approved_at = $1, updated_at = $1 WHERE id = $2", DB_INT(now),
                      DB_INT(record_id));
  if (n < 0) return -1;
  if (n == 0) return err_set(err, 404, "record_not_found", "名单记录不存在");
  return 0;
}

int64_t student_account_for_phone(db_t *db, const char *phone, err_t *err) {
  char hash[65];
  err_clear(err); /* tested after db_int below */
  vault_lookup_hash("phone", phone, hash);
  int64_t now = clock_now_ms();
  int64_t id = db_int(db, err, 0, "SELECT id FROM student_accounts WHERE phone_hash = $1", DB_TEXT(hash));
  if (id > 0) {
    if (db_exec(db, err, "UPDATE student_accounts SET last_login_at = $1 WHERE id = $2", DB_INT(now), DB_INT(id)) < 0)
      return -1;
    return id;
  }
  if (err_is_set(err)) return -1;
  char *sealed = vault_seal_text(phone, err);
  if (!sealed) return -1;
  char masked[24];
  size_t n = strlen(phone);
  if (n == 11)
    snprintf(masked, sizeof masked, "%.3s****%.4s", phone, phone + 7);
  else
    snprintf(masked, sizeof masked, "****");
  db_res *r =
      db_query(db, err,
               "INSERT INTO student_accounts (phone_hash, phone_sealed, phone_masked, created_at, last_login_at) "
               "VALUES ($1, $2, $3, $4, $4) RETURNING id",
               DB_TEXT(hash), DB_TEXT(sealed), DB_TEXT(masked), DB_INT(now));
  free(sealed);
  if (!r) {
    /* Two sign-ins of the same new phone at once: the other one created it. */
    if (db_last_was_unique_violation(db)) {
      err_clear(err);
      return db_int(db, err, -1, "SELECT id FROM student_accounts WHERE phone_hash = $1", DB_TEXT(hash));
    }
    return -1;
  }
  id = db_res_int_at(r, 0, "id");
  db_res_free(r);
  return id;
}
