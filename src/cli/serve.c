/* serve: the web server with job workers; worker: job workers alone. Both stop gracefully on
 * SIGTERM/SIGINT: stop accepting, let requests and jobs finish within `shutdown_grace`, hand
 * unfinished jobs back to the queue, close the store. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "config/production.h"
#include "http/server.h"
#include "maintenance/maintenance.h"
#include "office/retention.h"
#include "notify/notify.h"
#include "notify/watch.h"
#include "util/log.h"

static const char *serve_usage =
    "usage: tucai serve [--listen HOST:PORT] [--data DIR] [--db URL] [--config FILE] [--demo | --dev] [...]\n"
    "Runs the web server and the job workers. Every setting below can also come from the config file\n"
    "or a TUCAI_* environment variable. Refuses to start with pay_provider=mock, sms_sender=log or a\n"
    "missing key file unless --demo or --dev says it is not production (check first: tucai doctor).";
static const char *worker_usage =
    "usage: tucai worker [--data DIR] [--db URL] [--workers N] [--config FILE]\n"
    "Runs job workers without the web server (scale background work apart from requests).";

static void block_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGINT);
  /* Threads started after this inherit the mask, so only sigwait() below sees the signals. */
  pthread_sigmask(SIG_BLOCK, set, NULL);
  signal(SIGPIPE, SIG_IGN);
}

static void name_node(app *a, char *buf, size_t n) {
  const char *node = config_str(a->cfg, "node");
  if (*node) {
    snprintf(buf, n, "%s", node);
  } else {
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    snprintf(buf, n, "%s:%d", host, (int)getpid());
  }
  a->node = buf;
}

/* Loads the settings and refuses, in one line, a configuration unfit for production (mock
 * payments, log SMS, missing keys) unless it says it is dev/demo; then opens the app. */
static int open_checked(app *a, int *argc, char **argv) {
  err_t err = {0};
  config *cfg = config_new();
  char why[1024];
  int refused = 0;
  if (config_load(cfg, argc, argv, 1, &err) == 0 && (refused = config_production_refusal(cfg, why, sizeof why)))
    fprintf(stderr, "tucai %s: refusing to start: %s\n", argv[0], why);
  else if (!err_is_set(&err) && app_open(a, cfg, &err) == 0)
    return 0;
  if (!refused) cli_fail(&err);
  config_free(cfg);
  return -1;
}

static int run(int argc, char **argv, int with_http) {
  if (cli_has(argc, argv, "--help") || cli_has(argc, argv, "-h")) {
    config_print_help(stdout, with_http ? serve_usage : worker_usage);
    return 0;
  }
  sigset_t set;
  block_signals(&set);
  app a;
  int n_args = argc;
  if (open_checked(&a, &n_args, argv) < 0) return 1;
  if (n_args > 1) {
    fprintf(stderr, "tucai %s: unknown option %s (see --help)\n", argv[0], argv[1]);
    cli_close_app(&a);
    return 2;
  }
  char node[128];
  name_node(&a, node, sizeof node);
  err_t err = {0};
  app_register_job_kinds(&a);
  db_t *db = store_get(a.store, &err);
  if (!db || maintenance_schedule(db, &err) < 0 || notify_schedule(db, &err) < 0 || retention_schedule(db, &err) < 0) {
    if (db) store_put(a.store, db);
    cli_close_app(&a);
    return cli_fail(&err);
  }
  /* Jobs this machine's killed processes held: claimed again now, not when their leases end. */
  int expired = 0;
  if (!*config_str(a.cfg, "node")) {
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    expired = jobs_expire_dead_local(db, host, &err);
    if (expired < 0) {
      log_warn("could not expire the leases of dead workers", "code", err.code, NULL);
      err_clear(&err);
    }
  }
  store_put(a.store, db);
  if (expired > 0) {
    char n[16];
    snprintf(n, sizeof n, "%d", expired);
    log_info("jobs of dead workers taken up again", "jobs", n, NULL);
  }
  /* Uploads left unencrypted in <data>/tmp by a crash. With SQLite this process is the data
   * directory's only server, so all of them; nodes of a cluster may share the directory, so there
   * only those no upload is writing to any more. `worker` takes no uploads and leaves them. */
  int swept =
      !with_http ? 0 : maintenance_sweep_tmp(a.data_dir, store_dialect(a.store) == DB_SQLITE ? 0 : 10 * 60 * 1000);
  if (swept) {
    char n[16];
    snprintf(n, sizeof n, "%d", swept);
    log_info("swept leftover uploads", "files", n, NULL);
  }
  if (config_bool(a.cfg, "demo") && app_seed_demo(&a, &err) < 0) {
    cli_close_app(&a);
    return cli_fail(&err);
  }

  /* The workers first: the rooms are told of them (app_attach_jobs) before any request can read
   * their environments, not while the server's threads already run. */
  int n_workers = (int)config_int(a.cfg, "workers");
  if (!with_http && n_workers <= 0) n_workers = 2;
  if (n_workers > 0)
    app_attach_jobs(&a, jobs_pool_start(a.store, n_workers, node, config_int(a.cfg, "job_lease") * 1000, &err));
  http_server *srv = NULL;
  if (with_http) {
    a.watch =
        notify_watch_start(a.store, (int)config_int(a.cfg, "events_watch_ms"),
                           (int)config_int(a.cfg, "events_max_streams"), (int)config_int(a.cfg, "events_per_account"));
    srv = api_server_new(&a);
    if (http_server_start(srv, config_str(a.cfg, "listen"), &err) < 0) {
      http_server_free(srv);
      /* A job already running keeps using the app: leave without freeing it (as at shutdown). */
      if (jobs_pool_stop(a.jobs, config_int(a.cfg, "shutdown_grace") * 1000)) _exit(cli_fail(&err));
      notify_watch_free(a.watch);
      cli_close_app(&a);
      return cli_fail(&err);
    }
  }

  char port[16], workers[16];
  snprintf(port, sizeof port, "%d", srv ? http_server_port(srv) : 0);
  snprintf(workers, sizeof workers, "%d", n_workers);
  log_info(with_http ? "listening" : "working", "node", node, "port", port, "workers", workers, "store",
           store_dialect(a.store) == DB_SQLITE ? "sqlite" : "postgres", NULL);

  int sig = 0;
  sigwait(&set, &sig);
  log_info("shutting down", "signal", sig == SIGTERM ? "TERM" : "INT", NULL);
  int64_t grace = config_int(a.cfg, "shutdown_grace") * 1000;
  notify_watch_stop(a.watch); /* open event streams end, so they do not hold the grace up */
  if (srv) http_server_stop(srv, grace);
  if (jobs_pool_stop(a.jobs, grace)) {
    /* A handler is still running on a worker thread; its job is back in the queue. Leave now
     * without freeing what that thread uses. */
    log_info("stopped", "unfinished_jobs", "released", NULL);
    _exit(0);
  }
  http_server_free(srv);
  notify_watch_free(a.watch);
  cli_close_app(&a);
  log_info("stopped", NULL);
  return 0;
}

int cli_serve(int argc, char **argv) { return run(argc, argv, 1); }
int cli_worker(int argc, char **argv) { return run(argc, argv, 0); }
