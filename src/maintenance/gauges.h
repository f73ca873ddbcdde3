/* gauges: the numbers operators alert on (deploy/prometheus/tucai-alerts.yml), as Prometheus text
 * for GET /metrics. The one place they are defined: a new alert that needs a number adds it here.
 * Read from the store, so every node reports the same cluster-wide values (the rules aggregate
 * with max()), except the data disk, which is this node's:
 *   tucai_jobs{state}                        jobs queued, running, failed (dead)
 *   tucai_jobs_oldest_queued_seconds         how long the oldest due job has waited (0: none)
 *   tucai_attempts_recent{state}             photo attempts of the last hour: ready, refused (the
 *                                            photo breaks a rule), failed (the engine failed),
 *                                            processing
 *   tucai_review_pending                     submissions waiting for a decision
 *   tucai_review_overdue                     ... of which past their due time
 *   tucai_review_due_soon                    ... of which due within the next 4 hours
 *   tucai_pay_notices_recent{outcome}        payment notifications of the last hour: applied,
 *                                            duplicate, refused (bad signature, unknown order...)
 *   tucai_data_disk_free_bytes, tucai_data_disk_size_bytes   the data directory's filesystem */
#ifndef TUCAI_MAINTENANCE_GAUGES_H
#define TUCAI_MAINTENANCE_GAUGES_H

#include <stdint.h>

#include "store/store.h"

#define GAUGES_RECENT_MS (3600 * 1000LL)
#define GAUGES_DUE_SOON_MS (4 * 3600 * 1000LL)

/* The gauges at now_ms, malloc'd text (the caller frees it); NULL with err on a store error. */
char *gauges_render(db_t *db, const char *data_dir, int64_t now_ms, err_t *err);

#endif
