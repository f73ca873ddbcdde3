/* reference: storing the reference photos of a roster import and deleting them.
 *
 * Inside the roster import's transaction (roster_import_then), every photo the ZIP reader checked
 * (identity/reference_zip.h) is encrypted into the blob store (kind "reference"), its row in
 * reference_photos made or replaced ('pending'), and the job "collect.reference_print" queued to
 * compute its face print once (src/collect/reference.c). A photo that replaces an earlier one
 * drops the earlier print and scores in the same transaction; the earlier blobs are destroyed
 * after the commit (reference_import_finish), so a failed import leaves the old photo usable.
 * Retention and deletion requests destroy both blobs with the student's photos (office/retention.c). */
#ifndef TUCAI_IDENTITY_REFERENCE_H
#define TUCAI_IDENTITY_REFERENCE_H

#include <stdint.h>

#include "blob/blob.h"
#include "identity/reference_zip.h"
#include "store/store.h"

typedef struct reference_import {
  blob_store *blobs;
  reference_zip *zip;
  const roster_parsed *rows;
  int stored, replaced;
  int64_t *old_blobs; /* destroyed by reference_import_finish */
  int n_old;
} reference_import;

/* The roster_import_hook: ctx is a reference_import. */
int reference_import_hook(db_t *db, int64_t batch_id, int64_t school_id, void *ctx, err_t *err);
/* After the commit: destroys the replaced photos and prints; frees what the hook kept. */
void reference_import_finish(reference_import *ri, db_t *db, int committed);

#endif
