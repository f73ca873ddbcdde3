/* app.c: opening a process's shared state, and the lists that name every module once:
 * their job kinds and their demo data. */
#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/session.h"
#include "blob/blob.h"
#include "collect/collect.h"
#include "collect/workcal.h"
#include "config/production.h"
#include "notify/notify.h"
#include "auth/users.h"
#include "identity/demo.h"
#include "identity/qr_pool.h"
#include "export/export.h"
#include "office/retention.h"
#include "print/print.h"
#include "jobs/probe.h"
#include "pay/orders.h"
#include "photo/photo.h"
#include "maintenance/maintenance.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/vault.h"

static int make_dir(const char *path, err_t *err) {
  if (mkdir(path, 0700) != 0 && errno != EEXIST) return err_set(err, 0, "data_dir", "cannot create %s", path);
  return 0;
}

/* Each room's environment: the parts of the process it uses and its settings, read once here. */
static void wire_rooms(app *a) {
  config *cfg = a->cfg;
  a->collect = (collect_env){.blobs = a->blobs,
                             .photo = &a->photo,
                             .calendar = a->calendar,
                             .profiles = config_str(cfg, "profiles"),
                             .upload_per_hour = config_int(cfg, "upload_per_hour"),
                             .upload_total = config_int(cfg, "upload_total"),
                             .review_days = (int)config_int(cfg, "review_days")};
  a->support = (support_env){
      .blobs = a->blobs, .per_hour = config_int(cfg, "support_per_hour"), .total = config_int(cfg, "support_total")};
  a->pay = (pay_env){.cfg = cfg, .store = a->store};
  a->notify = (notify_env){.cfg = cfg, .data_dir = a->data_dir};
  a->export = (export_env){.store = a->store,
                           .blobs = a->blobs,
                           .data_dir = a->data_dir,
                           .sign_key = config_str(cfg, "export_sign_key"),
                           .seal_kid = config_str(cfg, "export_seal_kid"),
                           .code_pub_dir = config_str(cfg, "code_pub_dir")};
  a->print = (print_env){.blobs = a->blobs, .data_dir = a->data_dir};
  a->retention = (retention_env){.blobs = a->blobs,
                                 .retention_days = (int)config_int(cfg, "retention_days"),
                                 .export_retention_days = (int)config_int(cfg, "export_retention_days")};
  a->maintenance = (maintenance_env){.data_dir = a->data_dir};
}

int app_open(app *a, config *cfg, err_t *err) {
  memset(a, 0, sizeof *a);
  a->cfg = cfg;
  photo_limits lim = {.max_bytes = (long)config_int(cfg, "max_upload"),
                      .max_pixels = (long)config_int(cfg, "max_upload_pixels")};
  photo_engine_once_init(&a->photo, config_str(cfg, "models"), &lim);
  int lvl = log_level_from_name(config_str(cfg, "log_level"));
  if (lvl >= 0) log_set_level((enum log_level)lvl);
  a->data_dir = config_str(cfg, "data");
  a->web_dir = config_str(cfg, "web_dir");
  a->secure_cookies = config_bool(cfg, "secure_cookies");
  char path[1024];
  if (make_dir(a->data_dir, err) < 0) return -1;
  snprintf(path, sizeof path, "%s/tmp", a->data_dir);
  if (make_dir(path, err) < 0) return -1;
  /* A missing key is made only when asked (dev/demo, or `tucai keys init`): in production it
   * means a wrong path or a lost file, and a fresh key would leave every sealed field unreadable. */
  config_master_key_path(cfg, path, sizeof path);
  int create = config_is_dev(cfg);
  if (!create && access(path, F_OK) != 0)
    return err_set(err, 0, "master_key_missing",
                   "master key file %s is missing: restore it, or create the first one with `tucai keys init` "
                   "(dev/demo setups: --demo or dev = 1 creates it)",
                   path);
  if (vault_init_file(path, create, err) < 0) return -1;
  const char *db = config_str(cfg, "db");
  char url[1200];
  if (!*db) snprintf(url, sizeof url, "sqlite:%s/tucai.db", a->data_dir), db = url;
  a->store = store_open(db, (int)config_int(cfg, "db_pool"), err);
  if (!a->store) return -1;
  a->blobs = blob_store_open_config(cfg, a->data_dir, err);
  a->calendar = a->blobs ? workcal_load(config_str(cfg, "calendar"), err) : NULL;
  if (!a->calendar) return -1;
  a->qr = qr_pool_new((int)config_int(cfg, "qr_decodes"), (int)config_int(cfg, "qr_wait_ms"),
                      config_int(cfg, "qr_max_pixels"));
  wire_rooms(a);
  return 0;
}

void app_attach_jobs(app *a, jobs_pool *jobs) {
  a->jobs = jobs;
  a->collect.jobs = jobs;
  a->notify.jobs = jobs;
}

void app_close(app *a) {
  photo_engine_once_close(&a->photo);
  workcal_free(a->calendar);
  blob_store_close(a->blobs);
  qr_pool_free(a->qr);
  a->calendar = NULL, a->blobs = NULL, a->qr = NULL;
  store_close(a->store);
  a->store = NULL;
}

void app_register_job_kinds(app *a) {
  maintenance_jobs_register(&a->maintenance);
  jobs_probe_register();
  export_jobs_register(&a->export);
  print_jobs_register(&a->print);
  retention_jobs_register(&a->retention);
  pay_jobs_register(&a->pay);
  collect_jobs_register(&a->collect);
  collect_reference_jobs_register(&a->collect);
  notify_jobs_register(&a->notify);
}

/* Staff demo accounts; their random passwords go to <data>/demo-credentials.txt (mode 0600). */
static int seed_staff(app *a, db_t *db, err_t *err) {
  if (db_int(db, err, 0, "SELECT COUNT(*) FROM users") > 0) return 0;
  char path[1024];
  snprintf(path, sizeof path, "%s/demo-credentials.txt", a->data_dir);
  FILE *f = fopen(path, "w");
  if (!f) return err_set(err, 0, "demo", "cannot write %s", path);
  chmod(path, 0600);
  static const struct {
    const char *user, *name;
    int role;
  } staff[] = {{"reviewer", "审核员（演示）", ROLE_REVIEWER},
               {"office", "研究生培养科（演示）", ROLE_SCHOOL_ADMIN},
               {"operator", "采集单位（演示）", ROLE_OPERATOR}};
  fprintf(f, "# Demo staff accounts (sign in at /review, /admin, /ops)\n");
  for (size_t i = 0; i < sizeof staff / sizeof staff[0]; i++) {
    char pw[32];
    unsigned char raw[9];
    FILE *ur = fopen("/dev/urandom", "rb");
    if (!ur || fread(raw, 1, sizeof raw, ur) != sizeof raw) {
      if (ur) fclose(ur);
      fclose(f);
      return err_set(err, 0, "demo", "no randomness");
    }
    fclose(ur);
    for (size_t k = 0; k < sizeof raw; k++) snprintf(pw + 2 * k, 3, "%02x", raw[k]);
    if (users_add(db, staff[i].user, staff[i].name, staff[i].role, 0, pw, err) < 0) {
      fclose(f);
      return -1;
    }
    fprintf(f, "%-10s %s  (%s)\n", staff[i].user, pw, auth_role_name(staff[i].role));
  }
  fclose(f);
  log_info("demo staff accounts created; passwords in demo-credentials.txt", NULL);
  return 0;
}

int app_seed_demo(app *a, err_t *err) {
  db_t *db = store_get(a->store, err);
  if (!db) return -1;
  int rc = seed_staff(a, db, err);
  if (rc == 0) rc = identity_seed_demo(db, a->data_dir, config_str(a->cfg, "profiles"), err);
  store_put(a->store, db);
  return rc;
}
