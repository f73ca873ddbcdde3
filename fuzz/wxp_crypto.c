/* wxp_crypto: the WeChat Pay v3 primitives that read what the provider sends: base64
 * (wxp_b64_decode), the AES-256-GCM resource of a notification (wxp_aes_gcm_decrypt with the
 * resource's nonce, associated_data and ciphertext) and the RSA signature header
 * (wxp_rsa_verify_b64). The input is "nonce\n--8<--\naad\n--8<--\nciphertext_b64\n--8<--\nsignature_b64";
 * a resource the harness encrypted itself with the same key must decrypt to the same bytes. */
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "fuzz.h"
#include "pay/wxp_sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static uint8_t key[WXP_APIV3_KEY_BYTES];
  static EVP_PKEY *pub;
  if (!pub) {
    memcpy(key, "0123456789abcdef0123456789abcdef", WXP_APIV3_KEY_BYTES);
    pub = EVP_RSA_gen(2048);
    if (!pub) abort();
  }
  const uint8_t *part[4];
  size_t len[4];
  int k = fuzz_split(d, n, part, len, 4);
  char *f[4] = {0};
  for (int i = 0; i < 4; i++) f[i] = i < k ? fuzz_cstr(part[i], len[i]) : fuzz_cstr((const uint8_t *)"", 0);

  size_t bl = 0;
  uint8_t *raw = wxp_b64_decode(f[2], &bl);
  if (raw) {
    if (bl > strlen(f[2]) / 4 * 3) abort(); /* never more bytes than the text can hold */
    free(raw);
  }
  size_t pl = 0;
  free(wxp_aes_gcm_decrypt(key, f[0], f[1], f[2], &pl));
  wxp_rsa_verify_b64(pub, f[0], strlen(f[0]), f[3]);

  /* Round trip with the fuzzer's plaintext, nonce and associated data. */
  size_t nl = strlen(f[0]);
  if (nl >= 1 && nl <= 64) {
    char *ct = wxp_aes_gcm_encrypt_b64(key, f[0], f[1], (const uint8_t *)f[2], strlen(f[2]));
    if (ct) {
      char *pt = wxp_aes_gcm_decrypt(key, f[0], f[1], ct, &pl);
      if (!pt || pl != strlen(f[2]) || memcmp(pt, f[2], pl) != 0) abort();
      free(pt);
      free(ct);
    }
  }
  for (int i = 0; i < 4; i++) free(f[i]);
  return 0;
}
