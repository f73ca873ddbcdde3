/* print: paper prints and parcels for the operator.
 *
 * Print batch. The operator picks approved students of a batch (or all approved ones not yet
 * printed); a job renders, for each of them, the photo engine's 6-inch sheet (photo_sheet: the
 * copies at true size, the caption "name student-number" under each copy, cut marks) and puts the
 * sheets, ordered by college then number, into ONE PDF at <data>/prints/. Each page also carries a
 * one-line slug at its top edge (batch, page, college, number, name, 邮寄 or 交学院) so the cut
 * sheets can be sorted for hand-over. Then, in one transaction, the records are marked printed
 * (office_record_marks.printed_at), the print batch is done and the run is audited (the job read
 * students' names, personal data).
 *
 * Hand-over list: the prints of a print batch whose students did not pay postage, one A4 page
 * per college (number, name, copies, signatures), for the school office.
 *
 * Address labels: for the batch's students whose paid order includes postage ("post") and whose
 * photo is approved: A4 sheets of 2 x 7 labels (99.1 x 38.1 mm) with recipient, full mobile
 * number (the courier needs it), region and street, the sender (the school office: name, phone,
 * address, set per school with PUT /api/schools/:id/sender) and a small line with number and order.
 *
 * Job kind "print.batch" {print_batch_id}. */
#ifndef TUCAI_PRINT_PRINT_H
#define TUCAI_PRINT_PRINT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

#define PRINT_DEFAULT_COPIES 4

/* Queues a print batch. record_ids: JSON array of roster record ids (each must be an approved
 * record of the batch, 422 "not_approved" naming it otherwise), or NULL for every approved record
 * not printed yet (409 "nothing_to_print" when none). Returns the print batch id. */
int64_t print_request(db_t *db, int64_t batch_id, const json_t *record_ids, int copies, int actor_role,
                      int64_t actor_id, err_t *err);
/* {id, batch_id, state, copies, sheets, file_name, error, created_at, finished_at, records} or NULL (404). */
json_t *print_batch_json(db_t *db, int64_t print_batch_id, err_t *err);

/* 1 when the record's paid order in the batch includes postage (order id, address id and order
 * number filled), 0 when not, -1 on error. */
int print_postage(db_t *db, int64_t batch_id, int64_t record_id, int64_t *order_id, int64_t *address_id,
                  char out_trade_no[40], err_t *err);

/* The hand-over list of a print batch as PDF bytes (malloc'd). *students gets how many are on it. */
int print_handover_pdf(db_t *db, int64_t print_batch_id, uint8_t **out, size_t *len, int *students, err_t *err);
/* Address labels of a batch as PDF bytes (malloc'd); only_unshipped skips parcels already posted.
 * *labels gets the count (0 labels: 409 "no_parcels"; no sender set for the school: 409 "no_sender"). */
int print_labels_pdf(db_t *db, int64_t batch_id, int only_unshipped, uint8_t **out, size_t *len, int *labels,
                     err_t *err);

/* Paper order: by college, then student number (strcmp-style). */
struct student_record;
int print_record_order(const struct student_record *a, const struct student_record *b);

/* What the print job uses of its process, wired by src/app.c. */
struct blob_store;
typedef struct print_env {
  struct blob_store *blobs; /* the approved photos (blob/blob.h) */
  const char *data_dir;     /* the sheets are written to <data_dir>/prints */
} print_env;

/* The job kind "print.batch"; its handler renders with `env` (borrowed for the process's life). */
void print_jobs_register(print_env *env);

#endif
