/* The vault's rotation primitives (backup/rotate.h stands on them): an object key wrapped by the
 * process's key is re-wrapped for the new key, once (a second pass sees it done), and one wrapped by
 * neither is refused; sealed text says which key opened it; lookup hashes differ between keys; once
 * the new key is the process's key, what was re-wrapped opens and the old ciphertext does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/vault.h"

static void rotation_rewraps_once_and_knows_which_key(void **state) {
  (void)state;
  uint8_t old_key[VAULT_KEY_BYTES];
  memset(old_key, 7, sizeof old_key);
  assert_int_equal(vault_init(old_key), 0);
  char path[] = "/tmp/tucai-vault-rotate-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  unlink(path);
  err_t err = {0};
  vault_keys *k = vault_keys_from_file(path, 1, &err);
  assert_non_null(k);
  assert_false(vault_keys_same(k));

  uint8_t obj[32], wrapped[VAULT_WRAPPED_BYTES], before[VAULT_WRAPPED_BYTES], back[32];
  memset(obj, 42, sizeof obj);
  assert_int_equal(vault_wrap_key(obj, wrapped), 0);
  memcpy(before, wrapped, sizeof before);
  assert_int_equal(vault_rewrap_key(k, wrapped), 0);
  assert_memory_not_equal(before, wrapped, sizeof wrapped);
  uint8_t again[VAULT_WRAPPED_BYTES];
  memcpy(again, wrapped, sizeof again);
  assert_int_equal(vault_rewrap_key(k, again), 1);
  assert_memory_equal(again, wrapped, sizeof again);
  uint8_t bad[VAULT_WRAPPED_BYTES];
  memcpy(bad, before, sizeof bad);
  bad[30] ^= 1;
  assert_int_equal(vault_rewrap_key(k, bad), -1);

  char *sealed_old = vault_seal_text("13800000001", &err);
  char *sealed_new = vault_seal_text_with(k, "13800000001", &err);
  int under = -1;
  char *p = vault_open_text_any(k, sealed_old, &under, &err);
  assert_string_equal(p, "13800000001");
  assert_int_equal(under, 0);
  free(p);
  p = vault_open_text_any(k, sealed_new, &under, &err);
  assert_string_equal(p, "13800000001");
  assert_int_equal(under, 1);
  free(p);
  char h_old[65], h_new[65];
  vault_lookup_hash("phone", "13800000001", h_old);
  vault_lookup_hash_with(k, "phone", "13800000001", h_new);
  assert_string_not_equal(h_old, h_new);

  vault_use(k);
  assert_true(vault_keys_same(k));
  assert_int_equal(vault_unwrap_key(wrapped, back), 0);
  assert_memory_equal(back, obj, sizeof obj);
  assert_int_not_equal(vault_unwrap_key(before, back), 0);
  char buf[65];
  vault_lookup_hash("phone", "13800000001", buf);
  assert_string_equal(buf, h_new);
  free(sealed_old);
  free(sealed_new);
  vault_keys_free(k);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(rotation_rewraps_once_and_knows_which_key)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
