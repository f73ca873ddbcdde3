/* driver: what store.c needs from each database (sqlite.c, postgres.c). Internal to src/store. */
#ifndef TUCAI_STORE_DRIVER_H
#define TUCAI_STORE_DRIVER_H

#include "store/store.h"

/* One result cell. Text and blobs are copied into the result's own memory. */
typedef struct db_cell {
  int is_null;
  int64_t i;
  char *s; /* NUL-terminated; for blobs too (a NUL after the bytes) */
  size_t n;
} db_cell;

struct db_res {
  int rows, cols, cap;
  char **names;
  db_cell *cells;    /* rows * cols */
  char sql_head[64]; /* the statement's first words, for db_res_col's abort message */
};

typedef struct db_driver {
  enum db_dialect dialect;
  void *(*connect)(const char *url, err_t *err);
  void (*disconnect)(void *conn);
  /* Runs one statement; fills `res` when non-NULL; returns rows changed or -1. */
  int64_t (*run)(void *conn, const char *sql, const db_val *params, db_res *res, err_t *err, int *unique_violation);
  int (*script)(void *conn, const char *sql, err_t *err);
  /* A consistent copy of the whole database into a new file at path, taken while others write
   * (SQLite's online backup API); NULL where the database has its own tool (pg_dump). */
  int (*snapshot)(void *conn, const char *path, err_t *err);
} db_driver;

extern const db_driver db_sqlite_driver;
extern const db_driver db_postgres_driver;

/* Result building, shared by the drivers. */
int db_res_add_row(db_res *r);
db_cell *db_res_cell(db_res *r, int row, int col);
int db_res_set_cols(db_res *r, int cols, const char *const *names);

#endif
