#include "util/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t field_key[crypto_secretbox_KEYBYTES];
static uint8_t wrap_key[crypto_secretbox_KEYBYTES];
static uint8_t hash_key[crypto_generichash_KEYBYTES];
static int ready;

int vault_init(const uint8_t key[VAULT_KEY_BYTES]) {
  if (sodium_init() < 0) return -1;
  /* One master key, three independent subkeys: a leak of one use does not weaken another. */
  crypto_kdf_derive_from_key(field_key, sizeof field_key, 1, "tucaifld", key);
  crypto_kdf_derive_from_key(wrap_key, sizeof wrap_key, 2, "tucaiwrp", key);
  crypto_kdf_derive_from_key(hash_key, sizeof hash_key, 3, "tucaihsh", key);
  ready = 1;
  return 0;
}

int vault_ready(void) { return ready; }

int vault_init_file(const char *path, int create, err_t *err) {
  uint8_t key[VAULT_KEY_BYTES];
  int fd = open(path, O_RDONLY);
  if (fd < 0 && errno == ENOENT && create) {
    if (sodium_init() < 0) return err_set(err, 0, "vault", "libsodium failed to start");
    randombytes_buf(key, sizeof key);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return err_set(err, 0, "vault", "cannot create master key file %s", path);
    ssize_t w = write(fd, key, sizeof key);
    fsync(fd);
    close(fd);
    if (w != (ssize_t)sizeof key) return err_set(err, 0, "vault", "cannot write master key file %s", path);
  } else {
    if (fd < 0) return err_set(err, 0, "vault", "cannot read master key file %s", path);
    struct stat sb;
    ssize_t r = read(fd, key, sizeof key);
    fstat(fd, &sb);
    close(fd);
    if (r != (ssize_t)sizeof key || sb.st_size != (off_t)sizeof key)
      return err_set(err, 0, "vault", "master key file %s must hold exactly %d bytes", path, VAULT_KEY_BYTES);
  }
  vault_init(key);
  sodium_memzero(key, sizeof key);
  return 0;
}

char *vault_seal_text(const char *plain, err_t *err) {
  if (!ready) {
    err_set(err, 0, "vault", "vault not initialised");
    return NULL;
  }
  size_t n = strlen(plain);
  size_t raw_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
  uint8_t *raw = malloc(raw_len);
  randombytes_buf(raw, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(raw + crypto_secretbox_NONCEBYTES, (const uint8_t *)plain, n, raw, field_key);
  size_t b64 = sodium_base64_ENCODED_LEN(raw_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *out = malloc(3 + b64);
  memcpy(out, "v1:", 3);
  sodium_bin2base64(out + 3, b64, raw, raw_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  free(raw);
  return out;
}

char *vault_open_text(const char *sealed, err_t *err) {
  if (!ready || !sealed || strncmp(sealed, "v1:", 3)) {
    err_set(err, 0, "vault", "not a sealed value");
    return NULL;
  }
  size_t in_len = strlen(sealed + 3), raw_len = 0;
  uint8_t *raw = malloc(in_len + 1);
  if (sodium_base642bin(raw, in_len + 1, sealed + 3, in_len, NULL, &raw_len, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      raw_len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    free(raw);
    err_set(err, 0, "vault", "sealed value is damaged");
    return NULL;
  }
  size_t n = raw_len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
  char *out = malloc(n + 1);
  if (crypto_secretbox_open_easy((uint8_t *)out, raw + crypto_secretbox_NONCEBYTES,
                                 raw_len - crypto_secretbox_NONCEBYTES, raw, field_key) != 0) {
    free(raw);
    free(out);
    err_set(err, 0, "vault", "sealed value failed authentication");
    return NULL;
  }
  out[n] = 0;
  free(raw);
  return out;
}

void vault_lookup_hash(const char *purpose, const char *value, char out[65]) {
  uint8_t h[32];
  crypto_generichash_state st;
  crypto_generichash_init(&st, hash_key, sizeof hash_key, sizeof h);
  crypto_generichash_update(&st, (const uint8_t *)purpose, strlen(purpose) + 1);
  crypto_generichash_update(&st, (const uint8_t *)value, strlen(value));
  crypto_generichash_final(&st, h, sizeof h);
  sodium_bin2hex(out, 65, h, sizeof h);
}

int vault_wrap_key(const uint8_t key[32], uint8_t wrapped[VAULT_WRAPPED_BYTES]) {
  if (!ready) return -1;
  randombytes_buf(wrapped, crypto_secretbox_NONCEBYTES);
  return crypto_secretbox_easy(wrapped + crypto_secretbox_NONCEBYTES, key, 32, wrapped, wrap_key);
}

int vault_unwrap_key(const uint8_t wrapped[VAULT_WRAPPED_BYTES], uint8_t key[32]) {
  if (!ready) return -1;
  return crypto_secretbox_open_easy(key, wrapped + crypto_secretbox_NONCEBYTES,
                                    VAULT_WRAPPED_BYTES - crypto_secretbox_NONCEBYTES, wrapped, wrap_key);
}
