/* maintenance: housekeeping jobs of the foundation. `maintenance.purge` deletes expired
 * sessions and finished job history older than 30 days; it re-enqueues itself hourly (one at a
 * time across all nodes, by dedupe key), so a cluster needs no cron. */
#ifndef TUCAI_MAINTENANCE_H
#define TUCAI_MAINTENANCE_H

#include "store/store.h"

void maintenance_jobs_register(void);
/* Makes sure one purge job is queued (called at start). */
int maintenance_schedule(db_t *db, err_t *err);

#endif
