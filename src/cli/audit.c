/* audit: reading the audit log (who did what to which object, who looked at which photo).
 *   tucai audit list [--action A] [--object-type T] [--object-id N] [--actor-id N] [--limit N] [--json]
 * Newest first. The log holds ids and reasons only, never personal data in clear, so it can be
 * handed to a privacy officer as it is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/session.h"
#include "cli/commands.h"
#include "cli/common.h"

static const char *usage =
    "usage: tucai audit list [--action A] [--object-type T] [--object-id N] [--actor-id N] [--limit N] [--json]\n"
    "Store settings (--data, --db, --config) as for `tucai serve`.";

static const char *role_name(int role) { return role ? auth_role_name(role) : "system"; }

int cli_audit(int argc, char **argv) {
  const char *verb = argc > 1 ? argv[1] : NULL;
  if (!verb || strcmp(verb, "list")) {
    puts(usage);
    return verb && (!strcmp(verb, "--help") || !strcmp(verb, "-h")) ? 0 : 2;
  }
  app a;
  if (cli_open_app(&a, &argc, argv) < 0) return 1;
  err_t err = {0};
  db_t *db = store_get(a.store, &err);
  if (!db) {
    cli_close_app(&a);
    return cli_fail(&err);
  }
  const char *action = cli_opt(argc, argv, "--action"), *type = cli_opt(argc, argv, "--object-type");
  const char *object = cli_opt(argc, argv, "--object-id"), *actor = cli_opt(argc, argv, "--actor-id");
  const char *limit = cli_opt(argc, argv, "--limit");
  int64_t lim = limit ? strtoll(limit, NULL, 10) : 100;
  if (lim < 1 || lim > 100000) lim = 100;
  db_res *r = db_query(db, &err,
                       "SELECT id, at, actor_role, actor_id, action, object_type, object_id, detail FROM audit_log "
                       "WHERE ($1 = '' OR action = $1) AND ($2 = '' OR object_type = $2) "
                       "AND ($3 < 0 OR object_id = $3) AND ($4 < 0 OR actor_id = $4) ORDER BY id DESC LIMIT $5",
                       DB_TEXT(action ? action : ""), DB_TEXT(type ? type : ""),
                       DB_INT(object ? strtoll(object, NULL, 10) : -1), DB_INT(actor ? strtoll(actor, NULL, 10) : -1),
                       DB_INT(lim));
  int rc = 0;
  if (!r) {
    rc = cli_fail(&err);
  } else if (cli_has(argc, argv, "--json")) {
    json_t *arr = json_array();
    for (int i = 0; i < db_res_rows(r); i++) {
      json_error_t je;
      json_t *detail = json_loads(db_res_text_at(r, i, "detail"), 0, &je);
      json_array_append_new(
          arr, json_pack("{s:I,s:I,s:s,s:I,s:s,s:s,s:I,s:o}", "id", (json_int_t)db_res_int_at(r, i, "id"), "at",
                         (json_int_t)db_res_int_at(r, i, "at"), "actor_role",
                         role_name((int)db_res_int_at(r, i, "actor_role")), "actor_id",
                         (json_int_t)db_res_int_at(r, i, "actor_id"), "action", db_res_text_at(r, i, "action"),
                         "object_type", db_res_text_at(r, i, "object_type"), "object_id",
                         (json_int_t)db_res_int_at(r, i, "object_id"), "detail", detail ? detail : json_object()));
    }
    char *s = json_dumps(arr, JSON_COMPACT);
    puts(s);
    free(s);
    json_decref(arr);
  } else {
    for (int i = 0; i < db_res_rows(r); i++)
      printf("%lld %lld %s:%lld %s %s:%lld %s\n", (long long)db_res_int_at(r, i, "id"),
             (long long)db_res_int_at(r, i, "at"), role_name((int)db_res_int_at(r, i, "actor_role")),
             (long long)db_res_int_at(r, i, "actor_id"), db_res_text_at(r, i, "action"),
             db_res_text_at(r, i, "object_type"), (long long)db_res_int_at(r, i, "object_id"),
             db_res_text_at(r, i, "detail"));
  }
  db_res_free(r);
  store_put(a.store, db);
  cli_close_app(&a);
  return rc;
}
