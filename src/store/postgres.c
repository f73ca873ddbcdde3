/* postgres.c: the multi-node store through libpq. Parameters go as text (integers) or binary
 * (blobs); results come back as text and are converted per column type. Each connection is one
 * libpq connection owned by one thread at a time (the pool in store.c ensures that). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "util/xmalloc.h"

#define OID_BYTEA 17
#define OID_INT8 20

static void quiet_notices(void *arg, const char *message) {
  (void)arg;
  (void)message; /* "relation already exists, skipping" and friends are not worth a log line */
}

static void *pg_connect(const char *url, err_t *err) {
  PGconn *c = PQconnectdb(url);
  if (PQstatus(c) != CONNECTION_OK) {
    /* The message names host and port, never the password. */
    err_set(err, 0, "store_open", "postgres: %s", PQerrorMessage(c));
    PQfinish(c);
    return NULL;
  }
  PQsetNoticeProcessor(c, quiet_notices, NULL);
  PGresult *r = PQexec(c, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
  PQclear(r);
  return c;
}

static void pg_disconnect(void *c) { PQfinish(c); }

static int64_t pg_run(void *conn, const char *sql, const db_val *params, db_res *res, err_t *err, int *uniq) {
  PGconn *c = conn;
  *uniq = 0;
  int n = 0;
  while (params && params[n].type != DB_T_END) n++;
  const char *values[n ? n : 1];
  int lengths[n ? n : 1], formats[n ? n : 1];
  unsigned int types[n ? n : 1];
  char ints[n ? n : 1][24];
  for (int i = 0; i < n; i++) {
    const db_val *v = &params[i];
    lengths[i] = 0, formats[i] = 0, types[i] = 0, values[i] = NULL;
    switch (v->type) {
      case DB_T_INT:
        snprintf(ints[i], sizeof ints[i], "%lld", (long long)v->i);
        values[i] = ints[i];
        types[i] = OID_INT8;
        break;
      case DB_T_TEXT:
        values[i] = v->s;
        break;
      case DB_T_BLOB:
        values[i] = v->s ? v->s : "";
        lengths[i] = (int)v->n;
        formats[i] = 1;
        types[i] = OID_BYTEA;
        break;
      default:
        break;
    }
  }
  PGresult *r = PQexecParams(c, sql, n, types, values, lengths, formats, 0);
  ExecStatusType s = PQresultStatus(r);
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    *uniq = state && !strcmp(state, "23505");
    err_set(err, *uniq ? 409 : 0, *uniq ? "conflict" : "store_sql", "postgres: %s", PQresultErrorMessage(r));
    PQclear(r);
    return -1;
  }
  if (res) {
    int cols = PQnfields(r), rows = PQntuples(r);
    const char *names[cols ? cols : 1];
    for (int i = 0; i < cols; i++) names[i] = PQfname(r, i);
    db_res_set_cols(res, cols, names);
    for (int row = 0; row < rows; row++) {
      int at = db_res_add_row(res);
      for (int col = 0; col < cols; col++) {
        db_cell *cell = db_res_cell(res, at, col);
        if (PQgetisnull(r, row, col)) {
          cell->is_null = 1;
          continue;
        }
        const char *text = PQgetvalue(r, row, col);
        if (PQftype(r, col) == OID_BYTEA) {
          size_t len = 0;
          unsigned char *raw = PQunescapeBytea((const unsigned char *)text, &len);
          cell->s = xmalloc(len + 1);
          if (len) memcpy(cell->s, raw, len);
          cell->s[len] = 0;
          cell->n = len;
          PQfreemem(raw);
        } else {
          cell->n = (size_t)PQgetlength(r, row, col);
          cell->s = xmalloc(cell->n + 1);
          memcpy(cell->s, text, cell->n + 1);
          cell->i = strtoll(text, NULL, 10);
        }
      }
    }
  }
  const char *tuples = PQcmdTuples(r);
  int64_t changed = tuples && *tuples ? strtoll(tuples, NULL, 10) : 0;
  PQclear(r);
  return changed;
}

static int pg_script(void *conn, const char *sql, err_t *err) {
  PGresult *r = PQexec(conn, sql);
  ExecStatusType s = PQresultStatus(r);
  int rc = 0;
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
    rc = err_set(err, 0, "store_sql", "postgres: %s", PQresultErrorMessage(r));
  PQclear(r);
  return rc;
}

const db_driver db_postgres_driver = {DB_POSTGRES, pg_connect, pg_disconnect, pg_run, pg_script, NULL};
