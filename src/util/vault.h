/* vault: encryption of personal data at rest, under one master key.
 *
 * The master key (32 bytes) is read from the file named by the `master_key_file` setting
 * (default <data>/master.key, created with mode 0600 on first start). Small fields (ID numbers,
 * phone numbers, code payloads) are sealed with XChaCha20-Poly1305 (libsodium secretbox) and stored
 * as text "v1:<base64url(nonce|ciphertext)>". Lookups on an encrypted field use a keyed hash
 * (BLAKE2b keyed with a subkey of the master key), so equal values can be found without storing
 * them in the clear. Files (photos) use util/vault's per-object keys: vault_wrap_key wraps a
 * random per-object key under the master key (the blob store's secretstream uses it).
 *
 * The vault is process-global and set once at start (vault_init / vault_init_file); every
 * function is thread-safe after that. */
#ifndef TUCAI_UTIL_VAULT_H
#define TUCAI_UTIL_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define VAULT_KEY_BYTES 32

int vault_init(const uint8_t key[VAULT_KEY_BYTES]);
/* Reads the key file, or creates it (random key, mode 0600) when `create` and it is missing. */
int vault_init_file(const char *path, int create, err_t *err);
int vault_ready(void);

/* Seals a UTF-8 string; returns a malloc'd "v1:..." text (free()), NULL on error. */
char *vault_seal_text(const char *plain, err_t *err);
/* Opens what vault_seal_text made; malloc'd NUL-terminated plaintext, NULL when tampered. */
char *vault_open_text(const char *sealed, err_t *err);
/* Keyed hash for lookups: 64 hex chars + NUL into out. `purpose` separates domains ("phone"). */
void vault_lookup_hash(const char *purpose, const char *value, char out[65]);
/* Wraps / unwraps a per-object key (32 bytes) for files at rest. wrapped is 72 bytes. */
#define VAULT_WRAPPED_BYTES (24 + 32 + 16)
int vault_wrap_key(const uint8_t key[32], uint8_t wrapped[VAULT_WRAPPED_BYTES]);
int vault_unwrap_key(const uint8_t wrapped[VAULT_WRAPPED_BYTES], uint8_t key[32]);

/* Key rotation (src/backup/rotate.h): a second master key's subkeys beside the process's own.
 * read from path (created, mode 0600, when `create` and missing). vault_keys_free wipes them. */
typedef struct vault_keys vault_keys;
vault_keys *vault_keys_from_file(const char *path, int create, err_t *err);
void vault_keys_free(vault_keys *k);
/* 1 when k is the process's own key. */
int vault_keys_same(const vault_keys *k);
/* Re-wraps in place an object key wrapped by the process's key so that k unwraps it: 0 done,
 * 1 already under k (nothing changed), -1 under neither. */
int vault_rewrap_key(const vault_keys *k, uint8_t wrapped[VAULT_WRAPPED_BYTES]);
/* Opens a sealed text with k, else with the process's key; *under_k says which opened it. */
char *vault_open_text_any(const vault_keys *k, const char *sealed, int *under_k, err_t *err);
char *vault_seal_text_with(const vault_keys *k, const char *plain, err_t *err);
void vault_lookup_hash_with(const vault_keys *k, const char *purpose, const char *value, char out[65]);
/* Makes k the process's key (after a rotation, to check the result with it). */
void vault_use(const vault_keys *k);

#endif
