/* reference: see reference.h. */
#include "identity/reference.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jobs.h"
#include "util/clock.h"
#include "util/xmalloc.h"

static int keep_old(reference_import *ri, int64_t blob) {
  if (blob <= 0) return 0;
  int64_t *n = xrealloc(ri->old_blobs, (size_t)(ri->n_old + 1) * sizeof *n);
  if (!n) return -1;
  ri->old_blobs = n;
  ri->old_blobs[ri->n_old++] = blob;
  return 0;
}

static int store_one(reference_import *ri, db_t *db, int64_t batch_id, int64_t school_id, int i, err_t *err) {
  const reference_photo *ph = &ri->zip->photos[i];
  const roster_row *row = &ri->rows->rows[ph->row];
  int64_t record = db_int(db, err, 0, "SELECT id FROM roster_records WHERE batch_id = $1 AND student_no = $2",
                          DB_INT(batch_id), DB_TEXT(row->student_no));
  if (err_is_set(err)) return -1;
  if (record <= 0) return err_set(err, 0, "reference_no_record", "the imported row has no record");
  db_res *old =
      db_query(db, err, "SELECT photo_blob, print_blob FROM reference_photos WHERE record_id = $1", DB_INT(record));
  if (!old) return -1;
  int had = db_res_rows(old) > 0;
  int64_t old_photo = had ? db_res_int_at(old, 0, "photo_blob") : 0,
          old_print = had ? db_res_int_at(old, 0, "print_blob") : 0;
  db_res_free(old);
  uint8_t *bytes = NULL;
  size_t len = 0;
  if (reference_zip_read(ri->zip, i, &bytes, &len, err) != 0) return -1;
  int64_t blob = 0;
  int rc = blob_put(ri->blobs, db, bytes, len, "reference", &blob, err);
  free(bytes);
  if (rc != 0) return -1;
  int64_t now = clock_now_ms();
  /* The file name is the office's (a student number or their own naming), kept for their list. */
  if (db_exec(
          db, err,
          "INSERT INTO reference_photos (record_id, batch_id, school_id, photo_blob, print_blob, state, file_name, "
          "created_at, updated_at) VALUES ($1, $2, $3, $4, 0, 'pending', $5, $6, $6) "
          "ON CONFLICT (record_id) DO UPDATE SET photo_blob = excluded.photo_blob, print_blob = 0, state = 'pending', "
          "file_name = excluded.file_name, updated_at = excluded.updated_at",
          DB_INT(record), DB_INT(batch_id), DB_INT(school_id), DB_INT(blob), DB_TEXT(ph->file), DB_INT(now)) < 0)
    return -1;
  /* Scores against the old photo say nothing about the new one. */
  if (had && db_exec(db, err, "DELETE FROM reference_scores WHERE record_id = $1", DB_INT(record)) < 0) return -1;
  if (had && (keep_old(ri, old_photo) || keep_old(ri, old_print))) return err_set(err, 0, "oom", "out of memory");
  json_t *payload = json_pack("{s:I}", "record_id", (json_int_t)record);
  int64_t job = jobs_enqueue(db, "collect.reference_print", payload, NULL, err);
  json_decref(payload);
  if (job < 0) return -1;
  ri->stored++;
  if (had) ri->replaced++;
  return 0;
}

int reference_import_hook(db_t *db, int64_t batch_id, int64_t school_id, void *ctx, err_t *err) {
  reference_import *ri = ctx;
  for (int i = 0; i < ri->zip->n_photos; i++)
    if (store_one(ri, db, batch_id, school_id, i, err) != 0) return -1;
  return 0;
}

void reference_import_finish(reference_import *ri, db_t *db, int committed) {
  for (int i = 0; committed && i < ri->n_old; i++) {
    err_t e = {0};
    blob_delete(ri->blobs, db, ri->old_blobs[i], &e); /* a 404 is one deleted already */
  }
  free(ri->old_blobs);
  ri->old_blobs = NULL;
  ri->n_old = 0;
}
