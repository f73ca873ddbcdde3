/* backup: a consistent copy of a running installation in one file, its restore, and a check that
 * every stored photo decrypts.
 *
 * A backup is a tar archive (backup/archive.h), written to FILE.part and renamed when complete:
 *   db/tucai.db       SQLite's online backup of the store (store_snapshot), or
 *   db/tucai.pgdump   pg_dump --format=custom of the PostgreSQL database
 *   blobs/<xx>/<ref>  every file of the "dir" blob store (ciphertext as stored; "db" blobs are in
 *                     the database copy)
 *   s3/<xx>/<ref>     every live object of the "s3" blob store, fetched from the bucket
 *                     (ciphertext as stored): a backup is whole even when the bucket is lost
 *   files/<path>      the rest of the data directory (issuer public keys, outboxes, demo files)
 *   manifest.json     format, time, schema version, database kind, and each entry's size and
 *                     SHA-256; last, so that it covers everything before it
 * The database is copied first: a blob row in the copy was committed after its file or object
 * was written (blob.h), so the files and objects copied next include every object the copy names.
 * An S3 object whose row is still live but that the bucket does not have fails the backup.
 * Never in a backup: the master key (whoever holds the backup and the key reads every photo, so
 * the key is kept apart, and the backup says so on stderr) and every other *.key file of the data
 * directory (the operator's signing key, an issuer's private key, a key rotation's *.key.new and
 * *.key.old): they are listed, not copied.
 *
 * Restore refuses a directory that is not empty, unpacks into a sibling temporary directory while
 * hashing, compares every entry with the manifest (a missing, extra or changed entry refuses the
 * whole backup and leaves nothing behind), loads a PostgreSQL dump with pg_restore into the given
 * (empty) database, puts the s3/ objects back into the configured bucket under the same names
 * (the rows still say "s3"; the same bucket or a new one), and only then renames the directory
 * into place. A backup with S3 objects and no S3 settings is refused before anything is moved. */
#ifndef TUCAI_BACKUP_BACKUP_H
#define TUCAI_BACKUP_BACKUP_H

#include <stdint.h>
#include <stdio.h>

#include "blob/blob.h"
#include "blob/s3.h"
#include "store/store.h"
#include "util/err.h"

typedef struct backup_counts {
  int64_t files, blobs, bytes;
  int64_t failed; /* verify: objects that do not decrypt */
} backup_counts;

/* db_url: the `db` setting ("" = SQLite in data_dir, through st). s3: the S3 client when S3 is
 * configured (blob_store_s3), else NULL. Messages (what was left out) go to `say`. */
int backup_create(store_t *st, const char *db_url, const char *data_dir, const char *master_key_path, s3_client *s3,
                  const char *out_path, FILE *say, backup_counts *n, err_t *err);
/* db_url: "" for a SQLite backup; postgres://... of an empty database for a PostgreSQL one.
 * s3: where the backup's S3 objects go (NULL: none configured). */
int backup_restore(const char *file, const char *data_dir, const char *db_url, s3_client *s3, FILE *say,
                   backup_counts *n, err_t *err);
/* Reads and decrypts every live object; each failure is named on `say`. Returns -1 with
 * "verify_failed" when any object does not decrypt. */
int backup_verify(store_t *st, blob_store *bs, FILE *say, backup_counts *n, err_t *err);

#endif
