/* keys.c: operator signing key files and the registry's keys (see keys.h). */
#include "export/keys.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

void export_kid(const uint8_t pk[32], char out[EXPORT_KID_LEN + 1]) {
  uint8_t h[8];
  crypto_generichash(h, sizeof h, pk, 32, NULL, 0);
  sodium_bin2hex(out, EXPORT_KID_LEN + 1, h, sizeof h);
}

/* Reads "<type> <kid> <b64>" from a line; decodes len bytes. */
static int parse_line(const char *line, const char *type, char kid[EXPORT_KID_LEN + 1], uint8_t *key, size_t len) {
  char t[64], k[64], b[256];
  if (sscanf(line, "%63s %63s %255s", t, k, b) != 3 || strcmp(t, type) != 0 || strlen(k) != EXPORT_KID_LEN) return -1;
  size_t got = 0;
  if (sodium_base642bin(key, len, b, strlen(b), NULL, &got, NULL, B64) != 0 || got != len) return -1;
  memcpy(kid, k, EXPORT_KID_LEN + 1);
  return 0;
}

static int read_line(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char *ok = fgets(buf, (int)cap, f);
  fclose(f);
  return ok ? 0 : -1;
}

int operator_key_load(const char *path, int create, operator_key *out, err_t *err) {
  char line[512];
  memset(out, 0, sizeof *out);
  if (read_line(path, line, sizeof line) == 0) {
    int rc = parse_line(line, "tucai-operator-ed25519-secret", out->kid, out->sk, 64);
    sodium_memzero(line, sizeof line);
    if (rc < 0) return err_set(err, 0, "bad_operator_key", "operator key file is malformed");
    crypto_sign_ed25519_sk_to_pk(out->pk, out->sk);
    char kid[EXPORT_KID_LEN + 1];
    export_kid(out->pk, kid);
    if (strcmp(kid, out->kid) != 0)
      return err_set(err, 0, "bad_operator_key", "operator key id does not match the key");
    return 0;
  }
  if (!create) return err_set(err, 400, "no_operator_key", "operator key file not found");
  crypto_sign_keypair(out->pk, out->sk);
  export_kid(out->pk, out->kid);
  char b[128];
  sodium_bin2base64(b, sizeof b, out->sk, 64, B64);
  int n = snprintf(line, sizeof line, "tucai-operator-ed25519-secret %s %s\n", out->kid, b);
  sodium_memzero(b, sizeof b);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  int rc = 0;
  if (fd < 0 || write(fd, line, (size_t)n) != n)
    rc = err_set(err, 0, "operator_key", "cannot write the operator key file");
  if (fd >= 0) close(fd);
  sodium_memzero(line, sizeof line);
  if (rc < 0) return rc;
  /* Another process may have won the race: load what is on disk. */
  return operator_key_load(path, 0, out, err);
}

void operator_key_pub_line(const operator_key *k, char out[128]) {
  char b[64];
  sodium_bin2base64(b, sizeof b, k->pk, 32, B64);
  snprintf(out, 128, "tucai-operator-ed25519 %s %s", k->kid, b);
}

int operator_pub_find(const char *dir, const char *kid, uint8_t pk[32], err_t *err) {
  DIR *d = opendir(dir);
  if (!d) return err_set(err, 400, "key_dir", "cannot read key directory %s", dir);
  struct dirent *e;
  int found = 0;
  while (!found && (e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 5 || strcmp(e->d_name + n - 4, ".pub") != 0) continue;
    char path[2048], line[512], k[EXPORT_KID_LEN + 1];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    while (!found && fgets(line, sizeof line, f)) {
      uint8_t key[32];
      char check[EXPORT_KID_LEN + 1];
      if (parse_line(line, "tucai-operator-ed25519", k, key, 32) == 0 && strcmp(k, kid) == 0) {
        export_kid(key, check);
        if (strcmp(check, kid) == 0) {
          memcpy(pk, key, 32);
          found = 1;
        }
      }
    }
    fclose(f);
  }
  closedir(d);
  return found ? 0
               : err_set(err, 403, "untrusted_signer", "the package is signed by a key the registry does not trust");
}

int registry_seal_key_load(const char *dir, char kid[EXPORT_KID_LEN + 1], uint8_t pk[32], uint8_t sk[32], err_t *err) {
  char path[2048], line[512];
  snprintf(path, sizeof path, "%s/seal.key", dir);
  if (read_line(path, line, sizeof line) < 0) return err_set(err, 400, "no_seal_key", "no seal.key in %s", dir);
  int rc = parse_line(line, "tucai-seal-x25519-secret", kid, sk, 32);
  sodium_memzero(line, sizeof line);
  if (rc < 0) return err_set(err, 400, "bad_seal_key", "seal.key is malformed");
  crypto_scalarmult_base(pk, sk);
  return 0;
}
