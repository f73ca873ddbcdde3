#include "backup/tar.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 512
#define BUF (1 << 16)

static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > TAR_NAME_MAX || s[0] == '/' || s[n - 1] == '/') return 0;
  for (const char *p = s; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-' || c == '/'))
      return 0;
    if (c == '/' && p[1] == '/') return 0;
  }
  /* No component may be "." or "..". */
  for (const char *p = s; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
    if ((p[0] == '.' && (p[1] == '/' || !p[1])) || (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))) return 0;
  return 1;
}

static unsigned header_sum(const uint8_t *h) {
  unsigned sum = 0;
  for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return sum;
}

static int put_header(FILE *out, const char *name, uint64_t size, err_t *err) {
  if (!valid_name(name)) return err_set(err, 400, "tar_name", "cannot archive the name '%s'", name);
  if (size >= 077777777777ULL) return err_set(err, 400, "tar_size", "%s is too large for the archive", name);
  uint8_t h[BLOCK] = {0};
  memcpy(h, name, strlen(name));
  snprintf((char *)h + 100, 8, "%07o", 0600);
  snprintf((char *)h + 108, 8, "%07o", 0);
  snprintf((char *)h + 116, 8, "%07o", 0);
  snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
  snprintf((char *)h + 136, 12, "%011llo", (unsigned long long)time(NULL));
  h[156] = '0';
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  snprintf((char *)h + 148, 8, "%06o", header_sum(h));
  h[155] = ' ';
  if (fwrite(h, 1, BLOCK, out) != BLOCK) return err_set(err, 0, "backup_write", "writing the archive: %s", strerror(errno));
  return 0;
}

static int pad(FILE *out, uint64_t size, err_t *err) {
  static const uint8_t zero[BLOCK];
  size_t n = (BLOCK - size % BLOCK) % BLOCK;
  if (n && fwrite(zero, 1, n, out) != n) return err_set(err, 0, "backup_write", "writing the archive: %s", strerror(errno));
  return 0;
}

int tar_put_file(FILE *out, const char *name, const char *path, uint8_t sha256[32], uint64_t *size, err_t *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    return err_set(err, e == ENOENT ? 404 : 0, "backup_read", "reading %s: %s", path, strerror(e));
  }
  uint64_t want = (uint64_t)st.st_size, got = 0;
  int rc = put_header(out, name, want, err);
  crypto_hash_sha256_state hs;
  crypto_hash_sha256_init(&hs);
  uint8_t *buf = malloc(BUF);
  while (rc == 0 && got < want) {
    size_t ask = want - got < BUF ? (size_t)(want - got) : BUF;
    ssize_t n = read(fd, buf, ask);
    if (n <= 0) {
      rc = err_set(err, 0, "backup_read", "%s changed while it was copied", path);
      break;
    }
    crypto_hash_sha256_update(&hs, buf, (size_t)n);
    if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) rc = err_set(err, 0, "backup_write", "writing the archive: %s", strerror(errno));
    got += (uint64_t)n;
  }
  free(buf);
  close(fd);
  if (rc == 0) rc = pad(out, want, err);
  crypto_hash_sha256_final(&hs, sha256);
  *size = want;
  return rc;
}

int tar_put_bytes(FILE *out, const char *name, const void *bytes, size_t len, err_t *err) {
  if (put_header(out, name, len, err) < 0) return -1;
  if (len && fwrite(bytes, 1, len, out) != len) return err_set(err, 0, "backup_write", "writing the archive: %s", strerror(errno));
  return pad(out, len, err);
}

int tar_finish(FILE *out, err_t *err) {
  static const uint8_t zero[2 * BLOCK];
  if (fwrite(zero, 1, sizeof zero, out) != sizeof zero) return err_set(err, 0, "backup_write", "writing the archive: %s", strerror(errno));
  return 0;
}

static int is_zero(const uint8_t *h) {
  for (int i = 0; i < BLOCK; i++)
    if (h[i]) return 0;
  return 1;
}

int tar_next(FILE *in, char name[TAR_NAME_MAX + 1], uint64_t *size, err_t *err) {
  uint8_t h[BLOCK];
  if (fread(h, 1, BLOCK, in) != BLOCK) return err_set(err, 400, "backup_corrupt", "the archive ends without its end marker");
  if (is_zero(h)) return 0;
  char field[13];
  memcpy(field, h + 148, 8), field[8] = 0;
  char *end;
  unsigned long sum = strtoul(field, &end, 8);
  if (end == field || sum != header_sum(h)) return err_set(err, 400, "backup_corrupt", "an archive header is damaged");
  if (h[156] != '0' && h[156] != 0) return err_set(err, 400, "backup_corrupt", "the archive holds something other than files");
  if (h[345]) return err_set(err, 400, "backup_corrupt", "an archive name is too long");
  memcpy(name, h, 100 < TAR_NAME_MAX + 1 ? 100 : TAR_NAME_MAX + 1);
  name[TAR_NAME_MAX] = 0;
  if (memchr(h, 0, 100) == NULL || !valid_name(name))
    return err_set(err, 400, "backup_corrupt", "the archive holds a name that is not ours");
  memcpy(field, h + 124, 12), field[12] = 0;
  *size = strtoull(field, &end, 8);
  if (end == field) return err_set(err, 400, "backup_corrupt", "an archive size is damaged");
  return 1;
}

int tar_read_body(FILE *in, uint64_t size, FILE *to, uint8_t sha256[32], err_t *err) {
  crypto_hash_sha256_state hs;
  crypto_hash_sha256_init(&hs);
  uint8_t *buf = malloc(BUF);
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
