#include "util/vault.h"
#include "util/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The subkeys of one master key. The process has one set (cur); key rotation loads a second. */
struct vault_keys {
  uint8_t field[crypto_secretbox_KEYBYTES];
  uint8_t wrap[crypto_secretbox_KEYBYTES];
  uint8_t hash[crypto_generichash_KEYBYTES];
};
static struct vault_keys cur;
static int ready;

static void derive(struct vault_keys *k, const uint8_t key[VAULT_KEY_BYTES]) {
  /* One master key, three independent subkeys: a leak of one use does not weaken another. */
  crypto_kdf_derive_from_key(k->field, sizeof k->field, 1, "tucaifld", key);
  crypto_kdf_derive_from_key(k->wrap, sizeof k->wrap, 2, "tucaiwrp", key);
  crypto_kdf_derive_from_key(k->hash, sizeof k->hash, 3, "tucaihsh", key);
}

int vault_init(const uint8_t key[VAULT_KEY_BYTES]) {
  if (sodium_init() < 0) return -1;
  derive(&cur, key);
  ready = 1;
  return 0;
}

int vault_ready(void) { return ready; }

static int read_key_file(const char *path, int create, uint8_t key[VAULT_KEY_BYTES], err_t *err) {
  int fd = open(path, O_RDONLY);
  if (fd < 0 && errno == ENOENT && create) {
    if (sodium_init() < 0) return err_set(err, 0, "vault", "libsodium failed to start");
    randombytes_buf(key, VAULT_KEY_BYTES);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return err_set(err, 0, "vault", "cannot create master key file %s", path);
    ssize_t w = write(fd, key, VAULT_KEY_BYTES);
    fsync(fd);
    close(fd);
    if (w != (ssize_t)VAULT_KEY_BYTES) return err_set(err, 0, "vault", "cannot write master key file %s", path);
  } else {
    if (fd < 0) return err_set(err, 0, "vault", "cannot read master key file %s", path);
    struct stat sb;
    ssize_t r = read(fd, key, VAULT_KEY_BYTES);
    fstat(fd, &sb);
    close(fd);
    if (r != (ssize_t)VAULT_KEY_BYTES || sb.st_size != (off_t)VAULT_KEY_BYTES)
      return err_set(err, 0, "vault", "master key file %s must hold exactly %d bytes", path, VAULT_KEY_BYTES);
  }
  return 0;
}

int vault_init_file(const char *path, int create, err_t *err) {
  uint8_t key[VAULT_KEY_BYTES];
  if (read_key_file(path, create, key, err) < 0) return -1;
  vault_init(key);
  sodium_memzero(key, sizeof key);
  return 0;
}

static char *seal_with(const struct vault_keys *k, const char *plain, err_t *err);

char *vault_seal_text(const char *plain, err_t *err) { return seal_with(&cur, plain, err); }

static char *seal_with(const struct vault_keys *k, const char *plain, err_t *err) {
  if (!ready) {
    err_set(err, 0, "vault", "vault not initialised");
    return NULL;
  }
  size_t n = strlen(plain);
  size_t raw_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
  uint8_t *raw = xmalloc(raw_len);
  randombytes_buf(raw, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(raw + crypto_secretbox_NONCEBYTES, (const uint8_t *)plain, n, raw, k->field);
  size_t b64 = sodium_base64_ENCODED_LEN(raw_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *out = xmalloc(3 + b64);
  memcpy(out, "v1:", 3);
  sodium_bin2base64(out + 3, b64, raw, raw_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  free(raw);
  return out;
}

static char *open_with(const struct vault_keys *k, const char *sealed, err_t *err);

char *vault_open_text(const char *sealed, err_t *err) { return open_with(&cur, sealed, err); }

static char *open_with(const struct vault_keys *k, const char *sealed, err_t *err) {
  if (!ready || !sealed || strncmp(sealed, "v1:", 3)) {
    err_set(err, 0, "vault", "not a sealed value");
    return NULL;
  }
  size_t in_len = strlen(sealed + 3), raw_len = 0;
  uint8_t *raw = xmalloc(in_len + 1);
  if (sodium_base642bin(raw, in_len + 1, sealed + 3, in_len, NULL, &raw_len, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      raw_len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    free(raw);
    err_set(err, 0, "vault", "sealed value is damaged");
    return NULL;
  }
  size_t n = raw_len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
  char *out = xmalloc(n + 1);
  if (crypto_secretbox_open_easy((uint8_t *)out, raw + crypto_secretbox_NONCEBYTES,
                                 raw_len - crypto_secretbox_NONCEBYTES, raw, k->field) != 0) {
    free(raw);
    free(out);
    err_set(err, 0, "vault", "sealed value failed authentication");
    return NULL;
  }
  out[n] = 0;
  free(raw);
  return out;
}

static void hash_with(const struct vault_keys *k, const char *purpose, const char *value, char out[65]);

void vault_lookup_hash(const char *purpose, const char *value, char out[65]) { hash_with(&cur, purpose, value, out); }

static void hash_with(const struct vault_keys *k, const char *purpose, const char *value, char out[65]) {
  uint8_t h[32];
  crypto_generichash_state st;
  crypto_generichash_init(&st, k->hash, sizeof k->hash, sizeof h);
  crypto_generichash_update(&st, (const uint8_t *)purpose, strlen(purpose) + 1);
  crypto_generichash_update(&st, (const uint8_t *)value, strlen(value));
  crypto_generichash_final(&st, h, sizeof h);
  sodium_bin2hex(out, 65, h, sizeof h);
}

int vault_wrap_key(const uint8_t key[32], uint8_t wrapped[VAULT_WRAPPED_BYTES]) {
  if (!ready) return -1;
  randombytes_buf(wrapped, crypto_secretbox_NONCEBYTES);
  return crypto_secretbox_easy(wrapped + crypto_secretbox_NONCEBYTES, key, 32, wrapped, cur.wrap);
}

int vault_unwrap_key(const uint8_t wrapped[VAULT_WRAPPED_BYTES], uint8_t key[32]) {
  if (!ready) return -1;
  return crypto_secretbox_open_easy(key, wrapped + crypto_secretbox_NONCEBYTES,
                                    VAULT_WRAPPED_BYTES - crypto_secretbox_NONCEBYTES, wrapped, cur.wrap);
}

/* ---- rotation ---------------------------------------------------------------------------- */

vault_keys *vault_keys_from_file(const char *path, int create, err_t *err) {
  uint8_t key[VAULT_KEY_BYTES];
  if (sodium_init() < 0 || read_key_file(path, create, key, err) < 0) return NULL;
  vault_keys *k = sodium_malloc(sizeof *k);
  if (k) derive(k, key);
  sodium_memzero(key, sizeof key);
  if (!k) err_set(err, 0, "vault", "out of memory");
  return k;
}

void vault_keys_free(vault_keys *k) { sodium_free(k); }

int vault_keys_same(const vault_keys *k) { return ready && sodium_memcmp(k->wrap, cur.wrap, sizeof cur.wrap) == 0; }

int vault_rewrap_key(const vault_keys *k, uint8_t wrapped[VAULT_WRAPPED_BYTES]) {
  uint8_t obj[32];
  const size_t nb = crypto_secretbox_NONCEBYTES, cl = VAULT_WRAPPED_BYTES - crypto_secretbox_NONCEBYTES;
  if (crypto_secretbox_open_easy(obj, wrapped + nb, cl, wrapped, k->wrap) == 0) {
    sodium_memzero(obj, sizeof obj);
    return 1;
  }
  if (!ready || crypto_secretbox_open_easy(obj, wrapped + nb, cl, wrapped, cur.wrap) != 0) return -1;
  randombytes_buf(wrapped, nb);
  crypto_secretbox_easy(wrapped + nb, obj, 32, wrapped, k->wrap);
  sodium_memzero(obj, sizeof obj);
  return 0;
}

char *vault_open_text_any(const vault_keys *k, const char *sealed, int *under_k, err_t *err) {
  char *p = open_with(k, sealed, NULL);
  *under_k = p != NULL;
  return p ? p : open_with(&cur, sealed, err);
}

char *vault_seal_text_with(const vault_keys *k, const char *plain, err_t *err) { return seal_with(k, plain, err); }

void vault_lookup_hash_with(const vault_keys *k, const char *purpose, const char *value, char out[65]) {
  hash_with(k, purpose, value, out);
}

void vault_use(const vault_keys *k) {
  cur = *k;
  ready = 1;
}
