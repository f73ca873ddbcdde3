/* audit: the append-only record of who did what to which object, and who looked at what.
 *
 * Every staff decision, setting change, override, export and every staff view of a student's
 * photo or personal data writes one row (table audit_log). Rows are never updated or deleted by
 * the application. `detail` is JSON with ids and reasons only; never personal data in clear. */
#ifndef TUCAI_AUDIT_AUDIT_H
#define TUCAI_AUDIT_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* actor_role is a ROLE_* bit (0 = the system itself). detail may be NULL; it is not stolen. */
int audit_log(db_t *db, int actor_role, int64_t actor_id, const char *action, const char *object_type,
              int64_t object_id, const json_t *detail, err_t *err);

#endif
