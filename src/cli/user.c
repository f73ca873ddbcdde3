/* user: staff accounts from the command line (the first operator is made here).
 *   tucai user add --username NAME --role reviewer|school_admin|operator [--name "显示名"] [--school ID]
 *   tucai user passwd --username NAME        tucai user disable|enable --username NAME
 *   tucai user list
 * The password is read from the TUCAI_NEW_PASSWORD environment variable or from the first line of
 * standard input, never from the command line (it would show in `ps` and shell history). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/session.h"
#include "auth/users.h"
#include "cli/commands.h"
#include "cli/common.h"

static const char *usage =
    "usage: tucai user add --username NAME --role reviewer|school_admin|operator [--name TEXT] [--school ID]\n"
    "       tucai user passwd --username NAME\n"
    "       tucai user disable|enable --username NAME\n"
    "       tucai user list\n"
    "The password comes from TUCAI_NEW_PASSWORD or the first line of standard input.\n"
    "Store settings (--data, --db, --config) as for `tucai serve`.";

static int read_password(char *buf, size_t n) {
  const char *env = getenv("TUCAI_NEW_PASSWORD");
  if (env) {
    snprintf(buf, n, "%s", env);
    return 0;
  }
  if (!fgets(buf, (int)n, stdin)) return -1;
  buf[strcspn(buf, "\r\n")] = 0;
  return 0;
}

int cli_user(int argc, char **argv) {
  const char *verb = argc > 1 ? argv[1] : NULL;
  if (!verb || !strcmp(verb, "--help") || !strcmp(verb, "-h")) {
    puts(usage);
    return verb ? 0 : 2;
  }
  app a;
  if (cli_open_app(&a, &argc, argv) < 0) return 1;
  err_t err = {0};
  int rc = 0;
  db_t *db = store_get(a.store, &err);
  if (!db) {
    cli_close_app(&a);
    return cli_fail(&err);
  }
  const char *username = cli_opt(argc, argv, "--username");
  if (!strcmp(verb, "add")) {
    const char *role = cli_opt(argc, argv, "--role");
    const char *school = cli_opt(argc, argv, "--school");
    char pw[300];
    if (!username || !role) {
      fprintf(stderr, "%s\n", usage);
      rc = 2;
    } else if (read_password(pw, sizeof pw) < 0) {
      fprintf(stderr, "tucai user: no password given (TUCAI_NEW_PASSWORD or standard input)\n");
      rc = 2;
    } else {
      int64_t id = users_add(db, username, cli_opt(argc, argv, "--name"), auth_role_from_name(role),
                             school ? strtoll(school, NULL, 10) : 0, pw, &err);
      if (id < 0)
        rc = cli_fail(&err);
      else
        printf("user %lld created (%s)\n", (long long)id, role);
    }
  } else if (!strcmp(verb, "passwd") || !strcmp(verb, "disable") || !strcmp(verb, "enable")) {
    int64_t id = username ? users_find(db, username, &err) : 0;
    char pw[300];
    if (!id) {
      fprintf(stderr, "tucai user: no such user\n");
      rc = 2;
    } else if (!strcmp(verb, "passwd")) {
      if (read_password(pw, sizeof pw) < 0)
        rc = 2;
      else if (users_set_password(db, id, pw, &err) < 0)
        rc = cli_fail(&err);
      else
        printf("password changed; sessions ended\n");
    } else if (users_set_disabled(db, id, !strcmp(verb, "disable"), &err) < 0) {
      rc = cli_fail(&err);
    } else {
      printf("user %s\n", !strcmp(verb, "disable") ? "disabled; sessions ended" : "enabled");
    }
  } else if (!strcmp(verb, "list")) {
    db_res *r = db_query(db, &err, "SELECT id, username, role, school_id, disabled FROM users ORDER BY id");
    if (!r) rc = cli_fail(&err);
    for (int i = 0; r && i < db_res_rows(r); i++)
      printf("%-5lld %-20s %-13s school=%lld%s\n", (long long)db_res_int_at(r, i, "id"),
             db_res_text_at(r, i, "username"), db_res_text_at(r, i, "role"),
             (long long)db_res_int_at(r, i, "school_id"), db_res_int_at(r, i, "disabled") ? " disabled" : "");
    db_res_free(r);
  } else {
    fprintf(stderr, "%s\n", usage);
    rc = 2;
  }
  store_put(a.store, db);
  cli_close_app(&a);
  return rc;
}
