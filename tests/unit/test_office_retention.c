/* Retention purge on SQLite and PostgreSQL: with timestamps set back, exactly the files the policy
 * names are destroyed (originals and unapproved attempts N days after approval; the approved photo
 * N days after the last package that carried it; open deletion requests of unfinished
 * collections; the school's reference photo and its print with the student's photos) and every
 * other file still decrypts; a second run finds nothing to do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob.h"
#include "office/retention.h"
#include "testdb.h"
#include "util/clock.h"

#define DAY (24 * 3600 * 1000LL)

typedef struct world {
  blob_store *bs;
  db_t *db;
  int64_t now;
} world;

static int64_t put(world *w, const char *kind) {
  err_t err = {0};
  int64_t id = 0;
  char bytes[64];
  snprintf(bytes, sizeof bytes, "%s photo bytes %lld", kind, (long long)clock_now_ms());
  assert_int_equal(blob_put(w->bs, w->db, bytes, strlen(bytes), kind, &id, &err), 0);
  return id;
}

static int64_t one(world *w, const char *sql, const db_val *args) {
  err_t err = {0};
  db_res *r = db_query_a(w->db, &err, sql, args);
  if (!r) fprintf(stderr, "%s: %s\n", sql, err.message);
  assert_non_null(r);
  int64_t v = db_res_int(r, 0, 0);
  db_res_free(r);
  return v;
}

static int64_t attempt(world *w, int64_t rec, int64_t orig, int64_t std) {
  return one(w,
             "INSERT INTO collect_attempts (record_id, batch_id, school_id, account_id, state, original_blob, "
             "standardized_blob, created_at) VALUES ($1, 1, 1, $1, 'ready', $2, $3, 0) RETURNING id",
             (const db_val[]){DB_INT(rec), DB_INT(orig), DB_INT(std), {0}});
}

/* A record in `state` whose approved submission (0 = none) is of attempt `approved_attempt`. */
static void record(world *w, int64_t rec, const char *state, int64_t approved_attempt, int64_t approved_at) {
  int64_t sub = 0;
  if (approved_attempt)
    sub = one(
        w,
        "INSERT INTO collect_submissions (record_id, batch_id, school_id, account_id, attempt_id, state, submitted_at, "
        "due_at) VALUES ($1, 1, 1, $1, $2, 'approved', 0, 0) RETURNING id",
        (const db_val[]){DB_INT(rec), DB_INT(approved_attempt), {0}});
  err_t err = {0};
  assert_int_equal(
      db_exec(w->db, &err,
              "INSERT INTO collect_records (record_id, batch_id, school_id, account_id, state, approved_submission, "
              "approved_at, updated_at) VALUES ($1, 1, 1, $1, $2, $3, $4, 0)",
              DB_INT(rec), DB_TEXT(state), DB_INT(sub), DB_INT(approved_at)),
      1);
}

/* The school's reference photo of record `rec` and its face print. */
static void reference(world *w, int64_t rec, int64_t photo, int64_t print) {
  err_t err = {0};
  assert_int_equal(
      db_exec(w->db, &err,
              "INSERT INTO reference_photos (record_id, batch_id, school_id, photo_blob, print_blob, state, "
              "created_at, updated_at) VALUES ($1, 1, 1, $2, $3, 'ready', 0, 0)",
              DB_INT(rec), DB_INT(photo), DB_INT(print)),
      1);
}

static void package(world *w, int64_t rec, const char *state, int64_t finished_at) {
  int64_t id = one(w,
                   "INSERT INTO export_packages (batch_id, state, actor_role, actor_id, created_at, finished_at) "
                   "VALUES (1, $1, 0, 0, 0, $2) RETURNING id",
                   (const db_val[]){DB_TEXT(state), DB_INT(finished_at), {0}});
  err_t err = {0};
  assert_int_equal(
      db_exec(w->db, &err,
              "INSERT INTO export_items (package_id, record_id, file_name, sha256) VALUES ($1, $2, 'f', 's')",
              DB_INT(id), DB_INT(rec)),
      1);
}

static int alive(world *w, int64_t id) {
  err_t err = {0};
  uint8_t *p = NULL;
  size_t n = 0;
  int rc = blob_get(w->bs, w->db, id, &p, &n, &err);
  free(p);
  if (rc) assert_int_equal(err.status, 404);
  return rc == 0;
}

static void run(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  char *dir = testdb_tmpdir();
  err_t err = {0};
  world w = {0};
  w.bs = blob_store_open("dir", dir, &err);
  assert_non_null(w.bs);
  w.db = store_get(st, &err);
  w.now = clock_now_ms();

  /* R1: approved 31 days ago after a retake; never exported. */
  int64_t o1a = put(&w, "original"), s1a = put(&w, "standardized"), o1b = put(&w, "original"),
          s1b = put(&w, "standardized");
  attempt(&w, 1, o1a, s1a);
  record(&w, 1, "approved", attempt(&w, 1, o1b, s1b), w.now - 31 * DAY);
  /* R2: approved 29 days ago: too early for anything. */
  int64_t o2 = put(&w, "original"), s2 = put(&w, "standardized");
  record(&w, 2, "approved", attempt(&w, 2, o2, s2), w.now - 29 * DAY);
  /* R3: exported 31 days ago (and a failed package later, which does not count). */
  int64_t o3 = put(&w, "original"), s3 = put(&w, "standardized");
  record(&w, 3, "exported", attempt(&w, 3, o3, s3), w.now - 60 * DAY);
  package(&w, 3, "done", w.now - 31 * DAY);
  package(&w, 3, "failed", w.now - 5 * DAY);
  /* R4: exported 40 and again 10 days ago: the last export counts. */
  int64_t o4 = put(&w, "original"), s4 = put(&w, "standardized");
  record(&w, 4, "shipped", attempt(&w, 4, o4, s4), w.now - 60 * DAY);
  package(&w, 4, "done", w.now - 40 * DAY);
  package(&w, 4, "done", w.now - 10 * DAY);
  /* R5: in review for 100 days, never approved. */
  int64_t o5 = put(&w, "original"), s5 = put(&w, "standardized");
  attempt(&w, 5, o5, s5);
  record(&w, 5, "in_review", 0, 0);
  /* R6: approved long ago, then reopened by an operator override: in the workflow again. */
  int64_t o6 = put(&w, "original"), s6 = put(&w, "standardized");
  record(&w, 6, "open", attempt(&w, 6, o6, s6), w.now - 90 * DAY);
  /* R7: in review, the student asked for deletion; R2 asked too but is approved. */
  int64_t o7 = put(&w, "original"), s7 = put(&w, "standardized");
  int64_t a7 = attempt(&w, 7, o7, s7);
  record(&w, 7, "in_review", 0, 0);
  one(&w,
      "INSERT INTO collect_submissions (record_id, batch_id, school_id, account_id, attempt_id, state, submitted_at, due_at) "
      "VALUES (7, 1, 1, 7, $1, 'pending', 0, 0) RETURNING id",
      (const db_val[]){DB_INT(a7), {0}});
  one(&w, "INSERT INTO deletion_requests (record_id, account_id, requested_at) VALUES (7, 7, 0) RETURNING id",
      (const db_val[]){{0}});
  int64_t req2 =
      one(&w, "INSERT INTO deletion_requests (record_id, account_id, requested_at) VALUES (2, 2, 0) RETURNING id",
          (const db_val[]){{0}});
  /* A support attachment, old: not a photo of the workflow. */
  int64_t att = put(&w, "attachment");
  /* Support attachments of R7's student go with the deletion; R2's (refused request) stay. */
  int64_t att7 = put(&w, "attachment"), att2 = put(&w, "attachment");
  one(&w,
      "INSERT INTO support_messages (account_id, school_id, from_role, author_id, body, attachment_blob, attachment_type, "
      "created_at) VALUES (7, 1, 1, 7, '', $1, 'image/jpeg', 0), (2, 1, 1, 2, '', $2, 'image/jpeg', 0) RETURNING id",
      (const db_val[]){DB_INT(att7), DB_INT(att2), {0}});

  /* Reference photos: R1's and R7's go (with the originals, with the deletion), R2's stays. */
  int64_t r1 = put(&w, "reference"), p1 = put(&w, "face_print"), r2 = put(&w, "reference"), p2 = put(&w, "face_print");
  int64_t r7 = put(&w, "reference"), p7 = put(&w, "face_print");
  reference(&w, 1, r1, p1);
  reference(&w, 2, r2, p2);
  reference(&w, 7, r7, p7);

  retention_counts c;
  assert_int_equal(retention_purge(w.bs, w.db, w.now, 30, 30, &c, &err), 0);
  assert_int_equal(c.originals, 4); /* o1a o1b o3 o4 */
  int64_t gone[] = {o1a, o1b, s1a, o3, s3, o4, o7, s7, att7, r1, p1, r7, p7};
  int64_t kept[] = {s1b, o2, s2, s4, o5, s5, o6, s6, att, att2, r2, p2};
  for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) assert_false(alive(&w, gone[i]));
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) assert_true(alive(&w, kept[i]));
  assert_int_equal(c.attempts, 1);     /* s1a */
  assert_int_equal(c.standardized, 1); /* s3 */
  assert_int_equal(c.withdrawn, 1);    /* R7; R2's request is refused (approved) */
  assert_int_equal(one(&w, "SELECT COUNT(*) FROM collect_submissions WHERE record_id = 7 AND state = 'withdrawn'",
                       (const db_val[]){{0}}),
                   1);
  assert_int_equal(
      one(&w, "SELECT COUNT(*) FROM collect_records WHERE record_id = 7 AND state = 'open'", (const db_val[]){{0}}), 1);
  assert_int_equal(one(&w, "SELECT COUNT(*) FROM support_messages WHERE account_id = 7 AND attachment_blob = 0",
                       (const db_val[]){{0}}),
                   1);
  assert_int_equal(one(&w, "SELECT COUNT(*) FROM deletion_requests WHERE id = $1 AND done_at IS NULL",
                       (const db_val[]){DB_INT(req2), {0}}),
                   1);
  assert_int_equal(one(&w, "SELECT originals + attempts + standardized + withdrawn FROM purge_runs ORDER BY id DESC",
                       (const db_val[]){{0}}),
                   c.originals + c.attempts + c.standardized + c.withdrawn);
  assert_int_equal(one(&w, "SELECT COUNT(*) FROM audit_log WHERE action = 'retention.purge'", (const db_val[]){{0}}),
                   1);
  assert_int_equal(one(&w, "SELECT COUNT(*) FROM reference_photos WHERE state = 'deleted'", (const db_val[]){{0}}), 2);

  /* Again: nothing left to do, nothing else touched. */
  assert_int_equal(retention_purge(w.bs, w.db, w.now, 30, 30, &c, &err), 0);
  assert_int_equal(c.originals + c.attempts + c.standardized + c.withdrawn, 0);
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) assert_true(alive(&w, kept[i]));

  /* A shorter setting reaches further: R2 (29 days) with retention 28, R4 with export 9. */
  assert_int_equal(retention_purge(w.bs, w.db, w.now, 28, 9, &c, &err), 0);
  assert_int_equal(c.originals, 1);
  assert_int_equal(c.standardized, 1);
  assert_false(alive(&w, o2));
  assert_false(alive(&w, r2));
  assert_false(alive(&w, p2));
  assert_false(alive(&w, s4));
  assert_true(alive(&w, s2));
  assert_true(alive(&w, s1b));
  assert_true(alive(&w, att));
  assert_int_equal(retention_purge(w.bs, w.db, w.now, -1, 9, &c, &err), -1);
  assert_int_equal(err.status, 400);

  store_put(st, w.db);
  blob_store_close(w.bs);
  store_close(st);
  free(dir);
}

static void test_sqlite(void **state) {
  (void)state;
  run(TESTDB_SQLITE);
}
static void test_postgres(void **state) {
  (void)state;
  run(TESTDB_POSTGRES);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_sqlite), cmocka_unit_test(test_postgres)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
