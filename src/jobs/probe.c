#include "jobs/probe.h"

#include "jobs/jobs.h"
#include "util/clock.h"

static int probe(void *ctx, db_t *db, job *j, err_t *err) {
  (void)ctx;
  json_int_t ms = json_integer_value(json_object_get(j->payload, "work_ms"));
  if (ms < 0 || ms > 600000) return err_set(err, 422, "invalid_payload", "work_ms must be 0..600000");
  clock_sleep_ms(ms);
  return jobs_complete(db, j, err);
}

void jobs_probe_register(void) {
  static const job_kind k = {.type = "jobs.probe", .handler = probe, .completes_itself = 1, .lease_ms = 0};
  jobs_register(&k, NULL);
}
