/* progress.c: batch progress counts and the list of students still to do (see progress.h). */
#include "office/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "export/manifest.h"
#include "util/vault.h"
#include "util/xlsx_mem.h"
#include "util/xmalloc.h"

const char *const progress_status_codes[PROGRESS_N_STATUS] = {"not_started", "linked",   "paid",
                                                              "submitted",   "rejected", "approved"};
const char *const progress_status_labels[PROGRESS_N_STATUS] = {"未开始", "已认证", "已缴费",
                                                               "审核中", "已驳回", "已通过"};

/* The status of every record of the batch, furthest first. */
#define STATUS_SQL                                                                                \
  "CASE WHEN c.state IN ('approved', 'exported', 'shipped') THEN 'approved' "                     \
  "WHEN c.state = 'rejected' THEN 'rejected' WHEN c.state = 'in_review' THEN 'submitted' "        \
  "WHEN EXISTS (SELECT 1 FROM pay_orders o WHERE o.record_id = r.id AND o.batch_id = r.batch_id " \
  "AND o.state = 'paid') THEN 'paid' WHEN l.id IS NOT NULL THEN 'linked' ELSE 'not_started' END"
#define FROM_SQL                                                            \
  " FROM roster_records r LEFT JOIN student_links l ON l.record_id = r.id " \
  "LEFT JOIN collect_records c ON c.record_id = r.id WHERE r.batch_id = $1"
/* The same, with the linked account (its phone, for the office's not-done list). */
#define FROM_SQL_ACCOUNTS                                                   \
  " FROM roster_records r LEFT JOIN student_links l ON l.record_id = r.id " \
  "LEFT JOIN student_accounts a ON a.id = l.account_id "                    \
  "LEFT JOIN collect_records c ON c.record_id = r.id WHERE r.batch_id = $1"

static json_t *zero_statuses(void) {
  json_t *o = json_object();
  for (int i = 0; i < PROGRESS_N_STATUS; i++) json_object_set_new(o, progress_status_codes[i], json_integer(0));
  return o;
}

static void add(json_t *group, const char *status, int64_t n) {
  json_object_set_new(group, "total", json_integer(json_integer_value(json_object_get(group, "total")) + n));
  json_t *st = json_object_get(group, "statuses");
  json_object_set_new(st, status, json_integer(json_integer_value(json_object_get(st, status)) + n));
}

static json_t *find_group(json_t *arr, const char *college, const char *major) {
  size_t i;
  json_t *g;
  json_array_foreach(arr, i, g) {
    if (strcmp(json_string_value(json_object_get(g, "college")), college)) continue;
    if (major && strcmp(json_string_value(json_object_get(g, "major")), major)) continue;
    return g;
  }
  g = json_pack("{s:s,s:i,s:o}", "college", college, "total", 0, "statuses", zero_statuses());
  if (major) json_object_set_new(g, "major", json_string(major));
  json_array_append_new(arr, g);
  return g;
}

static void day_name(int64_t day, char out[32]) {
  /* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm). */
  int64_t z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  snprintf(out, 32, "%04d-%02d-%02d", (int)((y + (m <= 2)) % 100000), (int)(m % 13), (int)(d % 32));
}

static int per_day(db_t *db, int64_t batch_id, json_t *days, err_t *err) {
  /* Day numbers in Asia/Shanghai (UTC+8). */
  static const char *sql =
      "SELECT 'linked' AS what, (l.linked_at + 28800000) / 86400000 AS day, COUNT(*) AS n FROM student_links l "
      "JOIN roster_records r ON r.id = l.record_id WHERE r.batch_id = $1 GROUP BY 1, 2 "
      "UNION ALL SELECT 'paid', (o.paid_at + 28800000) / 86400000, COUNT(*) FROM pay_orders o "
      "WHERE o.batch_id = $1 AND o.paid_at IS NOT NULL AND o.state IN ('paid', 'refund_pending', 'refunded') GROUP BY 1, 2 "
      "UNION ALL SELECT 'submitted', (s.submitted_at + 28800000) / 86400000, COUNT(*) FROM collect_submissions s "
      "WHERE s.batch_id = $1 GROUP BY 1, 2 "
      "UNION ALL SELECT 'approved', (c.approved_at + 28800000) / 86400000, COUNT(*) FROM collect_records c "
      "WHERE c.batch_id = $1 AND c.approved_at > 0 GROUP BY 1, 2 ORDER BY 2";
  db_res *r = db_query(db, err, sql, DB_INT(batch_id));
  if (!r) return -1;
  for (int i = 0; i < db_res_rows(r); i++) {
    char name[32];
    day_name(db_res_int_at(r, i, "day"), name);
    json_t *d = NULL, *x;
    size_t k;
    json_array_foreach(days, k, x) if (!strcmp(json_string_value(json_object_get(x, "day")), name)) d = x;
    if (!d) {
      d = json_pack("{s:s,s:i,s:i,s:i,s:i}", "day", name, "linked", 0, "paid", 0, "submitted", 0, "approved", 0);
      json_array_append_new(days, d);
    }
    json_object_set_new(d, db_res_text_at(r, i, "what"), json_integer(db_res_int_at(r, i, "n")));
  }
  db_res_free(r);
  return 0;
}

json_t *office_progress(db_t *db, int64_t batch_id, err_t *err) {
  db_res *r = db_query(db, err,
                       "SELECT r.college, r.major, " STATUS_SQL " AS status, COUNT(*) AS n" FROM_SQL
                       " GROUP BY 1, 2, 3 ORDER BY 1, 2",
                       DB_INT(batch_id));
  if (!r) return NULL;
  json_t *out = json_pack("{s:I,s:i,s:o,s:[],s:[],s:[]}", "batch_id", (json_int_t)batch_id, "total", 0, "statuses",
                          zero_statuses(), "colleges", "majors", "days");
  for (int i = 0; i < db_res_rows(r); i++) {
    const char *college = db_res_text_at(r, i, "college"), *major = db_res_text_at(r, i, "major"),
               *status = db_res_text_at(r, i, "status");
    int64_t n = db_res_int_at(r, i, "n");
    add(out, status, n);
    add(find_group(json_object_get(out, "colleges"), college, NULL), status, n);
    add(find_group(json_object_get(out, "majors"), college, major), status, n);
  }
  db_res_free(r);
  if (per_day(db, batch_id, json_object_get(out, "days"), err) < 0) {
    json_decref(out);
    return NULL;
  }
  return out;
}

static const char *label_of(const char *code) {
  for (int i = 0; i < PROGRESS_N_STATUS; i++)
    if (!strcmp(code, progress_status_codes[i])) return progress_status_labels[i];
  return code;
}

/* The name and the phone, opened for the office's own roster; "" when there is none. */
static char *opened(const db_res *r, int row, int col) {
  if (db_res_is_null(r, row, col) || !*db_res_text(r, row, col)) return xstrdup("");
  err_t e = {0};
  char *t = vault_open_text(db_res_text(r, row, col), &e);
  return t ? t : xstrdup("");
}

json_t *office_pending(db_t *db, int64_t batch_id, const char *college, err_t *err) {
  db_res *r =
      db_query(db, err,
               "SELECT * FROM (SELECT r.id, r.student_no, r.name_sealed, r.college, r.major, " STATUS_SQL
               " AS status, l.account_id, a.phone_sealed, (SELECT MAX(m.sent_at) FROM office_reminders m "
               "WHERE m.record_id = r.id) AS reminded" FROM_SQL_ACCOUNTS
               ") t WHERE t.status <> 'approved' AND ($2 = '' OR t.college = $2) ORDER BY t.college, t.student_no",
               DB_INT(batch_id), DB_TEXT(college ? college : ""));
  if (!r) return NULL;
  json_t *list = json_array();
  /* The loop reads many rows: each column is looked up once. */
  int c_id = db_res_col(r, "id"), c_no = db_res_col(r, "student_no"), c_name = db_res_col(r, "name_sealed");
  int c_college = db_res_col(r, "college"), c_major = db_res_col(r, "major"), c_status = db_res_col(r, "status");
  int c_account = db_res_col(r, "account_id"), c_phone = db_res_col(r, "phone_sealed");
  int c_reminded = db_res_col(r, "reminded");
  for (int i = 0; i < db_res_rows(r); i++) {
    char *name = opened(r, i, c_name), *phone = opened(r, i, c_phone);
    json_array_append_new(
        list,
        json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:I}", "record_id", (json_int_t)db_res_int(r, i, c_id),
                  "student_no", db_res_text(r, i, c_no), "name", name, "college", db_res_text(r, i, c_college), "major",
                  db_res_text(r, i, c_major), "status", db_res_text(r, i, c_status), "status_label",
                  label_of(db_res_text(r, i, c_status)), "phone", phone, "can_remind", !db_res_is_null(r, i, c_account),
                  "reminded_at", (json_int_t)(db_res_is_null(r, i, c_reminded) ? 0 : db_res_int(r, i, c_reminded))));
    sodium_memzero(name, strlen(name));
    sodium_memzero(phone, strlen(phone));
    free(name);
    free(phone);
  }
  db_res_free(r);
  return list;
}

int office_record_status(db_t *db, int64_t batch_id, int64_t record_id, char out[16], int64_t *account_id, err_t *err) {
  db_res *r = db_query(db, err, "SELECT " STATUS_SQL " AS status, l.account_id" FROM_SQL " AND r.id = $2",
                       DB_INT(batch_id), DB_INT(record_id));
  if (!r) return -1;
  if (!db_res_rows(r)) {
    db_res_free(r);
    return err_set(err, 404, "record_not_found", "本批次名单中没有这名学生");
  }
  snprintf(out, 16, "%s", db_res_text_at(r, 0, "status"));
  *account_id = db_res_is_null_at(r, 0, "account_id") ? 0 : db_res_int_at(r, 0, "account_id");
  db_res_free(r);
  return 0;
}

const char *office_status_label(const char *code) { return label_of(code); }

static const char *const COLS[] = {"student_no", "name", "college", "major", "status_label"};
static const char *const HEADS[] = {"学号", "姓名", "学院", "专业", "状态"};

int office_pending_csv(const json_t *list, uint8_t **out, size_t *len, err_t *err) {
  textbuf b = {0};
  textbuf_puts(&b, "\xEF\xBB\xBF");
  for (int c = 0; c < 5; c++) csv_field(&b, HEADS[c], c == 4);
  size_t i;
  json_t *row;
  json_array_foreach(list, i, row) for (int c = 0; c < 5; c++)
      csv_field(&b, json_string_value(json_object_get(row, COLS[c])), c == 4);
  (void)err;
  *out = (uint8_t *)b.p;
  *len = b.len;
  return 0;
}

int office_pending_xlsx(const json_t *list, const char *tmp_dir, uint8_t **out, size_t *len, err_t *err) {
  char path[XLSX_MEM_PATH];
  lxw_workbook *wb = xlsx_mem_open(tmp_dir, path, err);
  if (!wb) return -1;
  lxw_worksheet *ws = workbook_add_worksheet(wb, "未完成");
  for (int c = 0; c < 5; c++) worksheet_write_string(ws, 0, (lxw_col_t)c, HEADS[c], NULL);
  size_t i;
  json_t *row;
  json_array_foreach(list, i, row) for (int c = 0; c < 5; c++) worksheet_write_string(
      ws, (lxw_row_t)(i + 1), (lxw_col_t)c, json_string_value(json_object_get(row, COLS[c])), NULL);
  return xlsx_mem_close(wb, path, out, len, err);
}
