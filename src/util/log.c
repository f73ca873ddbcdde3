#include "util/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level threshold = LOG_INFO;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level) { threshold = level; }

int log_level_from_name(const char *name) {
  for (int i = 0; i < 4; i++)
    if (name && strcmp(name, level_names[i]) == 0) return i;
  return -1;
}

void log_msg(enum log_level level, const char *msg, ...) {
  if (level < threshold) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[64];
  snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);

  json_t *o = json_object();
  json_object_set_new(o, "ts", json_string(when));
  json_object_set_new(o, "level", json_string(level_names[level]));
  json_object_set_new(o, "msg", json_string(msg));
  va_list ap;
  va_start(ap, msg);
  for (;;) {
    const char *k = va_arg(ap, const char *);
    if (!k) break;
    const char *v = va_arg(ap, const char *);
    json_object_set_new(o, k, v ? json_string(v) : json_null());
  }
  va_end(ap);
  char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  if (!line) return;
  pthread_mutex_lock(&out_lock);
  fputs(line, stderr);
  fputc('\n', stderr);
  fflush(stderr);
  pthread_mutex_unlock(&out_lock);
  free(line);
}
