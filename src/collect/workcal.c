/* workcal.c: two sorted day lists (extra working days, holidays) and the weekend rule. */
#include "collect/workcal.h"
#include "util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define SHANGHAI_MS (8 * 3600000LL)

struct workcal {
  int64_t *work, *off;
  int n_work, n_off;
};

/* Howard Hinnant's days_from_civil. */
int64_t workcal_civil(int y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t workcal_day_of(int64_t ms) {
  int64_t t = ms + SHANGHAI_MS;
  return t >= 0 ? t / DAY_MS : -((-t + DAY_MS - 1) / DAY_MS);
}

int64_t workcal_day_start_ms(int64_t day) { return day * DAY_MS - SHANGHAI_MS; }

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static int has(const int64_t *v, int n, int64_t day) {
  return n && bsearch(&day, v, (size_t)n, sizeof *v, cmp64) != NULL;
}

static void push(int64_t **v, int *n, int64_t day) {
  *v = xreallocarray(*v, (size_t)*n + 1, sizeof **v);
  (*v)[(*n)++] = day;
}

workcal *workcal_parse(const char *text, err_t *err) {
  workcal *c = xcalloc(1, sizeof *c);
  int lineno = 0;
  const char *p = text;
  while (p && *p) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line - 1 ? n : sizeof line - 1), p);
    p = nl ? nl + 1 : NULL;
    lineno++;
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    int y, m, d;
    char kind[16];
    int k = sscanf(line, "%d-%d-%d %15s", &y, &m, &d, kind); // NOLINT(cert-err34-c): count and ranges checked below
    if (k <= 0) continue;                                    /* blank or comment */
    if (k != 4 || y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31 ||
        (strcmp(kind, "work") && strcmp(kind, "off"))) {
      err_set(err, 400, "calendar_format", "calendar line %d: expected YYYY-MM-DD work|off", lineno);
      workcal_free(c);
      return NULL;
    }
    int64_t day = workcal_civil(y, m, d);
    if (strcmp(kind, "work") == 0)
      push(&c->work, &c->n_work, day);
    else
      push(&c->off, &c->n_off, day);
  }
  if (c->n_work) qsort(c->work, (size_t)c->n_work, sizeof *c->work, cmp64);
  if (c->n_off) qsort(c->off, (size_t)c->n_off, sizeof *c->off, cmp64);
  return c;
}

workcal *workcal_load(const char *path, err_t *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    err_set(err, 0, "calendar", "cannot read the working-day calendar %s", path);
    return NULL;
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && len < (1 << 20)) {
    if (len + n + 1 > cap) {
      cap = (len + n + 1) * 2;
      buf = xrealloc(buf, cap);
    }
    memcpy(buf + len, chunk, n);
    len += n;
  }
  fclose(f);
  if (!buf) buf = xcalloc(1, 1); /* an empty file */
  buf[len] = 0;
  workcal *c = workcal_parse(buf, err);
  free(buf);
  return c;
}

void workcal_free(workcal *c) {
  if (!c) return;
  free(c->work);
  free(c->off);
  free(c);
}

int workcal_is_workday(const workcal *c, int64_t day) {
  if (c && has(c->work, c->n_work, day)) return 1;
  if (c && has(c->off, c->n_off, day)) return 0;
  int64_t wd = ((day % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday; 0 = Sunday */
  return wd != 0 && wd != 6;
}

int64_t workcal_due(const workcal *c, int64_t from_ms, int n) {
  int64_t day = workcal_day_of(from_ms);
  for (int found = 0; found < n;)
    if (workcal_is_workday(c, ++day)) found++;
  return workcal_day_start_ms(day + 1);
}
