/* roster: see roster.h. */
#include "identity/roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/batch.h"
#include "identity/code.h"
#include "util/clock.h"
#include "util/vault.h"
#include "util/xmalloc.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct seen {
  const char *no;
  int line;
} seen;
static int cmp_seen(const void *a, const void *b) {
  const seen *x = a, *y = b;
  int c = strcmp(x->no, y->no);
  return c ? c : x->line - y->line;
}

static int cmp_error(const void *a, const void *b) {
  return ((const roster_error *)a)->line - ((const roster_error *)b)->line;
}

int roster_import(db_t *db, int64_t batch_id, roster_parsed *p, roster_import_result *res, err_t *err) {
  return roster_import_then(db, batch_id, p, NULL, NULL, res, err);
}

int roster_import_then(db_t *db, int64_t batch_id, roster_parsed *p, roster_import_hook then, void *ctx,
                       roster_import_result *res, err_t *err) {
  memset(res, 0, sizeof *res);
  batch b;
  if (batch_get(db, batch_id, &b, err) != 0) return -1;
  /* Duplicates inside the file: keep the first, report the later lines. */
  char *dup = xcalloc((size_t)p->n_rows + 1, 1);
  seen *order = xmallocarray((size_t)p->n_rows + 1, sizeof *order);
  for (int i = 0; i < p->n_rows; i++) order[i] = (seen){p->rows[i].student_no, i};
  qsort(order, (size_t)p->n_rows, sizeof *order, cmp_seen);
  for (int i = 1; i < p->n_rows; i++)
    if (strcmp(order[i].no, order[i - 1].no) == 0) {
      dup[order[i].line] = 1;
      char why[160];
      snprintf(why, sizeof why, "学号 %s 在文件中重复出现", p->rows[order[i].line].student_no);
      roster_note_error(p, p->rows[order[i].line].line, why);
    }
  free(order);
  if (p->n_errors > 1) qsort(p->errors, (size_t)p->n_errors, sizeof *p->errors, cmp_error);
  /* Which student numbers the batch has already: counts inserts and updates. */
  db_res *ex = db_query(db, err, "SELECT student_no FROM roster_records WHERE batch_id = $1", DB_INT(batch_id));
  if (!ex) {
    free(dup);
    return -1;
  }
  int nex = db_res_rows(ex);
  const char **have = xmallocarray((size_t)nex + 1, sizeof *have);
  for (int i = 0; i < nex; i++) have[i] = db_res_text_at(ex, i, "student_no");
  qsort(have, (size_t)nex, sizeof *have, cmp_str);
  int rc = 0;
  if (db_begin(db, err) != 0) rc = -1;
  int64_t now = clock_now_ms();
  for (int i = 0; rc == 0 && i < p->n_rows; i++) {
    if (dup[i]) continue;
    roster_row *r = &p->rows[i];
    char id_hash[65], id_masked[24], name_masked[64];
    vault_lookup_hash("id_number", r->id_number, id_hash);
    code_mask_id(r->id_number, id_masked);
    code_mask_name(r->name, name_masked);
    char *name_sealed = vault_seal_text(r->name, err);
    char *id_sealed = name_sealed ? vault_seal_text(r->id_number, err) : NULL;
    if (!id_sealed) {
      free(name_sealed);
      rc = -1;
      break;
    }
    int64_t n =
        db_exec(db, err,
                "INSERT INTO roster_records (batch_id, school_id, student_no, name_sealed, name_masked, "
                "id_sealed, id_hash, id_masked, college, major, degree, grad_year, created_at, updated_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) "
                "ON CONFLICT (batch_id, student_no) DO UPDATE SET name_sealed = excluded.name_sealed, "
                "name_masked = excluded.name_masked, id_sealed = excluded.id_sealed, id_hash = excluded.id_hash, "
                "id_masked = excluded.id_masked, college = excluded.college, major = excluded.major, "
                "degree = excluded.degree, grad_year = excluded.grad_year, updated_at = excluded.updated_at",
                DB_INT(batch_id), DB_INT(b.school_id), DB_TEXT(r->student_no), DB_TEXT(name_sealed),
                DB_TEXT(name_masked), DB_TEXT(id_sealed), DB_TEXT(id_hash), DB_TEXT(id_masked), DB_TEXT(r->college),
                DB_TEXT(r->major), DB_TEXT(r->degree), DB_INT(r->grad_year), DB_INT(now));
    free(name_sealed);
    free(id_sealed);
    if (n < 0) {
      rc = -1;
      break;
    }
    const char *key = r->student_no;
    if (bsearch(&key, have, (size_t)nex, sizeof *have, cmp_str))
      res->updated++;
    else
      res->inserted++;
  }
  if (rc == 0 && then && then(db, batch_id, b.school_id, ctx, err) != 0) rc = -1;
  if (rc == 0 && db_commit(db, err) != 0) rc = -1;
  if (rc != 0) {
    db_rollback(db);
    memset(res, 0, sizeof *res);
  }
  free(have);
  db_res_free(ex);
  free(dup);
  return rc;
}

json_t *roster_result_json(const roster_parsed *p, const roster_import_result *res) {
  json_t *errs = json_array();
  for (int i = 0; i < p->n_errors; i++)
    json_array_append_new(errs, json_pack("{s:i, s:s}", "line", p->errors[i].line, "reason", p->errors[i].reason));
  return json_pack("{s:i, s:i, s:i, s:o}", "inserted", res->inserted, "updated", res->updated, "rejected",
                   p->n_errors_total, "errors", errs);
}

json_t *roster_list(db_t *db, int64_t batch_id, int64_t offset, int64_t limit, err_t *err) {
  db_res *r = db_query(db, err,
                       "SELECT r.id, r.student_no, r.name_masked, r.id_masked, r.college, r.major, r.degree, "
                       "r.grad_year, l.account_id, r.approved_at FROM roster_records r "
                       "LEFT JOIN student_links l ON l.record_id = r.id WHERE r.batch_id = $1 "
                       "ORDER BY r.student_no LIMIT $2 OFFSET $3",
                       DB_INT(batch_id), DB_INT(limit), DB_INT(offset));
  if (!r) return NULL;
  json_t *a = json_array();
  /* The loop reads many rows: each column is looked up once. */
  int c_id = db_res_col(r, "id"), c_student_no = db_res_col(r, "student_no");
  int c_name_masked = db_res_col(r, "name_masked"), c_id_masked = db_res_col(r, "id_masked");
  int c_college = db_res_col(r, "college"), c_major = db_res_col(r, "major");
  int c_degree = db_res_col(r, "degree"), c_grad_year = db_res_col(r, "grad_year");
  int c_account_id = db_res_col(r, "account_id"), c_approved_at = db_res_col(r, "approved_at");
  for (int i = 0; i < db_res_rows(r); i++)
    json_array_append_new(
        a, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b}", "id", (json_int_t)db_res_int(r, i, c_id),
                     "student_no", db_res_text(r, i, c_student_no), "name_masked", db_res_text(r, i, c_name_masked),
                     "id_masked", db_res_text(r, i, c_id_masked), "college", db_res_text(r, i, c_college), "major",
                     db_res_text(r, i, c_major), "degree", db_res_text(r, i, c_degree), "grad_year",
                     (json_int_t)db_res_int(r, i, c_grad_year), "linked", !db_res_is_null(r, i, c_account_id),
                     "approved", !db_res_is_null(r, i, c_approved_at)));
  db_res_free(r);
  return a;
}
