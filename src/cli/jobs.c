/* jobs: the queue from the command line, for operators.
 *   tucai jobs list [--state queued|running|done|failed] [--json]
 *   tucai jobs runs ID            every attempt of one job (which node, when, outcome)
 *   tucai jobs retry ID           requeue a failed job
 *   tucai jobs enqueue TYPE [JSON]
 *   tucai jobs probe --count N [--work-ms M]   check that the workers of every node take jobs */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"

static const char *usage =
    "usage: tucai jobs list [--state STATE] [--json]\n"
    "       tucai jobs runs ID [--json]\n"
    "       tucai jobs retry ID\n"
    "       tucai jobs enqueue TYPE [PAYLOAD_JSON]\n"
    "       tucai jobs probe --count N [--work-ms M]";

static const char *const bare[] = {"--json", NULL};

static void print_rows(db_res *r, int as_json) {
  if (as_json) {
    json_t *arr = json_array();
    for (int i = 0; i < db_res_rows(r); i++) {
      json_t *o = json_object();
      for (int c = 0; c < db_res_cols(r); c++) {
        const char *name = db_res_col_name(r, c);
        if (db_res_is_null(r, i, c))
          json_object_set_new(o, name, json_null());
        else if (!strcmp(name, "type") || !strcmp(name, "state") || !strcmp(name, "worker") ||
                 !strcmp(name, "outcome") || !strcmp(name, "last_error") || !strcmp(name, "error"))
          json_object_set_new(o, name, json_string(db_res_text(r, i, c)));
        else
          json_object_set_new(o, name, json_integer(db_res_int(r, i, c)));
      }
      json_array_append_new(arr, o);
    }
    char *s = json_dumps(arr, JSON_COMPACT);
    puts(s);
    free(s);
    json_decref(arr);
    return;
  }
  for (int i = 0; i < db_res_rows(r); i++) {
    for (int c = 0; c < db_res_cols(r); c++)
      printf("%s%s=%s", c ? " " : "", db_res_col_name(r, c), db_res_text(r, i, c));
    putchar('\n');
  }
}

int cli_jobs(int argc, char **argv) {
  const char *verb = argc > 1 ? argv[1] : NULL;
  if (!verb || !strcmp(verb, "--help") || !strcmp(verb, "-h")) {
    puts(usage);
    return verb ? 0 : 2;
  }
  app a;
  if (cli_open_app(&a, &argc, argv) < 0) return 1;
  err_t err = {0};
  int rc = 0, as_json = cli_has(argc, argv, "--json");
  db_t *db = store_get(a.store, &err);
  if (!db) {
    cli_close_app(&a);
    return cli_fail(&err);
  }
  const char *arg1 = cli_arg(argc, argv, 1, bare), *arg2 = cli_arg(argc, argv, 2, bare);
  if (!strcmp(verb, "list")) {
    const char *state = cli_opt(argc, argv, "--state");
    db_res *r = db_query(db, &err,
                         "SELECT id, type, state, attempts, max_attempts, run_at, worker, last_error FROM jobs "
                         "WHERE ($1 = '' OR state = $1) ORDER BY id",
                         DB_TEXT(state ? state : ""));
    if (!r)
      rc = cli_fail(&err);
    else
      print_rows(r, as_json);
    db_res_free(r);
  } else if (!strcmp(verb, "runs") && arg1) {
    db_res *r = db_query(db, &err,
                         "SELECT job_id, attempt, worker, started_at, finished_at, outcome, error FROM job_runs "
                         "WHERE job_id = $1 ORDER BY id",
                         DB_INT(strtoll(arg1, NULL, 10)));
    if (!r)
      rc = cli_fail(&err);
    else
      print_rows(r, as_json);
    db_res_free(r);
  } else if (!strcmp(verb, "retry") && arg1) {
    if (jobs_retry(db, strtoll(arg1, NULL, 10), &err) < 0)
      rc = cli_fail(&err);
    else
      puts("requeued");
  } else if (!strcmp(verb, "enqueue") && arg1) {
    json_error_t je;
    json_t *payload = arg2 ? json_loads(arg2, 0, &je) : json_object();
    if (!payload) {
      fprintf(stderr, "tucai jobs: payload is not JSON: %s\n", je.text);
      rc = 2;
    } else {
      int64_t id = jobs_enqueue(db, arg1, payload, NULL, &err);
      if (id < 0)
        rc = cli_fail(&err);
      else
        printf("%lld\n", (long long)id);
      json_decref(payload);
    }
  } else if (!strcmp(verb, "probe")) {
    const char *count = cli_opt(argc, argv, "--count"), *work = cli_opt(argc, argv, "--work-ms");
    long n = count ? strtol(count, NULL, 10) : 10, ms = work ? strtol(work, NULL, 10) : 0;
    json_t *payload = json_pack("{s:I}", "work_ms", (json_int_t)ms);
    for (long i = 0; i < n && rc == 0; i++)
      if (jobs_enqueue(db, "jobs.probe", payload, NULL, &err) < 0) rc = cli_fail(&err);
    json_decref(payload);
    if (rc == 0) printf("%ld probe jobs enqueued\n", n);
  } else {
    fprintf(stderr, "%s\n", usage);
    rc = 2;
  }
  store_put(a.store, db);
  cli_close_app(&a);
  return rc;
}
