/* support: one thread per student account between the student and the operators, with image
 * attachments (encrypted in the blob store), unread counts on both sides, and the student's
 * collection status shown to the operator next to the thread. */
#ifndef TUCAI_SUPPORT_SUPPORT_H
#define TUCAI_SUPPORT_SUPPORT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

struct blob_store;

/* What the support room uses of its process, wired by src/app.c. */
typedef struct support_env {
  struct blob_store *blobs; /* attachments, encrypted (blob/blob.h) */
  int64_t per_hour, total;  /* a student's message quota (settings support_per_hour, support_total) */
} support_env;

/* Adds a message from `from_role` (ROLE_STUDENT or ROLE_OPERATOR). attachment_path may be NULL.
 * An operator's reply marks the student's earlier messages read (the unread count clears).
 * 400 "empty_message" when there is neither text nor image; 415 when the file is no image. */
int support_post(const support_env *env, db_t *db, int64_t account_id, int from_role, int64_t author_id,
                 const char *body, const char *attachment_path, int64_t *id, err_t *err);
/* The thread, oldest first ({id, from, body, has_attachment, created_at, read}; src/api/ turns
 * has_attachment into the attachment's link); marks the other side's messages read for
 * `reader_role`. */
json_t *support_thread(db_t *db, int64_t account_id, int reader_role, err_t *err);
/* Threads for operators: [{account_id, last_at, unread, messages}] newest first. */
json_t *support_threads(db_t *db, err_t *err);
/* An attachment's image: the student only from their own thread. */
int support_attachment(struct blob_store *blobs, db_t *db, int64_t message_id, int64_t account_id_or_0, uint8_t **bytes,
                       size_t *len, char mime[32], err_t *err);

#endif
