/* code_verify: the collection-code text a student's QR code carries (POST /api/student/code reads
 * the QR, then code_verify checks it against the issuers' public keys). An input that starts with
 * "TC1." is the text as scanned; any other input is taken as the payload JSON and signed with the
 * harness's own issuer key, as the registry would, so the fuzzer reaches the payload's parsing
 * behind the signature; there the placeholder key id "KIDKIDKIDKIDKIDK" (16 characters) becomes the
 * harness's own, which is made anew in every process. */
#include <sodium.h>

#include "fuzz.h"
#include "identity/code.h"
#include "util/xmalloc.h"

#define NOW_MS 1750000000000LL /* 2025-06-15: inside the seeds' validity */

static code_keyring ring;
static code_signer signer;

static void init(void) {
  char dir[300];
  err_t err = {0};
  fuzz_path(dir, sizeof dir, "issuer");
  if (sodium_init() < 0 || code_keygen(dir, &err) != 0 || code_keyring_load(dir, &ring, &err) != 0 ||
      code_signer_load(dir, &signer, &err) != 0) {
    fprintf(stderr, "code_verify: key setup failed: %s\n", err.message);
    abort();
  }
}

static void check(const char *text) {
  code_payload p;
  err_t err = {0};
  if (code_verify(text, &ring, NOW_MS, &p, &err) == 0) {
    json_t *j = code_payload_json(&p);
    json_decref(j);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static int ready;
  if (!ready) init(), ready = 1;
  if (n >= 4 && memcmp(d, "TC1.", 4) == 0) {
    char *text = fuzz_cstr(d, n);
    check(text);
    free(text);
    return 0;
  }
  if (n > 4096) return 0;
  uint8_t *payload = xmalloc(n ? n : 1);
  memcpy(payload, d, n);
  for (size_t i = 0; i + CODE_KID_LEN <= n; i++)
    if (memcmp(payload + i, "KIDKIDKIDKIDKIDK", CODE_KID_LEN) == 0) memcpy(payload + i, signer.kid, CODE_KID_LEN);
  d = payload;
  /* "TC1." base64url(payload) "." base64url(Ed25519 over everything before the dot). */
  size_t b64 = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *text = xmalloc(4 + b64 + 1 + sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_URLSAFE_NO_PADDING));
  memcpy(text, "TC1.", 4);
  sodium_bin2base64(text + 4, b64, d, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  size_t signed_len = strlen(text);
  uint8_t sig[64];
  crypto_sign_detached(sig, NULL, (const uint8_t *)text, signed_len, signer.sk);
  text[signed_len] = '.';
  sodium_bin2base64(text + signed_len + 1, sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_URLSAFE_NO_PADDING), sig,
                    64, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  check(text);
  free(text);
  free(payload);
  return 0;
}
