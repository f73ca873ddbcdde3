/* channels.c: the outbound channels. All speak to edges we do not control; a failure returns -1
 * and the deliver job retries with backoff. */
#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify/notify.h"
#include "util/clock.h"
#include "util/vault.h"
#include "util/xmalloc.h"
#include "wechat/wx_message.h"

static size_t discard(char *p, size_t s, size_t n, void *u) {
  (void)p, (void)u;
  return s * n;
}

static int post_json(const char *url, const char *token, const char *body, err_t *err) {
  CURL *c = curl_easy_init();
  if (!c) return err_set(err, 0, "notify", "curl failed to start");
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  char auth[600];
  if (token && *token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) return err_set(err, 502, "notify_unreachable", "notification endpoint unreachable");
  if (status < 200 || status > 299)
    return err_set(err, 502, "notify_refused", "notification endpoint answered %ld", status);
  return 0;
}

static int webhook_send(const notify_env *env, db_t *db, const json_t *m, err_t *err) {
  (void)db;
  const char *url = config_str(env->cfg, "notify_webhook_url");
  if (!*url) return 0;
  char *body = json_dumps(m, JSON_COMPACT);
  int rc = post_json(url, NULL, body, err);
  free(body);
  return rc;
}

static char *read_token(const char *path) {
  if (!path || !*path) return NULL;
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  char buf[512] = {0};
  if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
  fclose(f);
  buf[strcspn(buf, "\r\n")] = 0;
  return xstrdup(buf);
}

/* The same gateway (and outbox) the identity room sends sign-in codes through, with the event's
 * template name; the phone number is opened from the account only for the send. */
static int sms_send(const notify_env *env, db_t *db, const json_t *m, err_t *err) {
  const char *kind = config_str(env->cfg, "sms_sender");
  if (strcmp(kind, "http") && strcmp(kind, "outbox")) return 0; /* "log": nothing leaves */
  int64_t account = (int64_t)json_integer_value(json_object_get(m, "account_id"));
  db_res *r = db_query(db, err, "SELECT phone_sealed FROM student_accounts WHERE id = $1", DB_INT(account));
  if (!r) return -1;
  char *phone = db_res_rows(r) ? vault_open_text(db_res_text_at(r, 0, "phone_sealed"), err) : NULL;
  db_res_free(r);
  if (!phone) return 0; /* no such account any more: nothing to send */
  json_t *msg = json_pack("{s:s, s:s, s:{s:s}}", "to", phone, "template", json_string_value(json_object_get(m, "kind")),
                          "params", "title", json_string_value(json_object_get(m, "title")));
  free(phone);
  int rc = 0;
  if (!strcmp(kind, "http")) {
    char *token = read_token(config_str(env->cfg, "sms_http_token_file"));
    char *body = json_dumps(msg, JSON_COMPACT);
    rc = post_json(config_str(env->cfg, "sms_http_url"), token, body, err);
    free(body);
    free(token);
  } else {
    char path[1100];
    const char *out = config_str(env->cfg, "sms_outbox");
    if (!*out) snprintf(path, sizeof path, "%s/sms-outbox.jsonl", env->data_dir), out = path;
    json_object_set_new(msg, "at", json_integer(clock_now_ms()));
    char *line = json_dumps(msg, JSON_COMPACT);
    int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
    size_t n = strlen(line);
    line[n] = '\n';
    if (fd < 0 || write(fd, line, n + 1) != (ssize_t)(n + 1))
      rc = err_set(err, 0, "sms_outbox", "cannot append to the SMS outbox");
    line[n] = 0;
    if (fd >= 0) close(fd);
    free(line);
  }
  json_decref(msg);
  return rc;
}

/* WeChat subscription messages to the account's bound WeChat identities (wechat/wx_message.h). */
static int wechat_send(const notify_env *env, db_t *db, const json_t *m, err_t *err) {
  return wx_message_deliver(env->cfg, db, m, err);
}

const notify_channel notify_webhook_channel = {"webhook", webhook_send};
const notify_channel notify_wechat_channel = {"wechat", wechat_send};
const notify_channel notify_sms_channel = {"sms", sms_send};
