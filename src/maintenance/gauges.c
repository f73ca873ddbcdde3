#include "maintenance/gauges.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "jobs/jobs.h"
#include "util/xmalloc.h"

typedef struct text {
  char *p;
  size_t n, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->p + t->n, t->cap - t->n, fmt, ap);
    va_end(ap);
    if (k >= 0 && (size_t)k < t->cap - t->n) {
      t->n += (size_t)k;
      return;
    }
    t->cap = t->cap * 2 + (size_t)(k > 0 ? k : 0);
    t->p = xrealloc(t->p, t->cap);
  }
}

static void head(text *t, const char *name, const char *help) {
  put(t, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* One labelled gauge per value of `label`, every name in `values` present (0 when no row). */
static int by_label(text *t, db_t *db, const char *name, const char *help, const char *label, const char *const *values,
                    const char *sql, int64_t since, err_t *err) {
  db_res *r = db_query(db, err, sql, DB_INT(since));
  if (!r) return -1;
  head(t, name, help);
  for (const char *const *v = values; *v; v++) {
    long long n = 0;
    for (int i = 0; i < db_res_rows(r); i++)
      if (!strcmp(db_res_text_at(r, i, label), *v)) n = db_res_int_at(r, i, "n");
    put(t, "%s{%s=\"%s\"} %lld\n", name, label, *v, n);
  }
  db_res_free(r);
  return 0;
}

char *gauges_render(db_t *db, const char *data_dir, int64_t now_ms, err_t *err) {
  text t = {xmalloc(2048), 0, 2048};
  t.p[0] = 0;
  int64_t queued, running, failed;
  if (jobs_counts(db, &queued, &running, &failed, err) < 0) goto fail;
  head(&t, "tucai_jobs", "Jobs in the queue by state (all nodes).");
  put(&t, "tucai_jobs{state=\"queued\"} %lld\ntucai_jobs{state=\"running\"} %lld\ntucai_jobs{state=\"failed\"} %lld\n",
      (long long)queued, (long long)running, (long long)failed);
  int64_t oldest = db_int(
      db, err, 0, "SELECT COALESCE(MIN(run_at), 0) FROM jobs WHERE state = 'queued' AND run_at <= $1", DB_INT(now_ms));
  if (err_is_set(err)) goto fail;
  head(&t, "tucai_jobs_oldest_queued_seconds", "Seconds the oldest due job has waited to be claimed (0: none waits).");
  put(&t, "tucai_jobs_oldest_queued_seconds %.3f\n", oldest ? (double)(now_ms - oldest) / 1000.0 : 0.0);

  static const char *const attempt_states[] = {"ready", "refused", "failed", "processing", NULL};
  if (by_label(&t, db, "tucai_attempts_recent", "Photo attempts of the last hour by state (all nodes).", "state",
               attempt_states,
               "SELECT state, COUNT(*) AS n FROM collect_attempts WHERE created_at >= $1 GROUP BY state",
               now_ms - GAUGES_RECENT_MS, err) < 0)
    goto fail;
  static const char *const outcomes[] = {"applied", "duplicate", "refused", NULL};
  if (by_label(&t, db, "tucai_pay_notices_recent", "Payment notifications of the last hour by outcome (all nodes).",
               "outcome", outcomes,
               "SELECT outcome, COUNT(*) AS n FROM pay_notices WHERE received_at >= $1 GROUP BY outcome",
               now_ms - GAUGES_RECENT_MS, err) < 0)
    goto fail;

  db_res *r =
      db_query(db, err,
               "SELECT COUNT(*) AS pending, COALESCE(SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END), 0) AS overdue, "
               "COALESCE(SUM(CASE WHEN due_at >= $1 AND due_at < $2 THEN 1 ELSE 0 END), 0) AS due_soon "
               "FROM collect_submissions WHERE state = 'pending'",
               DB_INT(now_ms), DB_INT(now_ms + GAUGES_DUE_SOON_MS));
  if (!r) goto fail;
  head(&t, "tucai_review_pending", "Submitted photos waiting for a reviewer's decision (all nodes).");
  put(&t, "tucai_review_pending %lld\n", (long long)db_res_int_at(r, 0, "pending"));
  head(&t, "tucai_review_overdue", "Photos waiting for a decision past their due time (working days, review_days).");
  put(&t, "tucai_review_overdue %lld\n", (long long)db_res_int_at(r, 0, "overdue"));
  head(&t, "tucai_review_due_soon", "Photos waiting for a decision that fall due within 4 hours.");
  put(&t, "tucai_review_due_soon %lld\n", (long long)db_res_int_at(r, 0, "due_soon"));
  db_res_free(r);

  struct statvfs fs;
  if (statvfs(data_dir, &fs) == 0) {
    head(&t, "tucai_data_disk_free_bytes", "Bytes free to the server on the data directory's filesystem (this node).");
    put(&t, "tucai_data_disk_free_bytes %.0f\n", (double)fs.f_bavail * (double)fs.f_frsize);
    head(&t, "tucai_data_disk_size_bytes", "Size of the data directory's filesystem (this node).");
    put(&t, "tucai_data_disk_size_bytes %.0f\n", (double)fs.f_blocks * (double)fs.f_frsize);
  }
  return t.p;
fail:
  free(t.p);
  return NULL;
}
