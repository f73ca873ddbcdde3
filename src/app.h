/* app: what a running process shares between its HTTP handlers and its job workers, and the
 * wiring of the rooms to it. Created by `tucai serve` / `tucai worker` (src/cli/serve.c) and the
 * other subcommands (src/cli/), passed to every HTTP handler (as the server's context:
 * api_app(req)). No domain room sees it: app_open fills each room's own environment (collect_env,
 * pay_env...: the parts of the process that room uses, and its settings) and src/api/, src/cli/
 * and the job kinds (app_register_job_kinds) hand a room only its own. scripts/check-layers.sh
 * keeps it so: only src/app.c, src/main.c, src/cli/ and src/api/ include this file. */
#ifndef TUCAI_APP_H
#define TUCAI_APP_H

#include <pthread.h>

#include "collect/collect.h"
#include "config/config.h"
#include "export/export.h"
#include "jobs/jobs.h"
#include "maintenance/maintenance.h"
#include "notify/notify.h"
#include "office/retention.h"
#include "pay/provider.h"
#include "photo/engine_once.h"
#include "print/print.h"
#include "store/store.h"
#include "support/support.h"

typedef struct app {
  config *cfg;
  store_t *store;
  jobs_pool *jobs;            /* NULL in processes without workers */
  const char *data_dir;       /* --data */
  const char *web_dir;        /* static files */
  const char *node;           /* this process's name in logs and job runs */
  int secure_cookies;         /* behind TLS: cookies get Secure */
  struct blob_store *blobs;   /* encrypted photo files (blob/blob.h), opened by app_open */
  struct workcal *calendar;   /* working days for review due dates (collect/workcal.h) */
  photo_engine_once photo;    /* the one photo engine: loaded on first use */
  struct notify_watch *watch; /* the event streams' store watcher (notify/watch.h); serve only */
  struct qr_pool *qr;         /* bounded decoding of uploaded collection codes (identity/qr_pool.h) */
  /* Each room's environment, filled by app_open from the above and the settings. */
  collect_env collect;
  support_env support;
  pay_env pay;
  notify_env notify;
  export_env export;
  print_env print;
  retention_env retention;
  maintenance_env maintenance;
} app;

/* Opens what every subcommand that touches data needs, from the loaded settings: the data
 * directory (and its tmp/), the vault's master key, and the store (migrated). */
int app_open(app *a, config *cfg, err_t *err);
void app_close(app *a);
/* Registers every module's job kinds (src/app.c lists them), each with its room's environment. */
void app_register_job_kinds(app *a);
/* The process's workers, once started (NULL: none): kept, and told to the rooms that wake them
 * after they queue work. Call before requests or jobs may run. */
void app_attach_jobs(app *a, jobs_pool *jobs);
/* Creates demo accounts and data when the database has none (tucai serve --demo). */
int app_seed_demo(app *a, err_t *err);

#endif
