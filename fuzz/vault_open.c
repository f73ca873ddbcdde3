/* vault_open: sealed personal fields as they come back from the store ("v1:" base64url text,
 * vault_open_text) and wrapped per-object keys from a blob file's header (vault_unwrap_key), under
 * a fixed test master key. A value the harness sealed itself must open to the same text. */
#include "fuzz.h"
#include "util/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static int ready;
  if (!ready) {
    uint8_t key[VAULT_KEY_BYTES];
    for (int i = 0; i < VAULT_KEY_BYTES; i++) key[i] = (uint8_t)(i * 7 + 1);
    if (vault_init(key) != 0) abort();
    ready = 1;
  }
  char *s = fuzz_cstr(d, n);
  err_t err = {0};
  free(vault_open_text(s, &err));
  /* Round trip: what we seal opens to the same bytes. */
  char *sealed = vault_seal_text(s, &err);
  if (!sealed) abort();
  char *back = vault_open_text(sealed, &err);
  if (!back || strcmp(back, s) != 0) abort();
  free(back);
  free(sealed);
  free(s);
  if (n >= VAULT_WRAPPED_BYTES) {
    uint8_t w[VAULT_WRAPPED_BYTES], k[32];
    memcpy(w, d, sizeof w);
    vault_unwrap_key(w, k);
  }
  return 0;
}
