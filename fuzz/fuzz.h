/* fuzz.h: what the harnesses share (each fuzz/<name>.c is one libFuzzer binary; see CMakeLists.txt).
 * A harness calls the product's own entry point on the fuzzer's bytes exactly as the product does
 * on outside input; whatever it needs besides (keys, a database, a server) is made once, on first
 * use, in a private temporary directory that is removed at exit. */
#ifndef TUCAI_FUZZ_H
#define TUCAI_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/xmalloc.h"
#include "zip_write.h" /* tests/unit/support: the ZIP writer the unit tests use too */

/* A private temporary directory for this process (created on first call, removed at exit). */
static char fuzz_tmp_path[256];
static void fuzz_tmp_remove(void) {
  char cmd[300];
  if (!fuzz_tmp_path[0]) return;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_tmp_path);
  if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", fuzz_tmp_path);
}
static inline const char *fuzz_tmpdir(void) {
  if (!fuzz_tmp_path[0]) {
    const char *t = getenv("TMPDIR");
    snprintf(fuzz_tmp_path, sizeof fuzz_tmp_path, "%s/tucai-fuzz-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(fuzz_tmp_path)) {
      perror("fuzz: mkdtemp");
      abort();
    }
    atexit(fuzz_tmp_remove);
  }
  return fuzz_tmp_path;
}

/* A path inside the private directory; the returned buffer is static per call site's `buf`. */
static inline const char *fuzz_path(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "%s/%s", fuzz_tmpdir(), name);
  return buf;
}

/* Writes bytes to a file (replacing it); aborts when the disk refuses, which is not a finding. */
static inline void fuzz_write_file(const char *path, const uint8_t *d, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f) != 0) {
    perror("fuzz: write");
    abort();
  }
}

/* The bytes as a NUL-terminated string (malloc'd); embedded NULs cut it as C would. */
static inline char *fuzz_cstr(const uint8_t *d, size_t n) {
  char *s = xmalloc(n + 1);
  memcpy(s, d, n);
  s[n] = 0;
  return s;
}

/* Splits the input at the separator line "\n--8<--\n" into at most max parts (pointers into d). */
static inline int fuzz_split(const uint8_t *d, size_t n, const uint8_t **part, size_t *len, int max) {
  static const char sep[] = "\n--8<--\n";
  const size_t sl = sizeof sep - 1;
  int k = 0;
  size_t start = 0;
  for (size_t i = 0; k < max - 1 && i + sl <= n; i++) {
    if (memcmp(d + i, sep, sl) == 0) {
      part[k] = d + start, len[k] = i - start, k++;
      start = i + sl;
      i = start - 1;
    }
  }
  part[k] = d + start, len[k] = n - start, k++;
  return k;
}

/* A "name=content" part, its name in the first `name_max` bytes: name copied into `name` (cut at
 * an embedded NUL, which leaves a hostile empty name), the member pointing into the part. 0 when
 * there is no '=' there or nothing before it. */
static inline int fuzz_named_part(const uint8_t *d, size_t n, size_t name_max, char *name, size_t cap, zip_member *m) {
  const uint8_t *eq = memchr(d, '=', n < name_max ? n : name_max);
  if (!eq || eq == d) return 0;
  snprintf(name, cap, "%.*s", (int)(eq - d), (const char *)d);
  *m = (zip_member){name, eq + 1, n - (size_t)(eq + 1 - d)};
  return 1;
}

/* The members zipped, stored, at path; an archive libzip cannot write leaves an empty file there
 * (which the reader must refuse like any other). */
static inline void fuzz_write_zip(const char *path, const zip_member *m, int n) {
  if (zip_write_file(path, m, n, ZIP_WRITE_STORE) < 0) fuzz_write_file(path, (const uint8_t *)"", 0);
}

#endif
