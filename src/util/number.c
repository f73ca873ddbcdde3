/* number.c: strict number parsing (see number.h). */
#include "util/number.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out) {
  if (!s || !*s) return -1;
  const char *p = s;
  if (*p == '-' || *p == '+') p++;
  if (*p < '0' || *p > '9') return -1; /* strtoll would skip spaces and accept "0x" */
  for (const char *q = p; *q; q++)
    if (*q < '0' || *q > '9') return -1;
  errno = 0;
  long long v = strtoll(s, NULL, 10);
  if (errno == ERANGE || v < min || v > max) return -1;
  *out = v;
  return 0;
}

int parse_int(const char *s, int min, int max, int *out) {
  int64_t v;
  if (parse_int64(s, min, max, &v)) return -1;
  *out = (int)v;
  return 0;
}

int parse_double(const char *s, double *out) {
  if (!s || !*s || *s == ' ' || *s == '\t') return -1;
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno == ERANGE || !end || *end || !isfinite(v)) return -1;
  *out = v;
  return 0;
}
