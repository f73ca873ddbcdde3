/* tar.c: ustar writer and strict streaming reader (see tar.h). */
#include "export/tar.h"
#include "util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 512

int tar_name_ok(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > 99 || name[0] == '/' || name[n - 1] == '/') return 0;
  if (strstr(name, "..") || strstr(name, "//")) return 0;
  for (const char *p = name; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-' || c == '/'))
      return 0;
  }
  return 1;
}

static unsigned checksum(const uint8_t h[BLOCK]) {
  unsigned s = 0;
  for (int i = 0; i < BLOCK; i++) s += (i >= 148 && i < 156) ? ' ' : h[i];
  return s;
}

int tar_write_header(tar_sink sink, void *ctx, const char *name, uint64_t len, int64_t mtime_s, err_t *err) {
  if (!tar_name_ok(name)) return err_set(err, 400, "bad_name", "archive member name not allowed");
  if (len > 077777777777ULL) return err_set(err, 400, "too_large", "archive member too large");
  uint8_t h[BLOCK] = {0};
  memcpy(h, name, strlen(name));
  snprintf((char *)h + 100, 8, "%07o", 0644);
  snprintf((char *)h + 108, 8, "%07o", 0);
  snprintf((char *)h + 116, 8, "%07o", 0);
  snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)len & 077777777777ULL);
  unsigned long long mt = mtime_s < 0 ? 0 : (unsigned long long)mtime_s & 077777777777ULL;
  snprintf((char *)h + 136, 12, "%011llo", mt);
  h[156] = '0';
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  snprintf((char *)h + 148, 8, "%06o", checksum(h));
  h[155] = ' ';
  return sink(ctx, h, BLOCK, err);
}

int tar_write_pad(tar_sink sink, void *ctx, uint64_t len, err_t *err) {
  static const uint8_t zeros[BLOCK];
  size_t pad = (size_t)((BLOCK - len % BLOCK) % BLOCK);
  return pad ? sink(ctx, zeros, pad, err) : 0;
}

int tar_write_file(tar_sink sink, void *ctx, const char *name, const uint8_t *data, size_t len, int64_t mtime_s,
                   err_t *err) {
  if (tar_write_header(sink, ctx, name, len, mtime_s, err) < 0) return -1;
  if (len && sink(ctx, data, len, err) < 0) return -1;
  return tar_write_pad(sink, ctx, len, err);
}

int tar_write_end(tar_sink sink, void *ctx, err_t *err) {
  static const uint8_t zeros[2 * BLOCK];
  return sink(ctx, zeros, sizeof zeros, err);
}

struct tar_reader {
  size_t max_file;
  tar_on_file cb;
  void *ctx;
  uint8_t hdr[BLOCK];
  size_t hdr_fill;
  char name[100];
  uint8_t *data; /* current member */
  size_t size, fill, pad_left;
  int in_data, zero_blocks, ended, failed;
};

tar_reader *tar_reader_new(size_t max_file, tar_on_file cb, void *ctx) {
  tar_reader *r = xcalloc(1, sizeof *r);
  r->max_file = max_file;
  r->cb = cb;
  r->ctx = ctx;
  return r;
}

void tar_reader_free(tar_reader *r) {
  if (!r) return;
  free(r->data);
  free(r);
}

static int octal(const uint8_t *p, size_t n, unsigned long long *out) {
  unsigned long long v = 0;
  size_t i = 0;
  while (i < n && p[i] == ' ') i++;
  int digits = 0;
  for (; i < n && p[i] >= '0' && p[i] <= '7'; i++, digits++) v = v * 8 + (unsigned)(p[i] - '0');
  for (; i < n; i++)
    if (p[i] != 0 && p[i] != ' ') return -1;
  if (!digits) return -1;
  *out = v;
  return 0;
}

int tar_header_parse(const uint8_t h[BLOCK], char name[100], uint64_t *size, err_t *err) {
  int zero = 1;
  for (int i = 0; i < BLOCK; i++)
    if (h[i]) zero = 0;
  if (zero) return 0;
  unsigned long long sum, sz;
  if (octal(h + 148, 8, &sum) < 0 || sum != checksum(h))
    return err_set(err, 422, "bad_archive", "archive header checksum wrong");
  if (memcmp(h + 257, "ustar", 5) != 0) return err_set(err, 422, "bad_archive", "not a ustar archive");
  if (h[156] != '0' && h[156] != 0) return err_set(err, 422, "bad_archive", "only regular files allowed");
  if (h[345] != 0) return err_set(err, 422, "bad_archive", "long names not allowed");
  if (memchr(h, 0, 100) == NULL) return err_set(err, 422, "bad_archive", "name not terminated");
  memcpy(name, h, 100);
  if (!tar_name_ok(name)) return err_set(err, 422, "bad_archive", "member name not allowed");
  if (octal(h + 124, 12, &sz) < 0) return err_set(err, 422, "bad_archive", "bad member size");
  *size = sz;
  return 1;
}

static int header(tar_reader *r, err_t *err) {
  uint64_t size;
  int k = tar_header_parse(r->hdr, r->name, &size, err);
  if (k < 0) return -1;
  if (k == 0) {
    if (++r->zero_blocks == 2) r->ended = 1;
    return 0;
  }
  if (r->zero_blocks) return err_set(err, 422, "bad_archive", "data after an empty block");
  if (size > r->max_file) return err_set(err, 422, "bad_archive", "member too large");
  free(r->data);
  r->data = xmalloc(size);
  r->size = size;
  r->fill = 0;
  r->pad_left = (BLOCK - size % BLOCK) % BLOCK;
  r->in_data = 1;
  if (size == 0) {
    r->in_data = 0;
    return r->cb(r->ctx, r->name, r->data, 0, err);
  }
  return 0;
}

int tar_reader_feed(tar_reader *r, const uint8_t *p, size_t n, err_t *err) {
  if (r->failed) return -1;
  while (n) {
    if (r->ended) {
      /* Only zero padding may follow the end marker. */
      for (size_t i = 0; i < n; i++)
        if (p[i]) {
          r->failed = 1;
          return err_set(err, 422, "bad_archive", "data after the end of the archive");
        }
      return 0;
    }
    if (r->in_data) {
      size_t take = r->size - r->fill < n ? r->size - r->fill : n;
      memcpy(r->data + r->fill, p, take);
      r->fill += take, p += take, n -= take;
      if (r->fill == r->size) {
        r->in_data = 0;
        if (r->cb(r->ctx, r->name, r->data, r->size, err) < 0) {
          r->failed = 1;
          return -1;
        }
      }
      continue;
    }
    if (r->pad_left) {
      size_t take = r->pad_left < n ? r->pad_left : n;
      r->pad_left -= take, p += take, n -= take;
      continue;
    }
    size_t take = BLOCK - r->hdr_fill < n ? BLOCK - r->hdr_fill : n;
    memcpy(r->hdr + r->hdr_fill, p, take);
    r->hdr_fill += take, p += take, n -= take;
    if (r->hdr_fill == BLOCK) {
      r->hdr_fill = 0;
      if (header(r, err) < 0) {
        r->failed = 1;
        return -1;
      }
    }
  }
  return 0;
}

int tar_reader_finish(tar_reader *r, err_t *err) {
  if (r->failed) return -1;
  if (!r->ended || r->in_data || r->hdr_fill) return err_set(err, 422, "bad_archive", "archive ends early");
  return 0;
}
