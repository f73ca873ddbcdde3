/* student: student accounts (signed in with a phone number) and the roster record each is linked to.
 *
 * One account (a phone number) links to at most one roster record and one record to at most one
 * account; linking happens after the student uploaded a valid collection code and confirmed the
 * record behind it (src/api/identity.c). Other rooms ask student_current() which record a signed-in
 * student is, and mark a record approved with student_record_mark_approved() so that it cannot be
 * collected again. The record's name is decrypted into the struct for display only: never log it. */
#ifndef TUCAI_IDENTITY_STUDENT_H
#define TUCAI_IDENTITY_STUDENT_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

enum student_link_status {
  STUDENT_UNLINKED = 0, /* signed in, no record yet */
  STUDENT_LINKED = 1,   /* linked to a roster record, not yet approved */
  STUDENT_APPROVED = 2, /* the record's photo was approved: nothing may change */
};

typedef struct student_record {
  int64_t account_id;
  int64_t record_id; /* roster_records.id; 0 when unlinked */
  int64_t batch_id;
  int64_t school_id;
  int status; /* enum student_link_status */
  char student_no[40];
  char name[64]; /* full name, decrypted */
  char name_masked[64];
  char id_masked[24];
  char college[128];
  char major[128];
  char degree[16]; /* 硕士 / 博士 */
  int grad_year;
  /* From the linked collection code (student_current only; "" when unlinked): the registry's
   * sealing key that finished photos are sealed to (identity/code.h code_seal_pub_load). */
  char seal_kid[24];
} student_record;

/* The record the account is linked to. Returns 0 and fills out (status STUDENT_UNLINKED and
 * record_id 0 when not linked); -1 with 404 "account_not_found" when the account does not exist. */
int student_current(db_t *db, int64_t account_id, student_record *out, err_t *err);
/* One roster record (account_id 0 when nobody is linked to it). 404 "record_not_found". */
int student_record_get(db_t *db, int64_t record_id, student_record *out, err_t *err);
/* Marks the record approved (workflow calls it when a photo is approved). */
int student_record_mark_approved(db_t *db, int64_t record_id, err_t *err);

/* Finds or creates the account for a phone number (stored sealed, found by keyed hash). */
int64_t student_account_for_phone(db_t *db, const char *phone, err_t *err);

#endif
