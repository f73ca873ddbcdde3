/* batch: a school and one collection batch of it (who may be collected, when, for how much).
 *
 * A batch belongs to one school and has a window (unix ms; entered as dates in Asia/Shanghai,
 * the end date inclusive), a fee list in integer fen, the name of the photo profile its photos
 * must meet, and an eligibility rule (JSON text, e.g. {"grad_year":2025,"degrees":["硕士","博士"]}).
 * Other rooms (payment, workflow) read batches through batch_get/batch_fee only. */
#ifndef TUCAI_IDENTITY_BATCH_H
#define TUCAI_IDENTITY_BATCH_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

#define BATCH_MAX_FEES 8

typedef struct batch_fee_item {
  char code[32]; /* stable id: "collect", "print", "post" */
  char name[64]; /* shown to the student, e.g. "采集服务费" */
  int64_t amount_fen;
  int required; /* 1: every student pays it (the collection fee); 0: optional */
} batch_fee_item;

typedef struct batch {
  int64_t id;
  int64_t school_id;
  char school_code[32];
  char school_name[128];
  char name[128];
  int64_t window_start_ms; /* first instant inside the window */
  int64_t window_end_ms;   /* first instant after the window */
  int n_fees;
  batch_fee_item fees[BATCH_MAX_FEES];
  char profile[64];      /* photo profile name (profiles/<name>) */
  char eligibility[256]; /* JSON rule text */
  int max_submissions;   /* submissions allowed per student, withdrawn ones not counted; 0 = no limit */
  int camera_only;       /* 1: the student page offers the camera only, never the album */
} batch;

/* Where `now_ms` lies against the batch window. */
enum batch_window { BATCH_BEFORE = -1, BATCH_OPEN = 0, BATCH_CLOSED = 1 };

/* Loads one batch; 404 "batch_not_found" when absent. */
int batch_get(db_t *db, int64_t id, batch *out, err_t *err);
/* The fee with `code`, or NULL. */
const batch_fee_item *batch_fee(const batch *b, const char *code);
enum batch_window batch_window_at(const batch *b, int64_t now_ms);
/* Fills err with the student-facing window message (409 "window_not_open"/"window_closed",
 * naming the opening/closing date in Asia/Shanghai) and returns -1; returns 0 when open. */
int batch_check_window(const batch *b, int64_t now_ms, err_t *err);

/* Creates a school (409 "school_exists" on a duplicate code); returns its id or -1. */
int64_t school_create(db_t *db, const char *code, const char *name, err_t *err);
/* Creates a batch from a filled struct (id ignored); returns its id or -1. Validates it. */
/* `profiles_dir`: where the photo profiles live; the batch's profile must be one of them. */
int64_t batch_create(db_t *db, const batch *b, const char *profiles_dir, err_t *err);

/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]" as Asia/Shanghai (UTC+8, no DST) into unix ms.
 * A plain date is its midnight; `end_of_day` moves a plain date to the next midnight (inclusive end
 * dates). Returns -1 on bad input. */
int64_t shanghai_parse(const char *s, int end_of_day);
/* Formats unix ms as "YYYY-MM-DD HH:MM" in Asia/Shanghai. */
void shanghai_format(int64_t ms, char out[32]);

#endif
