/* sms: see sms.h. */
#include "identity/sms.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

static void mask_phone(const char *phone, char out[16]) {
  if (strlen(phone) == 11)
    snprintf(out, 16, "%.3s****%.4s", phone, phone + 7);
  else
    snprintf(out, 16, "****");
}

static int send_outbox(const sms_sender *s, const char *phone, const char *code, err_t *err) {
  json_t *j = json_pack("{s:s, s:s, s:I}", "to", phone, "code", code, "at", (json_int_t)clock_now_ms());
  char *line = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  int fd = open(s->outbox, O_WRONLY | O_CREAT | O_APPEND, 0600);
  int rc = -1;
  if (fd >= 0 && line) {
    size_t n = strlen(line);
    line[n] = '\n'; /* json_dumps leaves room for exactly the NUL: write n+1 bytes with '\n' last */
    rc = write(fd, line, n + 1) == (ssize_t)(n + 1) ? 0 : -1;
  }
  if (fd >= 0) close(fd);
  free(line);
  if (rc != 0) return err_set(err, 0, "sms_outbox", "cannot append to the SMS outbox");
  return 0;
}

static size_t collect(char *p, size_t size, size_t n, void *ud) {
  char *buf = ud;
  size_t have = strlen(buf), add = size * n;
  if (have + add < 4096) {
    memcpy(buf + have, p, add);
    buf[have + add] = 0;
  }
  return size * n;
}

static int send_http(const sms_sender *s, const char *phone, const char *code, err_t *err) {
  if (!s->http_url || !*s->http_url) return err_set(err, 0, "sms_config", "sms_http_url is not set");
  char token[512] = "";
  if (s->token_file && *s->token_file) {
    FILE *f = fopen(s->token_file, "r");
    if (!f) return err_set(err, 0, "sms_config", "cannot read sms_http_token_file");
    if (!fgets(token, sizeof token, f)) token[0] = 0;
    fclose(f);
    token[strcspn(token, "\r\n")] = 0;
  }
  json_t *j = json_pack("{s:s, s:s, s:{s:s}}", "to", phone, "template", "otp", "params", "code", code);
  char *body = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  CURL *c = curl_easy_init();
  if (!c || !body) {
    free(body);
    if (c) curl_easy_cleanup(c);
    return err_set(err, 0, "sms_failed", "cannot start the SMS request");
  }
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  char auth[600];
  if (token[0]) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  char resp[4096] = "";
  curl_easy_setopt(c, CURLOPT_URL, s->http_url);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
  CURLcode cc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  free(body);
  memset(auth, 0, sizeof auth);
  int ok = 0;
  if (cc == CURLE_OK && status >= 200 && status < 300) {
    json_t *r = json_loads(resp, 0, NULL);
    ok = json_is_true(json_object_get(r, "ok"));
    json_decref(r);
  }
  if (!ok) {
    char st[16];
    snprintf(st, sizeof st, "%ld", status);
    log_warn("sms gateway refused", "status", st, "curl", curl_easy_strerror(cc), NULL);
    return err_set(err, 502, "sms_failed", "短信发送失败，请稍后再试");
  }
  return 0;
}

int sms_send_code(const sms_sender *s, const char *phone, const char *code, err_t *err) {
  const char *kind = s->kind && *s->kind ? s->kind : "log";
  if (strcmp(kind, "log") == 0) {
    char masked[16];
    mask_phone(phone, masked);
    /* Development only: a one-time code is not personal, the phone number is, so it is masked. */
    log_info("sms code (log sender)", "to", masked, "code", code, NULL);
    return 0;
  }
  if (strcmp(kind, "outbox") == 0) return send_outbox(s, phone, code, err);
  if (strcmp(kind, "http") == 0) return send_http(s, phone, code, err);
  return err_set(err, 0, "sms_config", "unknown sms_sender '%s'", kind);
}
