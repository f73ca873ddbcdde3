/* store: the one database interface, with SQLite (embedded default) and PostgreSQL behind it.
 *
 * Design. A store_t is a pool of connections to one database, opened from a URL:
 *   "sqlite:/path/to/file.db" or a plain path  -> SQLite in WAL mode with a busy timeout
 *   "postgres://user@host:port/db?..."         -> PostgreSQL through libpq
 * A thread borrows a connection with store_get() and gives it back with store_put(); a
 * connection is used by one thread at a time. Schema migrations (src/store/migrations/NNNN_name.sql)
 * are applied in version order by store_open(), each once, inside a transaction.
 *
 * SQL is written once for both databases: parameters are $1..$n, ids come from RETURNING,
 * times are integers (unix milliseconds, from util/clock.h), booleans are 0/1 integers and JSON
 * is TEXT. The few statements that must differ (the job queue's claim) ask db_dialect().
 * Migrations may use two tokens that are replaced per database:
 *   {{ID}}   -> INTEGER PRIMARY KEY AUTOINCREMENT | BIGSERIAL PRIMARY KEY
 *   {{BLOB}} -> BLOB | BYTEA
 *
 * Values travel as db_val (see the DB_* constructors). Results are read fully into a db_res,
 * which the caller frees with db_res_free(). Text results are UTF-8 and stay valid until then.
 * Code reads a column by its name, never by its place in the SELECT list: db_res_text_at(r, row,
 * "grad_year"), db_res_int_at, db_res_is_null_at, db_res_blob_at; or, in a loop over many rows,
 * looks the index up once (int c_id = db_res_col(r, "id")) and passes it to db_res_text/int/...
 * A name is the column's alias (COUNT(*) AS n) or, for a plain column, its own name (s.id -> id);
 * both databases fold unquoted names to one case, so names are matched ignoring ASCII case.
 * A name missing from the result, or naming two of its columns, is a programming error: the
 * process aborts with the name and the statement's first words, so that a test finds it at once.
 * A NULL result (a failed query) reads as NULL by name too, as it does by index.
 * (The lint/columns test rejects a number as the column argument in src/.)
 *
 * Ownership: the caller owns what store_open/db_query return and frees it with the matching
 * store_close/db_res_free. Every function that can fail returns -1 (or NULL) and fills err. */
#ifndef TUCAI_STORE_STORE_H
#define TUCAI_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct store store_t;
typedef struct db db_t;
typedef struct db_res db_res;

enum db_dialect { DB_SQLITE = 1, DB_POSTGRES = 2 };
enum db_type { DB_T_END = 0, DB_T_NULL, DB_T_INT, DB_T_TEXT, DB_T_BLOB };

typedef struct db_val {
  enum db_type type;
  int64_t i;
  const char *s; /* TEXT (NUL-terminated) or BLOB bytes */
  size_t n;      /* BLOB length */
} db_val;

#define DB_INT(x) ((db_val){.type = DB_T_INT, .i = (int64_t)(x)})
/* A function, not a macro: NULL becomes SQL NULL, and arrays may be passed without warnings. */
static inline db_val DB_TEXT(const char *s) {
  db_val v = {.type = s ? DB_T_TEXT : DB_T_NULL, .s = s};
  return v;
}
#define DB_BLOB(p, len) ((db_val){.type = DB_T_BLOB, .s = (const char *)(p), .n = (len)})
#define DB_NULL ((db_val){.type = DB_T_NULL})

/* Opens the pool (`size` connections at most) and applies pending migrations. */
store_t *store_open(const char *url, int size, err_t *err);
void store_close(store_t *st);
enum db_dialect store_dialect(const store_t *st);
/* Borrow and return a connection. store_get waits while all are busy; NULL only on error. */
db_t *store_get(store_t *st, err_t *err);
void store_put(store_t *st, db_t *db);
/* A consistent copy of an SQLite store into a new file at path while others keep writing
 * (SQLite's online backup API). PostgreSQL answers 400 "snapshot_unsupported": use pg_dump. */
int store_snapshot(store_t *st, const char *path, err_t *err);
/* Highest applied migration version. */
int store_schema_version(store_t *st);
/* Statements this process has run on any store (every db_exec/db_query), for /metrics and
 * bench/events.mjs: what the load on the database costs, counted where it is spent. */
uint64_t store_statements_total(void);

enum db_dialect db_dialect(const db_t *db);

/* Runs a statement; returns the number of rows changed, or -1. Parameters end with the macro's
 * hidden DB_T_END terminator: db_exec(db, err, "UPDATE t SET a=$1 WHERE id=$2", DB_INT(1), DB_INT(7)) */
int64_t db_exec_a(db_t *db, err_t *err, const char *sql, const db_val *params);
db_res *db_query_a(db_t *db, err_t *err, const char *sql, const db_val *params);
#define db_exec(db, err, sql, ...) db_exec_a(db, err, sql, (const db_val[]){__VA_ARGS__ __VA_OPT__(, ){0}})
#define db_query(db, err, sql, ...) db_query_a(db, err, sql, (const db_val[]){__VA_ARGS__ __VA_OPT__(, ){0}})

/* Runs several statements without parameters (used by migrations). */
int db_exec_script(db_t *db, err_t *err, const char *sql);

/* Transactions. db_begin takes the write lock at once on SQLite (BEGIN IMMEDIATE) so that two
 * writers never deadlock on an upgrade. db_rollback is safe to call when no transaction is open. */
int db_begin(db_t *db, err_t *err);
int db_commit(db_t *db, err_t *err);
void db_rollback(db_t *db);

/* A unique-constraint violation from the last failed statement (for "already exists" answers). */
int db_last_was_unique_violation(const db_t *db);

int db_res_rows(const db_res *r);
int db_res_cols(const db_res *r);
int db_res_is_null(const db_res *r, int row, int col);
const char *db_res_text(const db_res *r, int row, int col); /* "" for NULL */
int64_t db_res_int(const db_res *r, int row, int col);      /* 0 for NULL */
const void *db_res_blob(const db_res *r, int row, int col, size_t *len);
const char *db_res_col_name(const db_res *r, int col);
/* By name (see above): the index of the one column called `name`; aborts when there is none or two. */
int db_res_col(const db_res *r, const char *name);
int db_res_is_null_at(const db_res *r, int row, const char *name);
const char *db_res_text_at(const db_res *r, int row, const char *name); /* "" for NULL */
int64_t db_res_int_at(const db_res *r, int row, const char *name);      /* 0 for NULL */
const void *db_res_blob_at(const db_res *r, int row, const char *name, size_t *len);
void db_res_free(db_res *r);

/* Convenience: the first column of the first row as an integer (or `dflt` when no row). */
int64_t db_query_int(db_t *db, err_t *err, int64_t dflt, const char *sql, const db_val *params);
#define db_int(db, err, dflt, sql, ...) \
  db_query_int(db, err, dflt, sql, (const db_val[]){__VA_ARGS__ __VA_OPT__(, ){0}})

#endif
