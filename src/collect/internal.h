/* internal: what the collect files share — the student's situation, loaded once per request. */
#ifndef TUCAI_COLLECT_INTERNAL_H
#define TUCAI_COLLECT_INTERNAL_H

#include "collect/collect.h"
#include "identity/batch.h"
#include "identity/student.h"

typedef struct collect_ctx {
  student_record rec;
  batch b;
  int linked, paid, window; /* window: enum batch_window */
  int has_row;
  char state[16];           /* collect_records.state ("" when no row) */
  int64_t last_attempt, last_submission;
} collect_ctx;

/* Loads everything the rules look at. -1 only on errors (an unlinked student is not one). */
int collect_ctx_load(db_t *db, int64_t account_id, collect_ctx *c, err_t *err);
json_t *collect_checks_parse(const char *text);

#endif
