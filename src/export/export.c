/* export.c: building a registry package for a batch (see export.h). */
#include "export/export.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "blob/blob.h"
#include "collect/collect.h"
#include "export/manifest.h"
#include "export/package.h"
#include "identity/batch.h"
#include "identity/code.h"
#include "identity/student.h"
#include "jobs/jobs.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

int export_operator_key(const export_env *env, operator_key *k, err_t *err) {
  char path[1024];
  const char *p = env->sign_key;
  if (!*p) snprintf(path, sizeof path, "%s/operator.key", env->data_dir), p = path;
  return operator_key_load(p, 1, k, err);
}

static void code_dir(const export_env *env, char out[1024]) {
  const char *d = env->code_pub_dir;
  if (*d)
    snprintf(out, 1024, "%s", d);
  else
    snprintf(out, 1024, "%s/code-keys", env->data_dir);
}

/* The registry sealing key: the setting, else the key most of the batch's linked codes name. */
static int seal_key(const export_env *env, db_t *db, int64_t batch_id, char kid[EXPORT_KID_LEN + 1], uint8_t pk[32],
                    err_t *err) {
  const char *k = env->seal_kid;
  char dir[1024];
  code_dir(env, dir);
  if (*k) {
    snprintf(kid, EXPORT_KID_LEN + 1, "%s", k);
  } else {
    db_res *r =
        db_query(db, err,
                 "SELECT l.seal_kid, COUNT(*) AS n FROM student_links l JOIN roster_records r ON r.id = l.record_id "
                 "WHERE r.batch_id = $1 GROUP BY l.seal_kid ORDER BY n DESC, l.seal_kid LIMIT 1",
                 DB_INT(batch_id));
    if (!r) return -1;
    int found = db_res_rows(r) > 0;
    if (found) snprintf(kid, EXPORT_KID_LEN + 1, "%s", db_res_text_at(r, 0, "seal_kid"));
    db_res_free(r);
    if (!found) return err_set(err, 409, "no_seal_key", "no registry sealing key: set export_seal_kid");
  }
  return code_seal_pub_load(dir, kid, pk, err);
}

typedef struct item {
  collect_approved a;
  student_record s;
} item;

static int by_college(const void *x, const void *y) {
  const item *a = x, *b = y;
  int c = strcmp(a->s.college, b->s.college);
  return c ? c : strcmp(a->s.student_no, b->s.student_no);
}

/* Student numbers become file names: only characters safe everywhere. */
static int number_ok(const char *s) {
  if (!*s || strlen(s) > 32) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '-' || *s == '_'))
      return 0;
  return 1;
}

static int finish_rows(db_t *db, int64_t package_id, const export_result *res, const char *seal_kid,
                       const char *signer_kid, const item *items, const manifest *man, int reexport, int actor_role,
                       int64_t actor_id, int64_t batch_id, err_t *err) {
  if (db_begin(db, err) < 0) return -1;
  const char *base = strrchr(res->path, '/');
  base = base ? base + 1 : res->path;
  struct stat st;
  int64_t bytes = stat(res->path, &st) == 0 ? (int64_t)st.st_size : 0;
  int rc = db_exec(db, err,
                   "UPDATE export_packages SET state = 'done', file_name = $1, sha256 = $2, bytes = $3, photos = $4, "
                   "seal_kid = $5, signer_kid = $6, finished_at = $7, error = NULL WHERE id = $8",
                   DB_TEXT(base), DB_TEXT(res->sha256), DB_INT(bytes), DB_INT(res->photos), DB_TEXT(seal_kid),
                   DB_TEXT(signer_kid), DB_INT(clock_now_ms()), DB_INT(package_id)) == 1
               ? 0
               : -1;
  for (int i = 0; !rc && i < man->n; i++) {
    rc = db_exec(db, err, "INSERT INTO export_items (package_id, record_id, file_name, sha256) VALUES ($1, $2, $3, $4)",
                 DB_INT(package_id), DB_INT(items[i].a.record_id), DB_TEXT(man->rows[i].file),
                 DB_TEXT(man->rows[i].sha256)) == 1
             ? 0
             : -1;
    if (!rc && !items[i].a.exported_at) rc = collect_mark_exported(db, items[i].a.record_id, err);
  }
  if (!rc) {
    json_t *d = json_pack("{s:I,s:I,s:i,s:b,s:s}", "batch_id", (json_int_t)batch_id, "package_id",
                          (json_int_t)package_id, "photos", res->photos, "reexport", reexport, "sha256", res->sha256);
    rc =
        audit_log(db, actor_role, actor_id, reexport ? "export.reexport" : "export.package", "batch", batch_id, d, err);
    json_decref(d);
  }
  if (!rc) rc = db_commit(db, err);
  if (rc) db_rollback(db);
  return rc;
}

/* The approved photos of the batch with their students, sorted by college then number; 409 when
 * there is none, 422 when a student number cannot be a file name. */
static int load_items(db_t *db, int64_t batch_id, int reexport, item **out, int *count, err_t *err) {
  collect_approved *ap = NULL;
  int n = 0;
  *out = NULL;
  *count = 0;
  if (collect_approved_list(db, batch_id, reexport, &ap, &n, err) < 0) return -1;
  if (n == 0) {
    free(ap);
    return err_set(err, 409, "nothing_to_export", "no approved photo to export in this batch");
  }
  item *items = xcalloc((size_t)n, sizeof *items);
  int rc = 0;
  for (int i = 0; i < n && !rc; i++) {
    items[i].a = ap[i];
    rc = student_record_get(db, ap[i].record_id, &items[i].s, err);
    if (!rc && !number_ok(items[i].s.student_no))
      rc = err_set(err, 422, "bad_student_no", "record %lld has a student number unusable as a file name",
                   (long long)ap[i].record_id);
  }
  free(ap);
  if (!rc) qsort(items, (size_t)n, sizeof *items, by_college);
  *out = items;
  *count = n;
  return rc;
}

/* The package's row, queued, when the caller has none yet (a job brings its own). */
static int64_t insert_package_row(db_t *db, int64_t batch_id, int reexport, int actor_role, int64_t actor_id,
                                  err_t *err) {
  db_res *r =
      db_query(db, err,
               "INSERT INTO export_packages (batch_id, state, reexport, actor_role, actor_id, created_at) "
               "VALUES ($1, 'queued', $2, $3, $4, $5) RETURNING id",
               DB_INT(batch_id), DB_INT(reexport), DB_INT(actor_role), DB_INT(actor_id), DB_INT(clock_now_ms()));
  if (!r) return -1;
  int64_t id = db_res_rows(r) ? db_res_int_at(r, 0, "id") : 0;
  db_res_free(r);
  if (!id) return err_set(err, 0, "export_row", "cannot record the package");
  return id;
}

/* Where the package goes: the caller's path, or <data>/exports/batch-B-package-P.tcpkg, started
 * over when a retried job finds its earlier attempt. */
static int package_path(const char *data_dir, const char *out_path, int64_t batch_id, int64_t package_id,
                        export_result *res, err_t *err) {
  if (out_path) {
    snprintf(res->path, sizeof res->path, "%s", out_path);
    return 0;
  }
  char dir[900];
  snprintf(dir, sizeof dir, "%s/exports", data_dir);
  int rc = 0;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    rc = err_set(err, 0, "export_dir", "cannot create the exports directory");
  snprintf(res->path, sizeof res->path, "%s/batch-%lld-package-%lld.tcpkg", dir, (long long)batch_id,
           (long long)package_id);
  unlink(res->path); /* a retried job starts over */
  return rc;
}

/* Each student's standardized photo as photos/<number>.jpg, with its manifest row. */
static int add_photos(package_writer *w, blob_store *bs, db_t *db, const item *items, int n, manifest *man,
                      err_t *err) {
  int rc = 0;
  for (int i = 0; i < n && !rc; i++) {
    uint8_t *jpg = NULL;
    size_t len = 0;
    rc = blob_get(bs, db, items[i].a.standardized_blob, &jpg, &len, err);
    if (rc) break;
    manifest_row row = {0};
    snprintf(row.number, sizeof row.number, "%s", items[i].s.student_no);
    snprintf(row.name_masked, sizeof row.name_masked, "%s", items[i].s.name_masked);
    snprintf(row.college, sizeof row.college, "%s", items[i].s.college);
    snprintf(row.file, sizeof row.file, "%s.jpg", items[i].s.student_no);
    sha256_hex(jpg, len, row.sha256);
    char name[100];
    snprintf(name, sizeof name, "photos/%s", row.file);
    rc = package_add_file(w, name, jpg, len, err);
    sodium_memzero(jpg, len);
    free(jpg);
    if (!rc) manifest_add(man, &row);
  }
  return rc;
}

/* manifest.csv, manifest.xlsx and package.json (the batch, the count and both manifests' hashes). */
static int add_manifests(package_writer *w, const manifest *man, const batch *b, int64_t batch_id, int reexport,
                         const char *tmp_dir, err_t *err) {
  uint8_t *csv = NULL, *xlsx = NULL;
  size_t csv_len = 0, xlsx_len = 0;
  int rc = manifest_csv(man, &csv, &csv_len, err);
  if (!rc) rc = manifest_xlsx(man, tmp_dir, &xlsx, &xlsx_len, err);
  if (!rc) rc = package_add_file(w, "manifest.csv", csv, csv_len, err);
  if (!rc) rc = package_add_file(w, "manifest.xlsx", xlsx, xlsx_len, err);
  if (!rc) {
    char csv_sha[65], xlsx_sha[65];
    sha256_hex(csv, csv_len, csv_sha);
    sha256_hex(xlsx, xlsx_len, xlsx_sha);
    json_t *meta =
        json_pack("{s:i,s:{s:I,s:s,s:s,s:s},s:s,s:i,s:s,s:s,s:b}", "v", 1, "batch", "id", (json_int_t)batch_id, "name",
                  b->name, "school_code", b->school_code, "school_name", b->school_name, "profile", b->profile, "count",
                  man->n, "manifest_csv_sha256", csv_sha, "manifest_xlsx_sha256", xlsx_sha, "reexport", reexport);
    char *mj = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(meta);
    rc = mj ? package_add_file(w, "package.json", (const uint8_t *)mj, strlen(mj), err) : err_set(err, 0, "oom", "oom");
    free(mj);
  }
  free(csv);
  free(xlsx);
  return rc;
}

static int build(const export_env *env, db_t *db, int64_t batch_id, int reexport, int actor_role, int64_t actor_id,
                 const char *out_path, int64_t package_id, export_result *res, err_t *err) {
  memset(res, 0, sizeof *res);
  batch b;
  if (batch_get(db, batch_id, &b, err) < 0) return -1;
  item *items = NULL;
  int n = 0;
  int rc = load_items(db, batch_id, reexport, &items, &n, err);
  if (rc && !items) return -1;
  char seal_kid[EXPORT_KID_LEN + 1] = "";
  uint8_t seal_pk[32];
  operator_key op;
  memset(&op, 0, sizeof op);
  if (!rc) rc = seal_key(env, db, batch_id, seal_kid, seal_pk, err);
  if (!rc) rc = export_operator_key(env, &op, err);
  if (!rc && !package_id) {
    package_id = insert_package_row(db, batch_id, reexport, actor_role, actor_id, err);
    if (package_id < 0) {
      package_id = 0;
      rc = -1;
    }
  }
  res->package_id = package_id;
  if (!rc) rc = package_path(env->data_dir, out_path, batch_id, package_id, res, err);
  blob_store *bs = env->blobs;
  package_writer *w = NULL;
  if (!rc && !(w = package_writer_open(res->path, seal_pk, seal_kid, &op, clock_now_ms(), err))) rc = -1;
  manifest man = {0};
  if (!rc) rc = add_photos(w, bs, db, items, n, &man, err);
  char tmp[1024];
  snprintf(tmp, sizeof tmp, "%s/tmp", env->data_dir);
  if (!rc) rc = add_manifests(w, &man, &b, batch_id, reexport, tmp, err);
  if (w) {
    if (!rc)
      rc = package_writer_finish(w, res->sha256, err);
    else
      package_writer_abort(w);
  }
  res->photos = man.n;
  if (!rc)
    rc = finish_rows(db, package_id, res, seal_kid, op.kid, items, &man, reexport, actor_role, actor_id, batch_id, err);
  if (rc && w && !out_path) unlink(res->path);
  sodium_memzero(&op, sizeof op);
  manifest_free(&man);
  free(items);
  if (!rc) {
    char pid[24], cnt[16];
    snprintf(pid, sizeof pid, "%lld", (long long)package_id);
    snprintf(cnt, sizeof cnt, "%d", res->photos);
    log_info("export package built", "package_id", pid, "photos", cnt, NULL);
  }
  return rc;
}

int export_batch_to(const export_env *env, int64_t batch_id, int reexport, int actor_role, int64_t actor_id,
                    const char *out_path, export_result *res, err_t *err) {
  db_t *db = store_get(env->store, err);
  if (!db) return -1;
  int rc = build(env, db, batch_id, reexport, actor_role, actor_id, out_path, 0, res, err);
  store_put(env->store, db);
  return rc;
}

int64_t export_request(db_t *db, int64_t batch_id, int reexport, int actor_role, int64_t actor_id, err_t *err) {
  collect_approved *ap = NULL;
  int n = 0;
  if (collect_approved_list(db, batch_id, reexport, &ap, &n, err) < 0) return -1;
  free(ap);
  if (n == 0) return err_set(err, 409, "nothing_to_export", "no approved photo to export in this batch");
  if (db_begin(db, err) < 0) return -1;
  db_res *r =
      db_query(db, err,
               "INSERT INTO export_packages (batch_id, state, reexport, actor_role, actor_id, created_at) "
               "VALUES ($1, 'queued', $2, $3, $4, $5) RETURNING id",
               DB_INT(batch_id), DB_INT(reexport), DB_INT(actor_role), DB_INT(actor_id), DB_INT(clock_now_ms()));
  int64_t id = r && db_res_rows(r) ? db_res_int_at(r, 0, "id") : -1;
  db_res_free(r);
  if (id > 0) {
    json_t *p = json_pack("{s:I}", "package_id", (json_int_t)id);
    jobs_enqueue_opts o = {.max_attempts = 3};
    if (jobs_enqueue(db, "export.package", p, &o, err) < 0) id = -1;
    json_decref(p);
  }
  if (id > 0 && db_commit(db, err) < 0) id = -1;
  if (id < 0) db_rollback(db);
  return id;
}

static int job_export(void *ctx, db_t *db, job *j, err_t *err) {
  const export_env *env = ctx;
  int64_t id = json_integer_value(json_object_get(j->payload, "package_id"));
  db_res *r = db_query(
      db, err, "SELECT batch_id, reexport, actor_role, actor_id, state FROM export_packages WHERE id = $1", DB_INT(id));
  if (!r) return -1;
  if (db_res_rows(r) == 0 || strcmp(db_res_text_at(r, 0, "state"), "queued") != 0) {
    db_res_free(r);
    return 0; /* gone or already built */
  }
  int64_t batch_id = db_res_int_at(r, 0, "batch_id"), actor = db_res_int_at(r, 0, "actor_id");
  int reexport = (int)db_res_int_at(r, 0, "reexport"), role = (int)db_res_int_at(r, 0, "actor_role");
  db_res_free(r);
  export_result res;
  if (build(env, db, batch_id, reexport, role, actor, NULL, id, &res, err) == 0) return 0;
  if ((err->status >= 400 && err->status < 500) || j->attempts >= j->max_attempts) {
    err_t e2 = {0};
    db_exec(db, &e2, "UPDATE export_packages SET state = 'failed', error = $1, finished_at = $2 WHERE id = $3",
            DB_TEXT(err->code), DB_INT(clock_now_ms()), DB_INT(id));
    if (err->status >= 400 && err->status < 500) err->status = 422;
  }
  return -1;
}

void export_jobs_register(export_env *env) {
  static const job_kind k = {.type = "export.package", .handler = job_export, .lease_ms = 600000};
  jobs_register(&k, env);
}
