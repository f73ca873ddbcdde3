/* sqlite.c: the embedded store. WAL journal (readers never block the writer), a busy timeout so
 * that concurrent writers wait instead of failing, foreign keys on, synchronous=NORMAL (safe in
 * WAL: a committed transaction survives a process crash; only an OS crash may lose the last). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "util/number.h"
#include "util/xmalloc.h"

static void *sq_connect(const char *path, err_t *err) {
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK) {
    err_set(err, 0, "store_open", "sqlite open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 10000);
  char *msg = NULL;
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", NULL, NULL,
                   &msg) != SQLITE_OK) {
    err_set(err, 0, "store_open", "sqlite setup: %s", msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
    return NULL;
  }
  return db;
}

static void sq_disconnect(void *c) { sqlite3_close(c); }

static int bind_all(sqlite3_stmt *st, const db_val *params, err_t *err) {
  int n = 0;
  while (params && params[n].type != DB_T_END) n++;
  int want = sqlite3_bind_parameter_count(st);
  for (int i = 1; i <= want; i++) {
    /* Parameters are written $1..$n; SQLite numbers them by first appearance, so map by name. */
    const char *name = sqlite3_bind_parameter_name(st, i);
    int k = i;
    if (name && name[0] == '$' && parse_int(name + 1, 1, n, &k)) k = 0; /* $1..$n, nothing else */
    if (k < 1 || k > n) return err_set(err, 0, "store_bind", "parameter %s has no value", name ? name : "?");
    const db_val *v = &params[k - 1];
    int rc = SQLITE_OK;
    switch (v->type) {
      case DB_T_NULL:
        rc = sqlite3_bind_null(st, i);
        break;
      case DB_T_INT:
        rc = sqlite3_bind_int64(st, i, v->i);
        break;
      case DB_T_TEXT:
        rc = sqlite3_bind_text(st, i, v->s, -1, SQLITE_STATIC);
        break;
      case DB_T_BLOB:
        rc = sqlite3_bind_blob64(st, i, v->s, v->n, SQLITE_STATIC);
        break;
      default:
        break;
    }
    if (rc != SQLITE_OK) return err_set(err, 0, "store_bind", "bind: %s", sqlite3_errstr(rc));
  }
  return 0;
}

static int64_t sq_run(void *c, const char *sql, const db_val *params, db_res *res, err_t *err, int *uniq) {
  sqlite3 *db = c;
  sqlite3_stmt *st = NULL;
  *uniq = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    return err_set(err, 0, "store_sql", "sqlite prepare: %s", sqlite3_errmsg(db));
  if (bind_all(st, params, err) < 0) {
    sqlite3_finalize(st);
    return -1;
  }
  if (res) {
    int cols = sqlite3_column_count(st);
    const char *names[cols ? cols : 1];
    for (int i = 0; i < cols; i++) names[i] = sqlite3_column_name(st, i);
    db_res_set_cols(res, cols, names);
  }
  /* Changes made by this statement alone (DDL leaves sqlite3_changes at the last DML's count). */
  sqlite3_int64 before = sqlite3_total_changes64(db);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!res) continue;
    int row = db_res_add_row(res);
    for (int i = 0; i < res->cols; i++) {
      db_cell *cell = db_res_cell(res, row, i);
      int t = sqlite3_column_type(st, i);
      if (t == SQLITE_NULL) {
        cell->is_null = 1;
        continue;
      }
      if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) cell->i = sqlite3_column_int64(st, i);
      const void *p = t == SQLITE_BLOB ? sqlite3_column_blob(st, i) : (const void *)sqlite3_column_text(st, i);
      int n = sqlite3_column_bytes(st, i);
      cell->s = xmalloc((size_t)n + 1);
      if (n) memcpy(cell->s, p, (size_t)n);
      cell->s[n] = 0;
      cell->n = (size_t)n;
      if (t == SQLITE_TEXT) cell->i = strtoll(cell->s, NULL, 10);
    }
  }
  if (rc != SQLITE_DONE) {
    int ext = sqlite3_extended_errcode(db);
    *uniq = ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY;
    int status = *uniq ? 409 : 0;
    err_set(err, status, *uniq ? "conflict" : "store_sql", "sqlite: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return -1;
  }
  /* Rows the statement itself changed, as PostgreSQL counts them: not the rows its triggers
   * wrote (student_changes), which callers' compare-and-swap checks (n == 1) must not see. The
   * total tells whether this statement changed anything (sqlite3_changes keeps the last DML's). */
  int64_t changed = sqlite3_stmt_readonly(st) || sqlite3_total_changes64(db) == before ? 0 : sqlite3_changes64(db);
  sqlite3_finalize(st);
  return changed;
}

static int sq_script(void *c, const char *sql, err_t *err) {
  char *msg = NULL;
  if (sqlite3_exec(c, sql, NULL, NULL, &msg) != SQLITE_OK) {
    err_set(err, 0, "store_sql", "sqlite: %s", msg ? msg : "?");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

/* The online backup API copies every page in one step under one read transaction: in WAL mode
 * writers go on meanwhile and the copy is the database as of that transaction's start. */
static int sq_snapshot(void *c, const char *path, err_t *err) {
  sqlite3 *to = NULL;
  int rc = sqlite3_open_v2(path, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_backup *b = sqlite3_backup_init(to, "main", c, "main");
    if (!b)
      rc = sqlite3_errcode(to);
    else {
      do {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
      } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
      rc = sqlite3_backup_finish(b);
    }
  }
  if (rc != SQLITE_OK)
    err_set(err, 0, "store_snapshot", "sqlite backup to %s: %s", path, to ? sqlite3_errmsg(to) : sqlite3_errstr(rc));
  /* The copy is a plain rollback-journal file, complete on disk before it is called done. */
  if (rc == SQLITE_OK && sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
    rc = err_set(err, 0, "store_snapshot", "sqlite backup to %s: %s", path, sqlite3_errmsg(to));
  sqlite3_close(to);
  return rc == SQLITE_OK ? 0 : -1;
}

const db_driver db_sqlite_driver = {DB_SQLITE, sq_connect, sq_disconnect, sq_run, sq_script, sq_snapshot};
