#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(err_t *e, int status, const char *code, const char *fmt, ...) {
  if (!e) return -1;
  e->status = status;
  snprintf(e->code, sizeof e->code, "%s", code ? code : "internal");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  return -1;
}

void err_clear(err_t *e) {
  if (e) memset(e, 0, sizeof *e);
}

int err_is_set(const err_t *e) { return e && e->code[0] != '\0'; }
