/* code: our collection code (采集码) — a signed, versioned payload carried in a QR code.
 *
 * The registry's real format is not public, so we define one (version 1):
 *   text  = "TC1." base64url(payload) "." base64url(signature)
 *   payload = compact JSON {"v":1,"kid":..,"sno":..,"nm":..,"idm":..,"sc":..,"sn":..,
 *                           "deg":..,"gy":..,"iat":..,"exp":..,"skid":..}
 *   signature = Ed25519 over the ASCII bytes "TC1." base64url(payload)
 * so the version prefix is signed too. Name and ID number travel masked only (张*, 2102****34).
 * `kid` names the issuer's signing key (first 8 bytes of BLAKE2b(public key), hex), `skid` the
 * registry's sealing key (X25519) that finished photos are sealed to.
 *
 * Keys live in a directory made by `tucai code keygen`:
 *   issuer.key (secret, 0600), issuer.pub, seal.key (secret, 0600), seal.pub
 * Public key files are one line: "tucai-issuer-ed25519 <kid> <base64url key>" (or tucai-seal-x25519).
 * A verifier trusts every issuer *.pub file in its directory, so keys can be rotated by adding
 * the new public key before codes signed with it appear. */
#ifndef TUCAI_IDENTITY_CODE_H
#define TUCAI_IDENTITY_CODE_H

#include <jansson.h>
#include <stdint.h>

#include "util/err.h"

#define CODE_VERSION 1
#define CODE_PREFIX "TC1."
#define CODE_KID_LEN 16
#define CODE_MAX_KEYS 32

typedef struct code_payload {
  int version;
  char kid[CODE_KID_LEN + 1];
  char student_no[40];
  char name_masked[64];
  char id_masked[24];
  char school_code[32];
  char school_name[128];
  char degree[16];
  int grad_year;
  int64_t issued_at_ms;
  int64_t expires_at_ms;
  char seal_kid[CODE_KID_LEN + 1];
} code_payload;

typedef struct code_key {
  char kid[CODE_KID_LEN + 1];
  uint8_t pk[32];
} code_key;

typedef struct code_keyring {
  int n;
  code_key keys[CODE_MAX_KEYS];
} code_keyring;

typedef struct code_signer {
  uint8_t sk[64];
  char kid[CODE_KID_LEN + 1];
  char seal_kid[CODE_KID_LEN + 1];
} code_signer;

/* Creates dir (if needed) with a fresh issuer pair and sealing pair; refuses to overwrite keys. */
int code_keygen(const char *dir, err_t *err);
/* Loads issuer.key and seal.pub from a key dir. Wipe with sodium_memzero after use. */
int code_signer_load(const char *dir, code_signer *out, err_t *err);
/* Loads every issuer public key (*.pub starting "tucai-issuer-ed25519") in dir. 0 keys is an error. */
int code_keyring_load(const char *dir, code_keyring *out, err_t *err);
/* The registry sealing public key with `kid` from a dir's seal *.pub files (for sealing photos). */
int code_seal_pub_load(const char *dir, const char *kid, uint8_t pk[32], err_t *err);

/* Masks for the payload: "张三" -> "张*", "210203199001011234" -> "2102************34". */
void code_mask_name(const char *name, char out[64]);
void code_mask_id(const char *id, char out[24]);

/* Signs a payload (version and kid are filled from the signer). Returns malloc'd text or NULL. */
char *code_sign(code_payload *p, const code_signer *signer, err_t *err);
/* Verifies text against the keyring at now_ms. Errors (status 422, Chinese messages):
 *   not_collection_code, unknown_issuer, bad_signature, code_expired. */
int code_verify(const char *text, const code_keyring *ring, int64_t now_ms, code_payload *out, err_t *err);
/* The payload as JSON (new reference). */
json_t *code_payload_json(const code_payload *p);

#endif
