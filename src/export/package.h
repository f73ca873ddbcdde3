/* package: the sealed and signed file that carries a batch's photos to the registry.
 *
 * Layout (all integers big-endian):
 *   "TUCAIPK1"                                    magic, 8 bytes
 *   u32 n, header JSON (n bytes, at most 4096)    {"v":1,"seal_kid":..,"signer_kid":..,"created_at":ms}
 *   sealed key, 80 bytes                          crypto_box_seal(32-byte stream key, registry's X25519 key)
 *   secretstream header, 24 bytes                 crypto_secretstream_xchacha20poly1305
 *   chunks: u32 n, n bytes of ciphertext          plaintext chunks of at most 64 KiB; the last is TAG_FINAL
 *   signature, 64 bytes                           Ed25519ph (crypto_sign_init/update/final) over all before it
 * The plaintext is a ustar archive (export/tar.h). Sealed boxes are for small messages, so a
 * random stream key is sealed and the archive streamed under it: memory stays flat whatever the
 * batch size. The header JSON is used as additional data of the first chunk, so it cannot be
 * swapped even by someone holding a different signature key.
 *
 * Opening checks the signature against a trusted operator key first, then decrypts; any flipped
 * byte anywhere fails one of the two. */
#ifndef TUCAI_EXPORT_PACKAGE_H
#define TUCAI_EXPORT_PACKAGE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "export/keys.h"
#include "util/err.h"

#define PACKAGE_MAGIC "TUCAIPK1"
#define PACKAGE_CHUNK 65536

typedef struct package_writer package_writer;

/* Creates `path` (must not exist). */
package_writer *package_writer_open(const char *path, const uint8_t seal_pk[32], const char *seal_kid,
                                    const operator_key *signer, int64_t created_at_ms, err_t *err);
int package_add_file(package_writer *w, const char *name, const uint8_t *data, size_t len, err_t *err);
/* Ends the archive, signs, closes. sha256 (hex) of the whole file into sha_out. Frees w. */
int package_writer_finish(package_writer *w, char sha_out[65], err_t *err);
/* Closes and removes the unfinished file. Frees w. */
void package_writer_abort(package_writer *w);

typedef int (*package_on_file)(void *ctx, const char *name, const uint8_t *data, size_t len, err_t *err);

typedef struct package_info {
  char seal_kid[EXPORT_KID_LEN + 1];
  char signer_kid[EXPORT_KID_LEN + 1];
  int64_t created_at_ms;
  char sha256[65];
  int64_t bytes;
} package_info;

/* Verifies and opens a package with the registry's key directory (seal.key and trusted operator
 * *.pub lines); calls cb for every archive member in order. Errors (422 unless said):
 * bad_package, untrusted_signer (403), bad_signature, wrong_recipient, decrypt_failed, bad_archive. */
int package_open(const char *path, const char *key_dir, size_t max_member, package_on_file cb, void *ctx,
                 package_info *info, err_t *err);

#endif
