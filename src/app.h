/* app: what a running process shares between its HTTP handlers and its job workers.
 * Created by `tucai serve` / `tucai worker` (src/cli/serve.c) and passed to every handler (as
 * the server's context: api_app(req)) and to every job handler. Modules read it; only serve.c
 * builds and frees it. */
#ifndef TUCAI_APP_H
#define TUCAI_APP_H

#include <pthread.h>

#include "config/config.h"
#include "jobs/jobs.h"
#include "store/store.h"

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
  struct photo_engine *photo; /* the one photo engine: loaded on first use (app_photo_engine) */
  pthread_mutex_t photo_mu;   /* guards the first load */
  struct notify_watch *watch; /* the event streams' store watcher (notify/watch.h); serve only */
  struct qr_pool *qr;         /* bounded decoding of uploaded collection codes (identity/qr_pool.h) */
} app;

/* Opens what every subcommand that touches data needs, from the loaded settings: the data
 * directory (and its tmp/), the vault's master key, and the store (migrated). */
int app_open(app *a, config *cfg, err_t *err);
void app_close(app *a);
/* The process's photo engine (photo/photo.h): the models are loaded on first use, once, and
 * closed by app_close; the limits come from the settings max_upload and max_upload_pixels.
 * NULL with err when the models are missing. */
struct photo_engine *app_photo_engine(app *a, err_t *err);
/* Registers every module's job kinds (src/app.c lists them). */
void app_register_job_kinds(void);
/* Creates demo accounts and data when the database has none (tucai serve --demo). */
int app_seed_demo(app *a, err_t *err);

#endif
