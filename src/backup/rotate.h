/* rotate: `tucai keys rotate`, a new master key for everything the old one protects, without
 * re-encrypting a photo.
 *
 * Offline: every node stopped first (a running node holds the old key and would go on writing
 * under it). Files, K being master_key_file:
 *   K.new  the new key, made by the first run and kept by every resumed one
 *   K      the old key until the very end, so that a crash at any point leaves a working system
 *   K.old  the old key once done (a hard link made just before K.new is renamed onto K): backups
 *          taken before the rotation need it; destroy it when none of them may be restored
 * Steps, each safe to run again because every value says by itself which key it is under (the
 * AEAD of the other key refuses it); each batch of rows is one transaction:
 *   1. object keys (blobs.wrapped_key) re-wrapped under the new key; the ciphertext stays
 *   2. rows with a keyed lookup hash of a sealed field (roster_records: id_sealed -> id_hash
 *      "id_number"; student_accounts: phone_sealed -> phone_hash "phone"): the sealed field and
 *      its hash rewritten in one statement
 *   3. every other sealed text ("v1:...") in any TEXT column of any table, found from the
 *      catalog, so that a sealed column added later is not forgotten
 *   4. short-lived keyed hashes whose plaintext is gone are deleted: pending sign-in codes
 *      (otp_codes: students ask for a new one) and sign-in throttles (auth_throttle: locks end)
 *   5. every object decrypted with the new key (backup_verify), and only then K -> K.old, K.new -> K.
 * Progress goes to `say` after each committed batch. */
#ifndef TUCAI_BACKUP_ROTATE_H
#define TUCAI_BACKUP_ROTATE_H

#include <stdio.h>

#include "blob/blob.h"
#include "store/store.h"
#include "util/err.h"

/* The process's vault holds the key at key_path (K). batch: rows per transaction. */
int keys_rotate(store_t *st, blob_store *bs, const char *key_path, int batch, FILE *say, err_t *err);

#endif
