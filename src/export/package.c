/* package.c: writing and opening export packages (see package.h). */
#include "export/package.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/tar.h"
#include "util/xmalloc.h"

#define SEALED_KEY_BYTES (crypto_box_SEALBYTES + crypto_secretstream_xchacha20poly1305_KEYBYTES)
#define MAX_HEADER 4096

struct package_writer {
  FILE *f;
  char path[1024];
  crypto_sign_state sign;
  crypto_hash_sha256_state sha;
  crypto_secretstream_xchacha20poly1305_state ss;
  uint8_t sk[64];
  uint8_t *plain; /* PACKAGE_CHUNK bytes */
  size_t fill;
  char *header; /* additional data for the first chunk */
  int chunks;
  int64_t mtime_s;
  int failed;
};

static void put_u32(uint8_t b[4], uint32_t v) {
  b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}
static uint32_t get_u32(const uint8_t b[4]) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int out(package_writer *w, const void *p, size_t n, err_t *err) {
  if (fwrite(p, 1, n, w->f) != n) {
    w->failed = 1;
    return err_set(err, 0, "package_write", "cannot write the package file");
  }
  crypto_sign_update(&w->sign, p, n);
  crypto_hash_sha256_update(&w->sha, p, n);
  return 0;
}

static int flush_chunk(package_writer *w, uint8_t tag, err_t *err) {
  size_t clen = w->fill + crypto_secretstream_xchacha20poly1305_ABYTES;
  uint8_t *c = xmalloc(clen);
  const uint8_t *ad = w->chunks == 0 ? (const uint8_t *)w->header : NULL;
  size_t adlen = w->chunks == 0 ? strlen(w->header) : 0;
  crypto_secretstream_xchacha20poly1305_push(&w->ss, c, NULL, w->plain, w->fill, ad, adlen, tag);
  uint8_t lb[4];
  put_u32(lb, (uint32_t)clen);
  int rc = out(w, lb, 4, err);
  if (!rc) rc = out(w, c, clen, err);
  free(c);
  w->fill = 0;
  w->chunks++;
  return rc;
}

/* The tar writer's output. A full buffer is sent only once more data arrives, so that the
 * final chunk (sent by finish) always holds the archive's last bytes. */
static int sink(void *ctx, const uint8_t *p, size_t n, err_t *err) {
  package_writer *w = ctx;
  while (n) {
    if (w->fill == PACKAGE_CHUNK && flush_chunk(w, 0, err) < 0) return -1;
    size_t take = PACKAGE_CHUNK - w->fill < n ? PACKAGE_CHUNK - w->fill : n;
    memcpy(w->plain + w->fill, p, take);
    w->fill += take, p += take, n -= take;
  }
  return 0;
}

package_writer *package_writer_open(const char *path, const uint8_t seal_pk[32], const char *seal_kid,
                                    const operator_key *signer, int64_t created_at_ms, err_t *err) {
  if (sodium_init() < 0) {
    err_set(err, 0, "sodium", "libsodium failed to start");
    return NULL;
  }
  package_writer *w = xcalloc(1, sizeof *w);
  w->plain = xmalloc(PACKAGE_CHUNK);
  snprintf(w->path, sizeof w->path, "%s", path);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || !(w->f = fdopen(fd, "wb"))) {
    if (fd >= 0) close(fd);
    free(w->plain);
    free(w);
    err_set(err, 0, "package_create", "cannot create the package file");
    return NULL;
  }
  memcpy(w->sk, signer->sk, 64);
  w->mtime_s = created_at_ms / 1000;
  crypto_sign_init(&w->sign);
  crypto_hash_sha256_init(&w->sha);
  json_t *h = json_pack("{s:i,s:s,s:s,s:I}", "v", 1, "seal_kid", seal_kid, "signer_kid", signer->kid, "created_at",
                        (json_int_t)created_at_ms);
  w->header = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(h);
  uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES], sealed[SEALED_KEY_BYTES];
  uint8_t ssh[crypto_secretstream_xchacha20poly1305_HEADERBYTES], lb[4];
  crypto_secretstream_xchacha20poly1305_keygen(key);
  int rc = !w->header || crypto_box_seal(sealed, key, sizeof key, seal_pk) != 0 ? -1 : 0;
  if (!rc) crypto_secretstream_xchacha20poly1305_init_push(&w->ss, ssh, key);
  sodium_memzero(key, sizeof key);
  if (rc) err_set(err, 0, "package_seal", "cannot seal the package key");
  put_u32(lb, w->header ? (uint32_t)strlen(w->header) : 0);
  if (!rc) rc = out(w, PACKAGE_MAGIC, 8, err);
  if (!rc) rc = out(w, lb, 4, err);
  if (!rc) rc = out(w, w->header, strlen(w->header), err);
  if (!rc) rc = out(w, sealed, sizeof sealed, err);
  if (!rc) rc = out(w, ssh, sizeof ssh, err);
  if (rc) {
    package_writer_abort(w);
    return NULL;
  }
  return w;
}

int package_add_file(package_writer *w, const char *name, const uint8_t *data, size_t len, err_t *err) {
  if (w->failed) return err_set(err, 0, "package_write", "package writer failed earlier");
  if (tar_write_file(sink, w, name, data, len, w->mtime_s, err) < 0) {
    w->failed = 1;
    return -1;
  }
  return 0;
}

static void writer_free(package_writer *w) {
  sodium_memzero(w->sk, sizeof w->sk);
  sodium_memzero(&w->ss, sizeof w->ss);
  if (w->plain) sodium_memzero(w->plain, PACKAGE_CHUNK);
  free(w->plain);
  free(w->header);
  free(w);
}

void package_writer_abort(package_writer *w) {
  if (!w) return;
  if (w->f) fclose(w->f);
  unlink(w->path);
  writer_free(w);
}

int package_writer_finish(package_writer *w, char sha_out[65], err_t *err) {
  int rc = w->failed ? err_set(err, 0, "package_write", "package writer failed earlier") : 0;
  if (!rc) rc = tar_write_end(sink, w, err);
  if (!rc) rc = flush_chunk(w, crypto_secretstream_xchacha20poly1305_TAG_FINAL, err);
  uint8_t sig[64];
  if (!rc) {
    crypto_sign_final_create(&w->sign, sig, NULL, w->sk);
    if (fwrite(sig, 1, 64, w->f) != 64) rc = err_set(err, 0, "package_write", "cannot write the package file");
    crypto_hash_sha256_update(&w->sha, sig, 64);
  }
  if (!rc && (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0))
    rc = err_set(err, 0, "package_write", "cannot write the package file");
  if (rc) {
    package_writer_abort(w);
    return -1;
  }
  uint8_t h[32];
  crypto_hash_sha256_final(&w->sha, h);
  sodium_bin2hex(sha_out, 65, h, 32);
  fclose(w->f);
  writer_free(w);
  return 0;
}

/* ---- opening ---------------------------------------------------------------------------- */

static int read_exact(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n ? 0 : -1; }

/* Pass 1: the signature over everything but the last 64 bytes, and the file's SHA-256. */
static int verify_pass(FILE *f, int64_t size, const uint8_t pk[32], char sha_hex[65], err_t *err) {
  crypto_sign_state st;
  crypto_hash_sha256_state sha;
  crypto_sign_init(&st);
  crypto_hash_sha256_init(&sha);
  uint8_t buf[65536];
  int64_t left = size - 64;
  fseek(f, 0, SEEK_SET);
  while (left > 0) {
    size_t take = left < (int64_t)sizeof buf ? (size_t)left : sizeof buf;
    if (read_exact(f, buf, take) < 0) return err_set(err, 422, "bad_package", "package file cannot be read");
    crypto_sign_update(&st, buf, take);
    crypto_hash_sha256_update(&sha, buf, take);
    left -= (int64_t)take;
  }
  uint8_t sig[64];
  if (read_exact(f, sig, 64) < 0) return err_set(err, 422, "bad_package", "package file cannot be read");
  crypto_hash_sha256_update(&sha, sig, 64);
  uint8_t h[32];
  crypto_hash_sha256_final(&sha, h);
  sodium_bin2hex(sha_hex, 65, h, 32);
  if (crypto_sign_final_verify(&st, sig, pk) != 0)
    return err_set(err, 422, "bad_signature",
                   "the package signature does not verify: it was changed or not signed by the operator");
  return 0;
}

static int read_header(FILE *f, char **header, package_info *info, err_t *err) {
  uint8_t magic[8], lb[4];
  if (read_exact(f, magic, 8) < 0 || memcmp(magic, PACKAGE_MAGIC, 8) != 0)
    return err_set(err, 422, "bad_package", "not a Tucai export package");
  if (read_exact(f, lb, 4) < 0) return err_set(err, 422, "bad_package", "package header truncated");
  uint32_t n = get_u32(lb);
  if (n == 0 || n > MAX_HEADER) return err_set(err, 422, "bad_package", "package header length out of range");
  char *h = xmalloc(n + 1);
  if (read_exact(f, h, n) < 0) {
    free(h);
    return err_set(err, 422, "bad_package", "package header truncated");
  }
  h[n] = 0;
  json_error_t je;
  json_t *j = json_loads(h, JSON_REJECT_DUPLICATES, &je);
  const char *sk = json_string_value(json_object_get(j, "seal_kid"));
  const char *gk = json_string_value(json_object_get(j, "signer_kid"));
  json_t *at = json_object_get(j, "created_at");
  int ok = json_is_object(j) && json_integer_value(json_object_get(j, "v")) == 1 && sk && gk &&
           strlen(sk) == EXPORT_KID_LEN && strlen(gk) == EXPORT_KID_LEN && json_is_integer(at);
  if (ok) {
    memcpy(info->seal_kid, sk, EXPORT_KID_LEN + 1);
    memcpy(info->signer_kid, gk, EXPORT_KID_LEN + 1);
    info->created_at_ms = json_integer_value(at);
  }
  json_decref(j);
  if (!ok) {
    free(h);
    return err_set(err, 422, "bad_package", "package header is not valid");
  }
  *header = h;
  return 0;
}

int package_open(const char *path, const char *key_dir, size_t max_member, package_on_file cb, void *ctx,
                 package_info *info, err_t *err) {
  memset(info, 0, sizeof *info);
  if (sodium_init() < 0) return err_set(err, 0, "sodium", "libsodium failed to start");
  FILE *f = fopen(path, "rb");
  if (!f) return err_set(err, 400, "no_package", "cannot open the package file");
  struct stat stt;
  if (fstat(fileno(f), &stt) != 0 || stt.st_size < 8 + 4 + SEALED_KEY_BYTES + 24 + 64) {
    fclose(f);
    return err_set(err, 422, "bad_package", "package file too short");
  }
  info->bytes = stt.st_size;
  char *header = NULL;
  int rc = read_header(f, &header, info, err);
  uint8_t pk[32];
  if (!rc) rc = operator_pub_find(key_dir, info->signer_kid, pk, err);
  if (!rc) rc = verify_pass(f, stt.st_size, pk, info->sha256, err);
  char kid[EXPORT_KID_LEN + 1];
  uint8_t xpk[32], xsk[32];
  if (!rc) rc = registry_seal_key_load(key_dir, kid, xpk, xsk, err);
  if (!rc && strcmp(kid, info->seal_kid) != 0) {
    rc = err_set(err, 422, "wrong_recipient", "the package is sealed to another registry key (%s)", info->seal_kid);
  }
  /* Pass 2: decrypt. The bytes are re-hashed and must equal pass 1's (the file did not change). */
  uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
  crypto_secretstream_xchacha20poly1305_state ss;
  crypto_hash_sha256_state sha;
  tar_reader *tr = NULL;
  uint8_t *c = NULL, *m = NULL;
  if (!rc) {
    size_t hlen = strlen(header);
    uint8_t sealed[SEALED_KEY_BYTES], ssh[crypto_secretstream_xchacha20poly1305_HEADERBYTES], lb[4];
    fseek(f, 0, SEEK_SET);
    crypto_hash_sha256_init(&sha);
    uint8_t pre[12 + MAX_HEADER];
    if (read_exact(f, pre, 12 + hlen) < 0 || read_exact(f, sealed, sizeof sealed) < 0 ||
        read_exact(f, ssh, sizeof ssh) < 0) {
      rc = err_set(err, 422, "bad_package", "package truncated");
    } else {
      crypto_hash_sha256_update(&sha, pre, 12 + hlen);
      crypto_hash_sha256_update(&sha, sealed, sizeof sealed);
      crypto_hash_sha256_update(&sha, ssh, sizeof ssh);
      if (crypto_box_seal_open(key, sealed, sizeof sealed, xpk, xsk) != 0)
        rc = err_set(err, 422, "decrypt_failed", "the package key cannot be opened with this registry key");
      else if (crypto_secretstream_xchacha20poly1305_init_pull(&ss, ssh, key) != 0)
        rc = err_set(err, 422, "decrypt_failed", "bad stream header");
    }
    int64_t pos = 12 + (int64_t)hlen + SEALED_KEY_BYTES + (int64_t)sizeof ssh, end = stt.st_size - 64;
    c = xmalloc(PACKAGE_CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES);
    m = xmalloc(PACKAGE_CHUNK);
    tr = tar_reader_new(max_member, cb, ctx);
    int first = 1, final = 0;
    while (!rc && pos < end) {
      if (final) {
        rc = err_set(err, 422, "bad_package", "data after the final chunk");
        break;
      }
      if (end - pos < 4 || read_exact(f, lb, 4) < 0) {
        rc = err_set(err, 422, "bad_package", "chunk length truncated");
        break;
      }
      uint32_t clen = get_u32(lb);
      if (clen < crypto_secretstream_xchacha20poly1305_ABYTES ||
          clen > PACKAGE_CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES || (int64_t)clen > end - pos - 4 ||
          read_exact(f, c, clen) < 0) {
        rc = err_set(err, 422, "bad_package", "chunk length out of range");
        break;
      }
      crypto_hash_sha256_update(&sha, lb, 4);
      crypto_hash_sha256_update(&sha, c, clen);
      pos += 4 + clen;
      unsigned long long mlen = 0;
      uint8_t tag = 0;
      if (crypto_secretstream_xchacha20poly1305_pull(&ss, m, &mlen, &tag, c, clen,
                                                     first ? (const uint8_t *)header : NULL, first ? hlen : 0) != 0) {
        rc = err_set(err, 422, "decrypt_failed", "a chunk of the package does not decrypt: it was changed");
        break;
      }
      first = 0;
      if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
        final = 1;
      else if (tag != 0)
        rc = err_set(err, 422, "bad_package", "unexpected chunk tag");
      if (!rc) rc = tar_reader_feed(tr, m, (size_t)mlen, err);
    }
    if (!rc && !final) rc = err_set(err, 422, "bad_package", "the package ends before its final chunk");
    if (!rc) rc = tar_reader_finish(tr, err);
    if (!rc) {
      uint8_t sig[64], h[32];
      char hex[65];
      if (read_exact(f, sig, 64) < 0) rc = err_set(err, 422, "bad_package", "signature missing");
      crypto_hash_sha256_update(&sha, sig, 64);
      crypto_hash_sha256_final(&sha, h);
      sodium_bin2hex(hex, sizeof hex, h, 32);
      if (!rc && strcmp(hex, info->sha256) != 0)
        rc = err_set(err, 422, "bad_package", "the package changed while being read");
    }
  }
  sodium_memzero(key, sizeof key);
  sodium_memzero(xsk, sizeof xsk);
  sodium_memzero(&ss, sizeof ss);
  if (m) sodium_memzero(m, PACKAGE_CHUNK);
  free(c);
  free(m);
  tar_reader_free(tr);
  free(header);
  fclose(f);
  return rc ? -1 : 0;
}
