/* wx_message: subscription messages (see wx_message.h). */
#include "wechat/wx_message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/vault.h"
#include "wechat/wx_subscribe.h"
#include "wechat/wx_token.h"
#include "util/xmalloc.h"

char *wx_clip_utf8(const char *s, int max) {
  if (!s) s = "";
  const unsigned char *p = (const unsigned char *)s;
  int chars = 0;
  size_t cut = 0, i = 0;
  while (p[i]) {
    size_t step = p[i] < 0x80 ? 1 : (p[i] >> 5) == 6 ? 2 : (p[i] >> 4) == 14 ? 3 : (p[i] >> 3) == 30 ? 4 : 1;
    for (size_t k = 1; k < step; k++)
      if (!p[i + k]) step = k;
    if (chars == max - 1) cut = i;
    chars++;
    i += step;
  }
  if (chars <= max) return xstrdup(s);
  char *out = xmalloc(cut + 4);
  if (!out) return NULL;
  memcpy(out, s, cut);
  memcpy(out + cut, "\xE2\x80\xA6", 4); /* "…" */
  return out;
}

const char *wx_template_of(const config *cfg, const char *app_kind, const char *kind) {
  char setting[64];
  snprintf(setting, sizeof setting, "wechat_%stmpl_%s", strcmp(app_kind, "mini") == 0 ? "mini_" : "", kind);
  return config_str(cfg, setting);
}

static void china_time(int64_t ms, char out[24]) {
  time_t t = (time_t)(ms / 1000) + 8 * 3600;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 24, "%Y-%m-%d %H:%M", &tm);
}

/* What to do, or why: the second line of the message. */
static const char *detail_of(const char *kind, const json_t *data) {
  if (strcmp(kind, "rejected") == 0) {
    const char *first = json_string_value(json_array_get(json_object_get(data, "reasons"), 0));
    if (first && *first) return first;
    const char *note = json_string_value(json_object_get(data, "note"));
    return note && *note ? note : "请查看原因后免费重拍";
  }
  if (strcmp(kind, "approved") == 0) return "毕业照片已审核通过";
  if (strcmp(kind, "payment_received") == 0) return "请按要求拍摄并上传照片";
  return "请在截止前拍摄并提交照片";
}

static json_t *item(const char *v) { return json_pack("{s:s}", "value", v); }

static int record(db_t *db, int64_t inbox, int64_t identity, const char *kind, const char *tmpl, const char *outcome,
                  long code, const char *msgid, err_t *err) {
  return db_exec(db, err,
                 "INSERT INTO wechat_messages (inbox_id, identity_id, kind, template_id, outcome, errcode, msgid, at) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                 DB_INT(inbox), DB_INT(identity), DB_TEXT(kind), DB_TEXT(tmpl), DB_TEXT(outcome), DB_INT(code),
                 DB_TEXT(msgid ? msgid : ""), DB_INT(clock_now_ms())) < 0
             ? -1
             : 0;
}

/* One send to one identity: 0 done (whatever WeChat decided), -1 retry later. */
static int send_one(const config *cfg, db_t *db, const wx_app *app, int64_t identity, const char *openid, int64_t inbox,
                    const char *kind, const char *tmpl, json_t *data, err_t *err) {
  /* The student said no to this template (on our page, or WeChat said 43101 before): not asked again. */
  int no = wx_subscribe_refused(db, identity, tmpl, err);
  if (no < 0) return -1;
  if (no) return record(db, inbox, identity, kind, tmpl, "refused", 0, NULL, err);
  int mini = strcmp(app->kind, "mini") == 0;
  json_t *body = json_pack("{s:s, s:s, s:O}", "touser", openid, "template_id", tmpl, "data", data);
  if (mini) {
    json_object_set_new(body, "page", json_string(config_str(cfg, "wechat_mini_page")));
    json_object_set_new(body, "miniprogram_state", json_string(config_str(cfg, "wechat_mini_state")));
    json_object_set_new(body, "lang", json_string("zh_CN"));
  } else {
    char page[600];
    snprintf(page, sizeof page, "%s/#/status", config_str(cfg, "wechat_public_url"));
    json_object_set_new(body, "page", json_string(page));
  }
  json_t *ans = NULL;
  int rc = wx_call_token(cfg, db, app, mini ? "/cgi-bin/message/subscribe/send" : "/cgi-bin/message/subscribe/bizsend",
                         body, &ans, err);
  json_decref(body);
  if (rc < 0) return -1;
  long code = wx_errcode(ans);
  char c[24];
  snprintf(c, sizeof c, "%ld", code);
  json_t *mid = json_object_get(ans, "msgid");
  char msgid[40] = "";
  if (json_is_integer(mid))
    snprintf(msgid, sizeof msgid, "%lld", (long long)json_integer_value(mid));
  else if (json_is_string(mid))
    snprintf(msgid, sizeof msgid, "%s", json_string_value(mid));
  json_decref(ans);
  if (code == 0) return record(db, inbox, identity, kind, tmpl, "sent", 0, msgid, err);
  if (code == 43101) {
    log_info("wechat_message_refused_by_user", "kind", kind, NULL);
    if (wx_subscribe_record(db, identity, tmpl, "refused", "errcode", err) < 0) return -1;
    return record(db, inbox, identity, kind, tmpl, "refused", code, NULL, err);
  }
  if (code == 40003 || code == 40037 || code == 47003 || code == 43100 || code == 43104) {
    log_warn("wechat_message_rejected", "kind", kind, "errcode", c, NULL);
    return record(db, inbox, identity, kind, tmpl, "rejected", code, NULL, err);
  }
  log_warn("wechat_message_failed", "kind", kind, "errcode", c, NULL);
  return err_set(err, 502, "wechat_send_failed", "WeChat refused the message for now (%ld)", code);
}

int wx_message_deliver(const config *cfg, db_t *db, const json_t *m, err_t *err) {
  const char *kind = json_string_value(json_object_get(m, "kind"));
  static const char *const kinds[] = {"payment_received", "approved", "rejected", "window_closing", "reminder"};
  int known = 0;
  for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++) known |= strcmp(kind, kinds[i]) == 0;
  if (!known) return 0;
  /* The office's reminder says what window_closing says (finish before the deadline), so it goes
   * out with that template rather than asking the operator for one more. */
  int deadline = strcmp(kind, "window_closing") == 0 || strcmp(kind, "reminder") == 0;
  const char *tkind = strcmp(kind, "reminder") == 0 ? "window_closing" : kind;
  if (!*wx_template_of(cfg, "mp", tkind) && !*wx_template_of(cfg, "mini", tkind)) return 0;
  int64_t inbox = (int64_t)json_integer_value(json_object_get(m, "id"));
  int64_t account = (int64_t)json_integer_value(json_object_get(m, "account_id"));
  const json_t *data = json_object_get(m, "data");

  char when[24];
  json_t *we = json_object_get(data, "window_end");
  china_time(deadline && json_is_integer(we) ? (int64_t)json_integer_value(we)
                                             : (int64_t)json_integer_value(json_object_get(m, "created_at")),
             when);
  char *t1 = wx_clip_utf8(json_string_value(json_object_get(m, "title")), 20);
  char *t2 = wx_clip_utf8(detail_of(kind, data), 20);
  json_t *fields =
      json_pack("{s:o, s:o, s:o}", "thing1", item(t1 ? t1 : ""), "thing2", item(t2 ? t2 : ""), "time3", item(when));
  free(t1);
  free(t2);

  db_res *r =
      db_query(db, err,
               "SELECT i.id, i.app_kind, i.appid, i.openid_sealed FROM wechat_identities i WHERE i.account_id = $1 "
               "AND NOT EXISTS (SELECT 1 FROM wechat_messages w WHERE w.inbox_id = $2 AND w.identity_id = i.id) "
               "ORDER BY i.id",
               DB_INT(account), DB_INT(inbox));
  if (!r) {
    json_decref(fields);
    return -1;
  }
  int rc = 0;
  for (int i = 0; i < db_res_rows(r) && rc == 0; i++) {
    wx_app app;
    err_t e = {0};
    /* An identity of an app no longer configured (or another app id) cannot be written to. */
    /* Each app sends with its own template; an app without one for this kind sends nothing. */
    const char *tmpl = wx_template_of(cfg, db_res_text_at(r, i, "app_kind"), tkind);
    if (!*tmpl || !wx_app_enabled(cfg, db_res_text_at(r, i, "app_kind")) ||
        wx_app_load(cfg, db_res_text_at(r, i, "app_kind"), &app, &e) < 0 ||
        strcmp(app.appid, db_res_text_at(r, i, "appid")) != 0)
      continue;
    char *openid = vault_open_text(db_res_text_at(r, i, "openid_sealed"), err);
    if (!openid) {
      rc = -1;
      break;
    }
    rc = send_one(cfg, db, &app, db_res_int_at(r, i, "id"), openid, inbox, kind, tmpl, fields, err);
    free(openid);
  }
  db_res_free(r);
  json_decref(fields);
  return rc;
}
