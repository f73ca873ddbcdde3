/* keys: the operator's Ed25519 signing key for export packages, and the keys the registry side
 * uses to open them.
 *
 * Operator: <file> holds "tucai-operator-ed25519-secret <kid> <base64url sk>" (mode 0600, made on
 * first use); its public line "tucai-operator-ed25519 <kid> <base64url pk>" is given to the
 * registry, which trusts every such line in the *.pub files of its key directory. The registry's
 * key directory is the one `tucai code keygen` makes (seal.key / seal.pub: X25519). kid = hex of
 * the first 8 bytes of BLAKE2b(public key), as for collection codes. */
#ifndef TUCAI_EXPORT_KEYS_H
#define TUCAI_EXPORT_KEYS_H

#include <stdint.h>

#include "util/err.h"

#define EXPORT_KID_LEN 16

typedef struct operator_key {
  uint8_t sk[64];
  uint8_t pk[32];
  char kid[EXPORT_KID_LEN + 1];
} operator_key;

/* Loads the key file, creating it when missing and `create`. Wipe with sodium_memzero. */
int operator_key_load(const char *path, int create, operator_key *out, err_t *err);
/* The public line (no newline) into out. */
void operator_key_pub_line(const operator_key *k, char out[128]);
/* Finds a trusted operator public key with `kid` in dir's *.pub files. 0 found, -1 (403 untrusted_signer). */
int operator_pub_find(const char *dir, const char *kid, uint8_t pk[32], err_t *err);
/* The registry's sealing secret key (seal.key in dir) with its kid, and the public key. */
int registry_seal_key_load(const char *dir, char kid[EXPORT_KID_LEN + 1], uint8_t pk[32], uint8_t sk[32], err_t *err);
void export_kid(const uint8_t pk[32], char out[EXPORT_KID_LEN + 1]);

#endif
