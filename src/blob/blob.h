/* blob: encrypted storage of photo files (originals, attempts, standardized photos, attachments).
 *
 * Design. Every object is encrypted before it leaves memory with its own random 32-byte key
 * (libsodium secretstream XChaCha20-Poly1305, 64 KiB chunks, the last one tagged FINAL so that
 * a truncated object is detected); the object key is wrapped by the vault's master key
 * (vault_wrap_key) and kept in the `blobs` row. Three backends hold the ciphertext:
 *   "dir" (default)  <data>/blobs/<2 hex>/<32 hex ref> files; several nodes may share the mount
 *   "db"             the `blob_data` table of the store itself (a multi-node PostgreSQL setup
 *                    then needs nothing else)
 *   "s3"             objects <2 hex>/<32 hex ref> in a bucket of an S3-compatible server
 *                    (blob/s3.h): the same ciphertext bytes as the file would hold
 * The backend of each object is stored in its row, so switching the setting later still reads
 * old objects (S3 ones as long as the S3 settings stay).
 *
 * Crash safety. A put writes and fsyncs the ciphertext (file: temp name, then rename; S3: the
 * PUT has answered 200) BEFORE the row is inserted, on the caller's connection and inside the caller's transaction if one is open:
 * an object whose row exists is always complete; a crash leaves at worst an orphan file/object.
 *
 * Ownership: the caller owns the buffer blob_get returns (free()). Thread-safe after open. */
#ifndef TUCAI_BLOB_BLOB_H
#define TUCAI_BLOB_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "blob/s3.h"
#include "config/config.h"
#include "store/store.h"
#include "util/err.h"

typedef struct blob_store blob_store;

/* backend: "dir" or "db"; data_dir: where "dir" keeps <data>/blobs. Needs vault_init first. */
blob_store *blob_store_open(const char *backend, const char *data_dir, err_t *err);
/* Same, with the S3 settings (NULL or an empty endpoint: none); backend may then be "s3". */
blob_store *blob_store_open_s3(const char *backend, const char *data_dir, const s3_opts *s3, err_t *err);
/* From the settings blob_store and s3_* (the way serve, worker and the CLI open it). */
blob_store *blob_store_open_config(const config *cfg, const char *data_dir, err_t *err);
/* The S3 settings as s3_opts (pointers into cfg). */
void blob_s3_opts_from_config(const config *cfg, s3_opts *o);
/* The S3 client when S3 is configured, else NULL (doctor's probe, backup). */
s3_client *blob_store_s3(blob_store *bs);
void blob_store_close(blob_store *bs);

/* Kinds name what an object is, for operators and purges: "original", "standardized",
 * "attachment". Returns 0 and the new id in *id. */
int blob_put(blob_store *bs, db_t *db, const void *bytes, size_t len, const char *kind, int64_t *id, err_t *err);
/* Same from a file: uploads arrive as temp files. "dir" streams it (never held whole in memory);
 * "db" and "s3" hold one object's ciphertext in memory (max_upload bounds it). */
int blob_put_file(blob_store *bs, db_t *db, const char *path, const char *kind, int64_t *id, err_t *err);
/* Two steps, for a caller whose row must be committed with its own (an upload and its attempt):
 * blob_prepare_file encrypts and writes the ciphertext outside any transaction (the slow part,
 * no lock held); blob_commit inserts the row inside the caller's transaction; blob_pending_done
 * frees it, removing the ciphertext unless committed is 1 (the caller's transaction committed).
 * A crash between the two leaves a ciphertext file whose key was never stored: unreadable. */
typedef struct blob_pending blob_pending;
blob_pending *blob_prepare_file(blob_store *bs, const char *path, err_t *err);
int blob_commit(blob_store *bs, db_t *db, blob_pending *p, const char *kind, int64_t *id, err_t *err);
void blob_pending_done(blob_store *bs, blob_pending *p, int committed);
/* Decrypts one object into a malloc'd buffer. 404 "blob_not_found" when absent or deleted;
 * 500 "blob_corrupt" when the ciphertext fails authentication or is truncated. */
int blob_get(blob_store *bs, db_t *db, int64_t id, uint8_t **bytes, size_t *len, err_t *err);
/* Destroys the ciphertext and its key (the row stays, marked deleted, for the audit trail). */
int blob_delete(blob_store *bs, db_t *db, int64_t id, err_t *err);
/* The kind of an object ("" when unknown), into out. */
int blob_kind(db_t *db, int64_t id, char out[24], err_t *err);

#endif
