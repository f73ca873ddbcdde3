/* xmalloc: the aborting allocation family (see xmalloc.h for why, and where a bound must come
 * first). The only file in src/, fuzz/ and bench/ that may call malloc, calloc, realloc, strdup,
 * strndup or vasprintf itself (scripts/check-alloc.sh). */
#include "util/xmalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void xmalloc_oom(const char *what, size_t n) {
  /* formatted on the stack and written with write(2): stdio may want the heap we just lost */
  char line[160];
  int len = snprintf(line, sizeof line, "tucai: out of memory: %s of %zu bytes failed; aborting\n", what, n);
  if (len > 0) {
    ssize_t w = write(STDERR_FILENO, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
    (void)w;
  }
  abort();
}

static size_t times(size_t n, size_t size, const char *what) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) xmalloc_oom(what, SIZE_MAX);
  return total;
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) xmalloc_oom("malloc", n);
  return p;
}

void *xcalloc(size_t n, size_t size) {
  size_t total = times(n, size, "calloc");
  void *p = calloc(total ? total : 1, 1);
  if (!p) xmalloc_oom("calloc", total);
  return p;
}

void *xrealloc(void *p, size_t n) {
  /* realloc(p, 0) may free p and answer NULL: never ask it for 0 */
  void *q = realloc(p, n ? n : 1);
  if (!q) xmalloc_oom("realloc", n);
  return q;
}

void *xmallocarray(size_t n, size_t size) { return xmalloc(times(n, size, "mallocarray")); }

void *xreallocarray(void *p, size_t n, size_t size) { return xrealloc(p, times(n, size, "reallocarray")); }

char *xstrdup(const char *s) {
  size_t n = strlen(s);
  char *d = xmalloc(n + 1);
  memcpy(d, s, n + 1);
  return d;
}

char *xstrndup(const char *s, size_t n) {
  size_t len = strnlen(s, n);
  char *d = xmalloc(len + 1);
  memcpy(d, s, len);
  d[len] = 0;
  return d;
}

char *xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (n < 0) xmalloc_oom("asprintf", 0);
  return s;
}
