/* notify: what the student is told — an inbox per student, and outbound channels.
 *
 * notify_student() writes one inbox row (inside the caller's transaction, at most once per
 * dedupe key) and enqueues a "notify.deliver" job that hands the message to every configured
 * outbound channel (setting `notify_channels`, comma-separated):
 *   webhook  POST notify_webhook_url with JSON {id, account_id, kind, title, body, data}
 *   sms      the identity SMS gateway's protocol (sms_http_url, sms_http_token_file):
 *            POST {to, template: kind, params: {title}}; or the outbox file with sms_sender=outbox
 *   wechat   subscription messages to the account's WeChat identities (wechat/wx_message.h)
 * A channel is a small struct of function pointers, so adding one is one file.
 * The browser reads the inbox with GET /api/inbox and is pushed new rows over server-sent events.
 *
 * "notify.scan" runs every `notify_scan_interval` seconds and raises the events that nobody calls
 * us for: payment received (paid orders) and window closing within 48 hours (linked students who
 * have not submitted). It re-enqueues itself (one at a time, by dedupe key).
 * Messages never carry personal data beyond the recipient's own status. */
#ifndef TUCAI_NOTIFY_NOTIFY_H
#define TUCAI_NOTIFY_NOTIFY_H

#include <jansson.h>
#include <stdint.h>

#include "config/config.h"
#include "jobs/jobs.h"
#include "store/store.h"
#include "util/err.h"

/* What the notify jobs use of their process, wired by src/app.c: the channels read their own
 * settings (notify_webhook_url, sms_*, wechat_*), so they get the settings themselves. */
typedef struct notify_env {
  const config *cfg;    /* notify_channels, notify_scan_interval and each channel's settings */
  const char *data_dir; /* the default SMS outbox, <data>/sms-outbox.jsonl */
  jobs_pool *jobs;      /* woken after the scan queued deliveries; NULL without workers */
} notify_env;

/* Kinds: "payment_received", "approved", "rejected", "window_closing", "support_reply", "reminder"
 * (the school office's, office/remind.h). */
int notify_student(db_t *db, int64_t account_id, const char *kind, const char *title, const char *body,
                   const json_t *data, const char *dedupe_key, err_t *err);
/* "payment_received" for one paid order, once (dedupe key paid:<order>): called by the payment
 * module when a payment is applied, and by the scan as a safety net. */
int notify_payment_received(db_t *db, int64_t account_id, int64_t order_id, err_t *err);
/* The inbox after `after_id`, newest last, at most `limit` rows: a JSON array (new reference). */
json_t *notify_inbox(db_t *db, int64_t account_id, int64_t after_id, int limit, err_t *err);
int64_t notify_unread(db_t *db, int64_t account_id, err_t *err);
int notify_mark_read(db_t *db, int64_t account_id, int64_t up_to_id, err_t *err);

/* One outbound channel. send returns 0 or -1 with err (retried by the job queue). */
typedef struct notify_channel {
  const char *name;
  int (*send)(const notify_env *env, db_t *db, const json_t *message, err_t *err);
} notify_channel;

/* The jobs notify.deliver and notify.scan; their handlers use `env` (borrowed for the process's life). */
void notify_jobs_register(notify_env *env);
/* Makes sure one scan job is queued (called at start). */
int notify_schedule(db_t *db, err_t *err);
/* One scan now (the job's body; tests and the CLI may call it). */
int notify_scan(db_t *db, int64_t now_ms, err_t *err);

#endif
