/* notify.c: the inbox, the deliver job and the scan job (see notify.h). */
#include "notify/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jobs.h"
#include "util/clock.h"
#include "util/log.h"

extern const notify_channel notify_webhook_channel, notify_sms_channel, notify_wechat_channel;
static const notify_channel *const channels[] = {&notify_webhook_channel, &notify_sms_channel, &notify_wechat_channel};

int notify_student(db_t *db, int64_t account_id, const char *kind, const char *title, const char *body,
                   const json_t *data, const char *dedupe_key, err_t *err) {
  char *d = data ? json_dumps(data, JSON_COMPACT) : NULL;
  db_res *r = db_query(db, err,
                       "INSERT INTO notify_inbox (account_id, kind, title, body, data, dedupe_key, created_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
                       DB_INT(account_id), DB_TEXT(kind), DB_TEXT(title), DB_TEXT(body ? body : ""),
                       DB_TEXT(d ? d : "{}"), DB_TEXT(dedupe_key), DB_INT(clock_now_ms()));
  free(d);
  if (!r) return -1;
  int64_t id = db_res_rows(r) ? db_res_int_at(r, 0, "id") : 0;
  db_res_free(r);
  if (!id) return 0; /* already told */
  json_t *p = json_pack("{s:I}", "inbox_id", (json_int_t)id);
  int64_t jid = jobs_enqueue(db, "notify.deliver", p, &(jobs_enqueue_opts){.max_attempts = 8}, err);
  json_decref(p);
  return jid < 0 ? -1 : 0;
}

static json_t *row_json(db_res *r, int i) {
  json_error_t je;
  json_t *data = json_loads(db_res_text_at(r, i, "data"), 0, &je);
  return json_pack("{s:I, s:s, s:s, s:s, s:o, s:I, s:b}", "id", (json_int_t)db_res_int_at(r, i, "id"), "kind",
                   db_res_text_at(r, i, "kind"), "title", db_res_text_at(r, i, "title"), "body",
                   db_res_text_at(r, i, "body"), "data", data ? data : json_object(), "created_at",
                   (json_int_t)db_res_int_at(r, i, "created_at"), "read", db_res_int_at(r, i, "read_at") != 0);
}

json_t *notify_inbox(db_t *db, int64_t account_id, int64_t after_id, int limit, err_t *err) {
  db_res *r = db_query(db, err,
                       "SELECT id, account_id, kind, title, body, data, created_at, read_at FROM notify_inbox "
                       "WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                       DB_INT(account_id), DB_INT(after_id), DB_INT(limit));
  if (!r) return NULL;
  json_t *a = json_array();
  for (int i = 0; i < db_res_rows(r); i++) json_array_append_new(a, row_json(r, i));
  db_res_free(r);
  return a;
}

int64_t notify_unread(db_t *db, int64_t account_id, err_t *err) {
  return db_int(db, err, 0, "SELECT COUNT(*) FROM notify_inbox WHERE account_id = $1 AND read_at = 0",
                DB_INT(account_id));
}

int notify_mark_read(db_t *db, int64_t account_id, int64_t up_to_id, err_t *err) {
  return db_exec(db, err, "UPDATE notify_inbox SET read_at = $1 WHERE account_id = $2 AND id <= $3 AND read_at = 0",
                 DB_INT(clock_now_ms()), DB_INT(account_id), DB_INT(up_to_id)) < 0
             ? -1
             : 0;
}

/* ---- jobs -------------------------------------------------------------------------------- */

static int deliver(void *ctx, db_t *db, job *j, err_t *err) {
  const notify_env *env = ctx;
  int64_t id = (int64_t)json_integer_value(json_object_get(j->payload, "inbox_id"));
  db_res *r = db_query(
      db, err, "SELECT id, account_id, kind, title, body, data, created_at, read_at FROM notify_inbox WHERE id = $1",
      DB_INT(id));
  if (!r) return -1;
  if (db_res_rows(r) == 0) {
    db_res_free(r);
    return 0;
  }
  json_t *m = row_json(r, 0);
  json_object_set_new(m, "account_id", json_integer(db_res_int_at(r, 0, "account_id")));
  db_res_free(r);
  const char *list = config_str(env->cfg, "notify_channels");
  int rc = 0;
  for (size_t i = 0; i < sizeof channels / sizeof channels[0] && rc == 0; i++) {
    const char *p = strstr(list, channels[i]->name);
    size_t n = strlen(channels[i]->name);
    if (!p || (p != list && p[-1] != ',') || (p[n] && p[n] != ',')) continue;
    rc = channels[i]->send(env, db, m, err);
  }
  json_decref(m);
  return rc;
}

static int enqueue_scan(db_t *db, int64_t at, err_t *err) {
  jobs_enqueue_opts o = {.run_at_ms = at, .dedupe_key = "notify.scan"};
  if (jobs_enqueue(db, "notify.scan", NULL, &o, err) < 0) {
    if (db_last_was_unique_violation(db)) {
      err_clear(err);
      return 0;
    }
    return -1;
  }
  return 0;
}

int notify_schedule(db_t *db, err_t *err) { return enqueue_scan(db, clock_now_ms(), err); }

#define WINDOW_WARN_MS (48 * 3600 * 1000LL)

int notify_payment_received(db_t *db, int64_t account_id, int64_t order_id, err_t *err) {
  char key[64];
  snprintf(key, sizeof key, "paid:%lld", (long long)order_id);
  json_t *d = json_pack("{s:I}", "order_id", (json_int_t)order_id);
  int rc = notify_student(db, account_id, "payment_received", "支付成功",
                          "已收到你的采集服务费，请按要求拍摄并上传照片。", d, key, err);
  json_decref(d);
  return rc;
}

int notify_scan(db_t *db, int64_t now, err_t *err) {
  /* Payments received (the last 30 days; older ones were told long ago). */
  db_res *r =
      db_query(db, err,
               "SELECT o.id, o.account_id FROM pay_orders o WHERE o.state = 'paid' AND o.paid_at > $1 AND NOT EXISTS "
               "(SELECT 1 FROM notify_inbox n WHERE n.dedupe_key = 'paid:' || o.id)",
               DB_INT(now - 30LL * 86400000));
  if (!r) return -1;
  int rc = 0;
  for (int i = 0; i < db_res_rows(r) && rc == 0; i++)
    rc = notify_payment_received(db, db_res_int_at(r, i, "account_id"), db_res_int_at(r, i, "id"), err);
  db_res_free(r);
  if (rc < 0) return -1;
  /* Windows closing within 48 hours: linked students who have not submitted. */
  r = db_query(
      db, err,
      "SELECT l.account_id, b.id, b.window_end FROM batches b JOIN roster_records rr ON rr.batch_id = b.id "
      "JOIN student_links l ON l.record_id = rr.id LEFT JOIN collect_records c ON c.record_id = rr.id "
      "WHERE b.window_end > $1 AND b.window_end <= $2 AND (c.state IS NULL OR c.state IN ('open', 'rejected'))",
      DB_INT(now), DB_INT(now + WINDOW_WARN_MS));
  if (!r) return -1;
  for (int i = 0; i < db_res_rows(r) && rc == 0; i++) {
    char key[64];
    snprintf(key, sizeof key, "closing:%lld:%lld", (long long)db_res_int_at(r, i, "id"),
             (long long)db_res_int_at(r, i, "account_id"));
    json_t *d = json_pack("{s:I, s:I}", "batch_id", (json_int_t)db_res_int_at(r, i, "id"), "window_end",
                          (json_int_t)db_res_int_at(r, i, "window_end"));
    rc = notify_student(db, db_res_int_at(r, i, "account_id"), "window_closing", "采集即将截止",
                        "本批次采集将在 48 小时内截止，请尽快拍摄并提交照片。", d, key, err);
    json_decref(d);
  }
  db_res_free(r);
  return rc;
}

static int scan_job(void *ctx, db_t *db, job *j, err_t *err) {
  const notify_env *env = ctx;
  int64_t now = clock_now_ms();
  int64_t every = config_int(env->cfg, "notify_scan_interval") * 1000;
  if (every < 1000) every = 1000;
  if (db_begin(db, err) < 0) return -1;
  if (notify_scan(db, now, err) < 0 || jobs_complete_in(db, j, err) < 0 || enqueue_scan(db, now + every, err) < 0) {
    db_rollback(db);
    return -1;
  }
  if (db_commit(db, err) < 0) return -1;
  if (env->jobs) jobs_pool_kick(env->jobs);
  return 0;
}

void notify_jobs_register(notify_env *env) {
  static const job_kind d = {.type = "notify.deliver", .handler = deliver, .completes_itself = 0, .lease_ms = 0};
  static const job_kind s = {.type = "notify.scan", .handler = scan_job, .completes_itself = 1, .lease_ms = 0};
  jobs_register(&d, env);
  jobs_register(&s, env);
}
