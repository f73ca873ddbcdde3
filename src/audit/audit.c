#include "audit/audit.h"

#include <stdlib.h>

#include "util/clock.h"

int audit_log(db_t *db, int actor_role, int64_t actor_id, const char *action, const char *object_type,
              int64_t object_id, const json_t *detail, err_t *err) {
  char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  int64_t n = db_exec(db, err,
                      "INSERT INTO audit_log (at, actor_role, actor_id, action, object_type, object_id, detail) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                      DB_INT(clock_now_ms()), DB_INT(actor_role), DB_INT(actor_id), DB_TEXT(action),
                      DB_TEXT(object_type), DB_INT(object_id), DB_TEXT(text ? text : "{}"));
  free(text);
  return n < 0 ? -1 : 0;
}
