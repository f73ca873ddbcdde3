/* The store's contract, run against SQLite and PostgreSQL alike: parameters and types, NULLs,
 * blobs, RETURNING ids, transactions, unique violations, migrations applied once, and data that
 * survives closing and reopening. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "child_abort.h"
#include "store/store.h"
#include "testdb.h"

static void with_kind(void (*body)(enum testdb_kind)) {
  for (int k = 0; k < TESTDB_KINDS; k++) body((enum testdb_kind)k);
}

static void roundtrips_every_type(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  assert_non_null(db);
  const char *blob_type = kind == TESTDB_SQLITE ? "BLOB" : "BYTEA";
  char sql[256];
  snprintf(sql, sizeof sql, "CREATE TABLE t (id %s, n BIGINT, s TEXT, b %s)",
           kind == TESTDB_SQLITE ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY", blob_type);
  assert_int_equal(db_exec_a(db, &err, sql, (const db_val[]){{0}}), 0);
  const unsigned char bytes[] = {0, 1, 2, 255, 0, 'x'};
  db_res *r = db_query(db, &err, "INSERT INTO t (n, s, b) VALUES ($1, $2, $3) RETURNING id",
                       DB_INT(-9007199254740993LL), DB_TEXT("采集码 'quoted' \"x\""), DB_BLOB(bytes, sizeof bytes));
  assert_non_null(r);
  int64_t id = db_res_int(r, 0, 0);
  assert_true(id > 0);
  db_res_free(r);
  r = db_query(db, &err, "INSERT INTO t (n, s, b) VALUES ($1, $2, $3) RETURNING id", DB_NULL, DB_TEXT(NULL), DB_NULL);
  int64_t id2 = db_res_int(r, 0, 0);
  assert_true(id2 > id);
  db_res_free(r);

  r = db_query(db, &err, "SELECT n, s, b FROM t WHERE id = $1", DB_INT(id));
  assert_int_equal(db_res_rows(r), 1);
  assert_int_equal(db_res_int(r, 0, 0), -9007199254740993LL);
  assert_string_equal(db_res_text(r, 0, 1), "采集码 'quoted' \"x\"");
  size_t n = 0;
  const void *b = db_res_blob(r, 0, 2, &n);
  assert_int_equal(n, sizeof bytes);
  assert_memory_equal(b, bytes, sizeof bytes);
  db_res_free(r);

  r = db_query(db, &err, "SELECT n, s, b FROM t WHERE id = $1", DB_INT(id2));
  assert_true(db_res_is_null(r, 0, 0));
  assert_true(db_res_is_null(r, 0, 1));
  assert_true(db_res_is_null(r, 0, 2));
  assert_string_equal(db_res_text(r, 0, 1), "");
  db_res_free(r);

  /* A parameter used twice and out of order. */
  assert_int_equal(
      db_int(db, &err, -1, "SELECT COUNT(*) FROM t WHERE id = $2 OR id = $1 OR id = $2", DB_INT(id), DB_INT(id2)), 2);
  store_put(st, db);
  store_close(st);
}

static void rollback_discards_and_commit_keeps(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  assert_int_equal(db_exec(db, &err, "CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)"), 0);
  assert_int_equal(db_begin(db, &err), 0);
  assert_int_equal(db_exec(db, &err, "INSERT INTO kv VALUES ($1, $2)", DB_TEXT("a"), DB_INT(1)), 1);
  db_rollback(db);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM kv"), 0);
  assert_int_equal(db_begin(db, &err), 0);
  assert_int_equal(db_exec(db, &err, "INSERT INTO kv VALUES ($1, $2)", DB_TEXT("a"), DB_INT(1)), 1);
  assert_int_equal(db_commit(db, &err), 0);
  assert_int_equal(db_int(db, &err, -1, "SELECT v FROM kv WHERE k = $1", DB_TEXT("a")), 1);
  /* Unique violation is recognisable (for "already exists" answers) and answers 409. */
  err_clear(&err);
  assert_int_equal(db_exec(db, &err, "INSERT INTO kv VALUES ($1, $2)", DB_TEXT("a"), DB_INT(2)), -1);
  assert_true(db_last_was_unique_violation(db));
  assert_int_equal(err.status, 409);
  /* A bad statement is an error, not a crash, and the connection stays usable. */
  err_clear(&err);
  assert_null(db_query(db, &err, "SELECT nope FROM nowhere"));
  assert_true(err_is_set(&err));
  assert_false(db_last_was_unique_violation(db));
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM kv"), 1);
  /* Returning a connection with an open transaction rolls it back. */
  assert_int_equal(db_begin(db, &err), 0);
  assert_int_equal(db_exec(db, &err, "INSERT INTO kv VALUES ($1, $2)", DB_TEXT("b"), DB_INT(2)), 1);
  store_put(st, db);
  db = store_get(st, &err);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM kv"), 1);
  store_put(st, db);
  store_close(st);
}

static void migrations_apply_once_and_data_survives_reopen(enum testdb_kind kind) {
  char *url = NULL;
  store_t *st = testdb_open(kind, &url);
  int version = store_schema_version(st);
  assert_true(version >= 1);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  int64_t applied = db_int(db, &err, -1, "SELECT COUNT(*) FROM schema_migrations");
  assert_true(applied >= 1);
  assert_int_equal(db_exec(db, &err, "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)",
                           DB_TEXT("probe"), DB_TEXT("kept"), DB_INT(1)),
                   1);
  store_put(st, db);
  store_close(st);

  st = store_open(url, 4, &err);
  assert_non_null(st);
  assert_int_equal(store_schema_version(st), version);
  db = store_get(st, &err);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM schema_migrations"), applied);
  db_res *r = db_query(db, &err, "SELECT value FROM settings WHERE key = $1", DB_TEXT("probe"));
  assert_string_equal(db_res_text(r, 0, 0), "kept");
  db_res_free(r);
  store_put(st, db);
  store_close(st);
  free(url);
}

static void bad_url_fails_cleanly(void **state) {
  (void)state;
  err_t err = {0};
  assert_null(store_open("postgres://nobody@127.0.0.1:1/none?connect_timeout=2", 2, &err));
  assert_true(err_is_set(&err));
  assert_null(strstr(err.message, "password"));
  err_clear(&err);
  assert_null(store_open("sqlite:/nonexistent-dir/x/y.db", 2, &err));
  assert_true(err_is_set(&err));
}

/* Many more threads than connections: every thread gets served, no connection is ever held by
 * two threads at once, and the pool never opens more connections than its size. */
enum { POOL = 2, THREADS = 12, ROUNDS = 150 };
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static db_t *held[THREADS];
static int distinct_seen;
static db_t *seen[64];

static void *hammer(void *arg) {
  store_t *st = ((void **)arg)[0];
  int me = (int)(intptr_t)((void **)arg)[1];
  for (int i = 0; i < ROUNDS; i++) {
    err_t err = {0};
    db_t *db = store_get(st, &err);
    if (!db) return (void *)1;
    pthread_mutex_lock(&held_lock);
    for (int k = 0; k < THREADS; k++)
      if (held[k] == db) {
        pthread_mutex_unlock(&held_lock);
        return (void *)2; /* shared with another thread */
      }
    held[me] = db;
    int known = 0;
    for (int k = 0; k < distinct_seen; k++) known |= seen[k] == db;
    if (!known && distinct_seen < 64) seen[distinct_seen++] = db;
    pthread_mutex_unlock(&held_lock);
    if (db_int(db, &err, -1, "SELECT 1") != 1) return (void *)3;
    pthread_mutex_lock(&held_lock);
    held[me] = NULL;
    pthread_mutex_unlock(&held_lock);
    store_put(st, db);
  }
  return NULL;
}

static void pool_serves_every_waiter_exclusively(enum testdb_kind kind) {
  char *url = NULL;
  store_t *first = testdb_open(kind, &url);
  store_close(first);
  err_t err = {0};
  store_t *st = store_open(url, POOL, &err);
  assert_non_null(st);
  distinct_seen = 0;
  pthread_t th[THREADS];
  void *args[THREADS][2];
  for (int i = 0; i < THREADS; i++) {
    args[i][0] = st;
    args[i][1] = (void *)(intptr_t)i;
    pthread_create(&th[i], NULL, hammer, args[i]);
  }
  for (int i = 0; i < THREADS; i++) {
    void *rc = NULL;
    pthread_join(th[i], &rc);
    assert_null(rc);
  }
  assert_true(distinct_seen <= POOL);
  store_close(st);
  free(url);
}

typedef struct col_lookup {
  const db_res *r;
  const char *name;
} col_lookup;

static void look_up(void *p) {
  const col_lookup *c = p;
  db_res_col(c->r, c->name);
}

/* Runs db_res_col(r, name) in a child and returns what it wrote to stderr; the child must die of
 * SIGABRT (a wrong name is a programming error, never an answer). */
static void expect_abort(const db_res *r, const char *name, char *said, size_t cap) {
  col_lookup c = {r, name};
  assert_true(child_aborts(look_up, &c, said, cap));
}

/* Columns by name read the same on both databases: aliases of expressions, plain columns under a
 * table alias, names in any case, an empty result's names; a missing or ambiguous name aborts
 * with the name and the statement's first words. */
static void reads_columns_by_name(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  assert_non_null(db);
  const char *blob_type = kind == TESTDB_SQLITE ? "BLOB" : "BYTEA";
  char sql[256];
  snprintf(sql, sizeof sql, "CREATE TABLE c (id %s, n BIGINT, s TEXT, b %s)",
           kind == TESTDB_SQLITE ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY", blob_type);
  assert_int_equal(db_exec_a(db, &err, sql, (const db_val[]){{0}}), 0);
  const unsigned char bytes[] = {7, 0, 9};
  assert_int_equal(db_exec(db, &err, "INSERT INTO c (n, s, b) VALUES ($1, $2, $3), ($4, NULL, NULL)", DB_INT(5),
                           DB_TEXT("五"), DB_BLOB(bytes, sizeof bytes), DB_INT(8)),
                   2);

  db_res *r = db_query(db, &err,
                       "SELECT x.id, x.s, x.b, x.n * 2 AS twice, COUNT(*) OVER () AS n, MAX(x.n) OVER () AS LastN "
                       "FROM c x ORDER BY x.id");
  assert_non_null(r);
  assert_int_equal(db_res_rows(r), 2);
  assert_int_equal(db_res_col(r, "id"), 0);
  assert_int_equal(db_res_col(r, "s"), 1);
  assert_int_equal(db_res_col(r, "twice"), 3);
  assert_int_equal(db_res_col(r, "n"), 4);
  /* Unquoted names fold: PostgreSQL says "lastn", SQLite "LastN"; both answer either spelling. */
  assert_int_equal(db_res_col(r, "lastn"), 5);
  assert_int_equal(db_res_col(r, "LASTN"), 5);
  assert_true(db_res_int_at(r, 0, "id") > 0);
  assert_int_equal(db_res_int_at(r, 0, "twice"), 10);
  assert_int_equal(db_res_int_at(r, 1, "twice"), 16);
  assert_int_equal(db_res_int_at(r, 1, "n"), 2);
  assert_int_equal(db_res_int_at(r, 0, "lastn"), 8);
  assert_string_equal(db_res_text_at(r, 0, "s"), "五");
  assert_false(db_res_is_null_at(r, 0, "s"));
  assert_true(db_res_is_null_at(r, 1, "s"));
  assert_string_equal(db_res_text_at(r, 1, "s"), "");
  size_t len = 99;
  const void *b = db_res_blob_at(r, 0, "b", &len);
  assert_int_equal(len, sizeof bytes);
  assert_memory_equal(b, bytes, sizeof bytes);
  assert_null(db_res_blob_at(r, 1, "b", &len));
  assert_int_equal(len, 0);
  /* Past the last row reads as NULL, by name as by index. */
  assert_true(db_res_is_null_at(r, 2, "s"));

  char said[512];
  expect_abort(r, "grad_year", said, sizeof said);
  assert_non_null(strstr(said, "\"grad_year\" does not exist"));
  assert_non_null(strstr(said, "SELECT x.id, x.s, x.b"));
  db_res_free(r);

  /* Two columns of one name: asking for it is ambiguous, not the first of them. */
  r = db_query(db, &err, "SELECT x.id, y.id FROM c x JOIN c y ON y.id = x.id");
  assert_non_null(r);
  expect_abort(r, "id", said, sizeof said);
  assert_non_null(strstr(said, "\"id\" is ambiguous"));
  db_res_free(r);

  /* An empty result still knows its columns; RETURNING names them too. */
  r = db_query(db, &err, "SELECT id AS the_id, s FROM c WHERE id < 0");
  assert_int_equal(db_res_rows(r), 0);
  assert_int_equal(db_res_col(r, "the_id"), 0);
  assert_true(db_res_is_null_at(r, 0, "s"));
  db_res_free(r);
  r = db_query(db, &err, "INSERT INTO c (n) VALUES ($1) RETURNING id AS new_id, n", DB_INT(3));
  assert_true(db_res_int_at(r, 0, "new_id") > 0);
  assert_int_equal(db_res_int_at(r, 0, "n"), 3);
  db_res_free(r);

  /* A failed query's NULL result reads as NULL, as by index. */
  err_t ignored = {0};
  r = db_query(db, &ignored, "SELECT nope FROM c");
  assert_null(r);
  assert_true(db_res_is_null_at(r, 0, "nope"));
  assert_int_equal(db_res_int_at(r, 0, "nope"), 0);
  store_put(st, db);
  store_close(st);
}

static void test_names(void **s) {
  (void)s;
  with_kind(reads_columns_by_name);
}

static void test_pool(void **s) {
  (void)s;
  with_kind(pool_serves_every_waiter_exclusively);
}

static void test_types(void **s) {
  (void)s;
  with_kind(roundtrips_every_type);
}
static void test_tx(void **s) {
  (void)s;
  with_kind(rollback_discards_and_commit_keeps);
}
static void test_migrations(void **s) {
  (void)s;
  with_kind(migrations_apply_once_and_data_survives_reopen);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_types), cmocka_unit_test(test_tx),    cmocka_unit_test(test_migrations),
      cmocka_unit_test(test_pool),  cmocka_unit_test(test_names), cmocka_unit_test(bad_url_fails_cleanly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
