/* tar_read: the ustar archive inside an export package, through the streaming reader as
 * package_open feeds it (decrypted chunks of any size). The first byte picks the chunk size, so
 * headers and data split across feeds at every offset. */
#include "export/tar.h"
#include "fuzz.h"
#include "util/xmalloc.h"

#define MAX_MEMBER (4u << 20)

static int on_file(void *ctx, const char *name, const uint8_t *data, size_t len, err_t *err) {
  (void)err;
  if (!tar_name_ok(name) || len > MAX_MEMBER) abort(); /* the reader promised both */
  unsigned *sum = ctx;
  for (size_t i = 0; i < len; i++) *sum += data[i]; /* the whole member must be readable */
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (n < 1) return 0;
  size_t chunk = (size_t)d[0] * 7 + 1;
  d++, n--;
  unsigned sum = 0;
  tar_reader *r = tar_reader_new(MAX_MEMBER, on_file, &sum);
  err_t err = {0};
  int rc = 0;
  for (size_t off = 0; off < n && rc == 0; off += chunk) {
    size_t k = n - off < chunk ? n - off : chunk;
    uint8_t *copy = xmalloc(k); /* exact-size pieces, as decrypted chunks arrive */
    memcpy(copy, d + off, k);
    rc = tar_reader_feed(r, copy, k, &err);
    free(copy);
  }
  if (rc == 0) tar_reader_finish(r, &err);
  tar_reader_free(r);
  return 0;
}
