#include "backup/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export/tar.h"
#include "util/xmalloc.h"

#define BLOCK 512
#define BUF (1 << 16)

static int to_file(void *ctx, const uint8_t *p, size_t n, err_t *err) {
  if (n && fwrite(p, 1, n, ctx) != n)
    return err_set(err, 0, "backup_write", "writing the archive: %s", strerror(errno));
  return 0;
}

int archive_put_file(FILE *out, const char *name, const char *path, uint8_t sha256[32], uint64_t *size, err_t *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    return err_set(err, e == ENOENT ? 404 : 0, "backup_read", "reading %s: %s", path, strerror(e));
  }
  uint64_t want = (uint64_t)st.st_size, got = 0;
  int rc = tar_write_header(to_file, out, name, want, (int64_t)time(NULL), err);
  crypto_hash_sha256_state hs;
  crypto_hash_sha256_init(&hs);
  uint8_t *buf = xmalloc(BUF);
  while (rc == 0 && got < want) {
    size_t ask = want - got < BUF ? (size_t)(want - got) : BUF;
    ssize_t n = read(fd, buf, ask);
    if (n <= 0) {
      rc = err_set(err, 0, "backup_read", "%s changed while it was copied", path);
      break;
    }
    crypto_hash_sha256_update(&hs, buf, (size_t)n);
    rc = to_file(out, buf, (size_t)n, err);
    got += (uint64_t)n;
  }
  free(buf);
  close(fd);
  if (rc == 0) rc = tar_write_pad(to_file, out, want, err);
  crypto_hash_sha256_final(&hs, sha256);
  *size = want;
  return rc;
}

int archive_put_bytes(FILE *out, const char *name, const void *bytes, size_t len, err_t *err) {
  return tar_write_file(to_file, out, name, bytes, len, (int64_t)time(NULL), err);
}

int archive_finish(FILE *out, err_t *err) { return tar_write_end(to_file, out, err); }

int archive_next(FILE *in, char name[ARCHIVE_NAME_MAX + 1], uint64_t *size, err_t *err) {
  uint8_t h[BLOCK];
  if (fread(h, 1, BLOCK, in) != BLOCK)
    return err_set(err, 400, "backup_corrupt", "the archive ends without its end marker");
  err_t e = {0};
  int k = tar_header_parse(h, name, size, &e);
  if (k < 0) return err_set(err, 400, "backup_corrupt", "the archive is damaged: %s", e.message);
  return k;
}

int archive_read_body(FILE *in, uint64_t size, FILE *to, uint8_t sha256[32], err_t *err) {
  crypto_hash_sha256_state hs;
  crypto_hash_sha256_init(&hs);
  uint8_t *buf = xmalloc(BUF);
  uint64_t left = size + (BLOCK - size % BLOCK) % BLOCK, body = size;
  int rc = 0;
  while (left > 0) {
    size_t ask = left < BUF ? (size_t)left : BUF;
    size_t n = fread(buf, 1, ask, in);
    if (n != ask) {
      rc = err_set(err, 400, "backup_corrupt", "the archive is truncated");
      break;
    }
    size_t mine = body < n ? (size_t)body : n;
    crypto_hash_sha256_update(&hs, buf, mine);
    if (to && mine && fwrite(buf, 1, mine, to) != mine) {
      rc = err_set(err, 0, "restore_write", "writing: %s", strerror(errno));
      break;
    }
    body -= mine;
    left -= n;
  }
  free(buf);
  crypto_hash_sha256_final(&hs, sha256);
  return rc;
}
