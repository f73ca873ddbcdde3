/* store.c: the connection pool, the dialect-neutral calls, results, and the migration runner.
 * Invariant: a db_t is either in the pool's free list or held by exactly one thread. */
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "store/migrations.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

struct db {
  const db_driver *drv;
  void *conn;
  int in_tx;
  int unique_violation;
  struct db *next_free;
};

struct store {
  const db_driver *drv;
  char *url;
  int size, open;
  db_t *free_list;
  struct pool_waiter *waiters, *waiters_tail; /* FIFO of threads waiting for a connection */
  pthread_mutex_t lock;
  int schema_version;
};

static const db_driver *driver_for(const char *url, const char **rest) {
  if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13)) {
    *rest = url;
    return &db_postgres_driver;
  }
  *rest = !strncmp(url, "sqlite:", 7) ? url + 7 : url;
  return &db_sqlite_driver;
}

static db_t *db_connect(store_t *st, err_t *err) {
  const char *rest;
  driver_for(st->url, &rest);
  void *conn = st->drv->connect(rest, err);
  if (!conn) return NULL;
  db_t *db = xcalloc(1, sizeof *db);
  db->drv = st->drv;
  db->conn = conn;
  return db;
}

/* A migration is one text for both dialects: {{ID}} and {{BLOB}} name their types, and what only
 * one of them can say (triggers) stands between {{SQLITE}} or {{POSTGRES}} and {{END}}. */
static char *expand_tokens(const char *sql, enum db_dialect d) {
  const char *id = d == DB_SQLITE ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
  const char *blob = d == DB_SQLITE ? "BLOB" : "BYTEA";
  size_t cap = strlen(sql) * 2 + 64, n = 0;
  char *out = xmalloc(cap);
  int skipping = 0;
  for (const char *p = sql; *p;) {
    const char *with = NULL;
    size_t skip = 0;
    if (!strncmp(p, "{{SQLITE}}", 10) || !strncmp(p, "{{POSTGRES}}", 12)) {
      skipping = (p[2] == 'S') != (d == DB_SQLITE);
      p += p[2] == 'S' ? 10 : 12;
      continue;
    }
    if (!strncmp(p, "{{END}}", 7)) {
      skipping = 0;
      p += 7;
      continue;
    }
    if (skipping) {
      p++;
      continue;
    }
    if (!strncmp(p, "{{ID}}", 6))
      with = id, skip = 6;
    else if (!strncmp(p, "{{BLOB}}", 8))
      with = blob, skip = 8;
    if (with) {
      size_t l = strlen(with);
      if (n + l + 1 > cap) out = xrealloc(out, cap = (n + l + 1) * 2);
      memcpy(out + n, with, l);
      n += l;
      p += skip;
    } else {
      if (n + 2 > cap) out = xrealloc(out, cap *= 2);
      out[n++] = *p++;
    }
  }
  out[n] = 0;
  return out;
}

static int migrate(store_t *st, err_t *err) {
  db_t *db = store_get(st, err);
  if (!db) return -1;
  int rc = -1;
  /* Two processes starting at once on PostgreSQL take turns; SQLite's BEGIN IMMEDIATE does that. */
  int locked = st->drv->dialect == DB_POSTGRES && db_exec(db, err, "SELECT pg_advisory_lock(7420001)") >= 0;
  if (st->drv->dialect == DB_POSTGRES && !locked) goto out;
  if (db_exec(db, err,
              "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
              "name TEXT NOT NULL, applied_at BIGINT NOT NULL)") < 0)
    goto out;
  for (const store_migration *m = store_migrations; m->name; m++) {
    if (db_begin(db, err) < 0) goto out;
    int64_t have = db_int(db, err, -1, "SELECT version FROM schema_migrations WHERE version = $1", DB_INT(m->version));
    if (err_is_set(err)) goto fail;
    if (have < 0) {
      char *sql = expand_tokens(m->sql, st->drv->dialect);
      int r = db_exec_script(db, err, sql);
      free(sql);
      if (r < 0) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        err_set(err, 0, "migration_failed", "migration %s: %s", m->name, why);
        goto fail;
      }
      if (db_exec(db, err, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                  DB_INT(m->version), DB_TEXT(m->name), DB_INT(clock_now_ms())) < 0)
        goto fail;
      log_info("migration applied", "name", m->name, NULL);
    }
    if (db_commit(db, err) < 0) goto fail;
    st->schema_version = m->version;
  }
  rc = 0;
  goto out;
fail:
  db_rollback(db);
out:
  if (locked) {
    err_t ignored = {0};
    db_exec(db, &ignored, "SELECT pg_advisory_unlock(7420001)");
  }
  store_put(st, db);
  return rc;
}

store_t *store_open(const char *url, int size, err_t *err) {
  store_t *st = xcalloc(1, sizeof *st);
  const char *rest;
  st->drv = driver_for(url, &rest);
  st->url = xstrdup(url);
  st->size = size > 0 ? size : 4;
  pthread_mutex_init(&st->lock, NULL);
  /* Connect once now so that a wrong URL fails at start, not at the first request. */
  db_t *first = db_connect(st, err);
  if (!first) goto fail;
  st->open = 1;
  store_put(st, first);
  if (migrate(st, err) < 0) goto fail;
  return st;
fail:
  store_close(st);
  return NULL;
}

void store_close(store_t *st) {
  if (!st) return;
  while (st->free_list) {
    db_t *db = st->free_list;
    st->free_list = db->next_free;
    db->drv->disconnect(db->conn);
    free(db);
  }
  pthread_mutex_destroy(&st->lock);
  free(st->url);
  free(st);
}

enum db_dialect store_dialect(const store_t *st) { return st->drv->dialect; }
int store_schema_version(store_t *st) { return st->schema_version; }

int store_snapshot(store_t *st, const char *path, err_t *err) {
  if (!st->drv->snapshot)
    return err_set(err, 400, "snapshot_unsupported", "this database is copied with its own tool (pg_dump)");
  db_t *db = store_get(st, err);
  if (!db) return -1;
  int rc = st->drv->snapshot(db->conn, path, err);
  store_put(st, db);
  return rc;
}

/* Threads waiting for a connection queue up; a returned connection is handed straight to the
 * first of them (FIFO, one wake-up). With more threads than connections this keeps the p99 tail
 * short: no thread waits through rounds it keeps losing to newcomers. */
typedef struct pool_waiter {
  pthread_cond_t wake;
  db_t *db;        /* handed over by store_put */
  int may_connect; /* or: a slot to open a connection of its own */
  struct pool_waiter *next;
} pool_waiter;

static void hand_over(store_t *st, db_t *db) {
  pool_waiter *w = st->waiters;
  st->waiters = w->next;
  if (!st->waiters) st->waiters_tail = NULL;
  if (db)
    w->db = db;
  else
    w->may_connect = 1;
  pthread_cond_signal(&w->wake);
}

static db_t *connect_slot(store_t *st, err_t *err) {
  db_t *db = db_connect(st, err);
  if (!db) {
    pthread_mutex_lock(&st->lock);
    if (st->waiters)
      hand_over(st, NULL); /* the slot passes on */
    else
      st->open--;
    pthread_mutex_unlock(&st->lock);
  }
  return db;
}

db_t *store_get(store_t *st, err_t *err) {
  pthread_mutex_lock(&st->lock);
  if (!st->waiters && st->free_list) {
    db_t *db = st->free_list;
    st->free_list = db->next_free;
    pthread_mutex_unlock(&st->lock);
    db->next_free = NULL;
    return db;
  }
  if (!st->waiters && st->open < st->size) {
    st->open++;
    pthread_mutex_unlock(&st->lock);
    return connect_slot(st, err);
  }
  pool_waiter w = {.db = NULL};
  pthread_cond_init(&w.wake, NULL);
  if (st->waiters_tail)
    st->waiters_tail->next = &w;
  else
    st->waiters = &w;
  st->waiters_tail = &w;
  while (!w.db && !w.may_connect) pthread_cond_wait(&w.wake, &st->lock);
  pthread_mutex_unlock(&st->lock);
  pthread_cond_destroy(&w.wake);
  if (w.db) {
    w.db->next_free = NULL;
    return w.db;
  }
  return connect_slot(st, err);
}

void store_put(store_t *st, db_t *db) {
  if (!db) return;
  if (db->in_tx) {
    /* A handler that returned with an open transaction must not leak it into the next user. */
    log_warn("connection returned inside a transaction; rolled back", NULL);
    db_rollback(db);
  }
  pthread_mutex_lock(&st->lock);
  if (st->waiters) {
    hand_over(st, db);
  } else {
    db->next_free = st->free_list;
    st->free_list = db;
  }
  pthread_mutex_unlock(&st->lock);
}

enum db_dialect db_dialect(const db_t *db) { return db->drv->dialect; }

static atomic_uint_fast64_t statements;

uint64_t store_statements_total(void) { return (uint64_t)atomic_load_explicit(&statements, memory_order_relaxed); }

int64_t db_exec_a(db_t *db, err_t *err, const char *sql, const db_val *params) {
  atomic_fetch_add_explicit(&statements, 1, memory_order_relaxed);
  return db->drv->run(db->conn, sql, params, NULL, err, &db->unique_violation);
}

/* The statement's first words on one line (SQL text only: values travel as parameters, so
 * nothing personal), cut where the buffer ends. */
static void sql_head(char *out, size_t cap, const char *sql) {
  size_t n = 0;
  int space = 0;
  for (const char *p = sql; *p && n + 1 < cap; p++) {
    int ws = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
    if (ws)
      space = n > 0;
    else {
      if (space && n + 2 < cap) out[n++] = ' ';
      space = 0;
      out[n++] = *p;
    }
  }
  out[n] = 0;
}

db_res *db_query_a(db_t *db, err_t *err, const char *sql, const db_val *params) {
  atomic_fetch_add_explicit(&statements, 1, memory_order_relaxed);
  db_res *r = xcalloc(1, sizeof *r);
  sql_head(r->sql_head, sizeof r->sql_head, sql);
  if (db->drv->run(db->conn, sql, params, r, err, &db->unique_violation) < 0) {
    db_res_free(r);
    return NULL;
  }
  return r;
}

int64_t db_query_int(db_t *db, err_t *err, int64_t dflt, const char *sql, const db_val *params) {
  db_res *r = db_query_a(db, err, sql, params);
  if (!r) return dflt;
  int64_t v = db_res_rows(r) > 0 && !db_res_is_null(r, 0, 0) ? db_res_int(r, 0, 0) : dflt;
  db_res_free(r);
  return v;
}

int db_exec_script(db_t *db, err_t *err, const char *sql) { return db->drv->script(db->conn, sql, err); }

int db_begin(db_t *db, err_t *err) {
  const char *sql = db->drv->dialect == DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN";
  if (db_exec(db, err, sql) < 0) return -1;
  db->in_tx = 1;
  return 0;
}

int db_commit(db_t *db, err_t *err) {
  int64_t r = db_exec(db, err, "COMMIT");
  if (r < 0) {
    db_rollback(db);
    return -1;
  }
  db->in_tx = 0;
  return 0;
}

void db_rollback(db_t *db) {
  err_t ignored = {0};
  if (db->in_tx) db_exec(db, &ignored, "ROLLBACK");
  db->in_tx = 0;
}

int db_last_was_unique_violation(const db_t *db) { return db->unique_violation; }

/* ---- results ---- */

int db_res_set_cols(db_res *r, int cols, const char *const *names) {
  r->cols = cols;
  r->names = xcalloc(cols ? cols : 1, sizeof *r->names);
  for (int i = 0; i < cols; i++) r->names[i] = xstrdup(names[i] ? names[i] : "");
  return 0;
}

int db_res_add_row(db_res *r) {
  if (r->rows == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 8;
    r->cells = xrealloc(r->cells, (size_t)r->cap * (r->cols ? r->cols : 1) * sizeof *r->cells);
  }
  memset(r->cells + (size_t)r->rows * r->cols, 0, (size_t)r->cols * sizeof *r->cells);
  return r->rows++;
}

db_cell *db_res_cell(db_res *r, int row, int col) { return &r->cells[(size_t)row * r->cols + col]; }

static const db_cell *cell(const db_res *r, int row, int col) {
  if (!r || row < 0 || row >= r->rows || col < 0 || col >= r->cols) return NULL;
  return &r->cells[(size_t)row * r->cols + col];
}

int db_res_rows(const db_res *r) { return r ? r->rows : 0; }
int db_res_cols(const db_res *r) { return r ? r->cols : 0; }
int db_res_is_null(const db_res *r, int row, int col) {
  const db_cell *c = cell(r, row, col);
  return !c || c->is_null;
}
const char *db_res_text(const db_res *r, int row, int col) {
  const db_cell *c = cell(r, row, col);
  return c && !c->is_null && c->s ? c->s : "";
}
int64_t db_res_int(const db_res *r, int row, int col) {
  const db_cell *c = cell(r, row, col);
  return c && !c->is_null ? c->i : 0;
}
const void *db_res_blob(const db_res *r, int row, int col, size_t *len) {
  const db_cell *c = cell(r, row, col);
  if (!c || c->is_null) {
    if (len) *len = 0;
    return NULL;
  }
  if (len) *len = c->n;
  return c->s;
}
const char *db_res_col_name(const db_res *r, int col) { return r && col >= 0 && col < r->cols ? r->names[col] : ""; }

/* ASCII case folding: both databases fold unquoted identifiers (PostgreSQL to lower case, as
 * PQfnumber does; SQLite keeps the spelling but compares without case), so "n" finds N and n. */
static int same_name(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a, y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
    if (x != y) return 0;
  }
  return *a == *b;
}

int db_res_col(const db_res *r, const char *name) {
  /* No result (the query failed and the caller reads on): -1 reads as NULL, as before. */
  if (!r) return -1;
  int found = -1, count = 0;
  for (int i = 0; i < r->cols; i++)
    if (same_name(r->names[i], name)) {
      if (found < 0) found = i;
      count++;
    }
  if (count == 1) return found;
  /* A wrong name is a bug in the code, not a condition to handle: stop where it is. */
  fprintf(stderr, "store: result column \"%s\" %s in \"%s\"\n", name,
          count ? "is ambiguous (alias one of them)" : "does not exist", r->sql_head);
  abort();
}

int db_res_is_null_at(const db_res *r, int row, const char *name) {
  return db_res_is_null(r, row, db_res_col(r, name));
}
const char *db_res_text_at(const db_res *r, int row, const char *name) {
  return db_res_text(r, row, db_res_col(r, name));
}
int64_t db_res_int_at(const db_res *r, int row, const char *name) { return db_res_int(r, row, db_res_col(r, name)); }
const void *db_res_blob_at(const db_res *r, int row, const char *name, size_t *len) {
  return db_res_blob(r, row, db_res_col(r, name), len);
}

void db_res_free(db_res *r) {
  if (!r) return;
  for (int i = 0; i < r->rows * r->cols; i++) free(r->cells[i].s);
  for (int i = 0; i < r->cols; i++) free(r->names[i]);
  free(r->names);
  free(r->cells);
  free(r);
}
