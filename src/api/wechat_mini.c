/* wechat_mini: the mini program's subscription messages, its side of what the official account's
 * page does with <wx-open-subscribe> (api/wechat.c).
 *   GET  /api/wechat/mini/subscriptions  (student signed in through the mini program) the mini
 *        program's own templates [{kind, template_id, answer}] for wx.requestSubscribeMessage
 *   POST /api/wechat/mini/subscriptions  WeChat's answer to that prompt as the mini program got
 *        it: {"errMsg": "requestSubscribeMessage:ok", "<template id>": "accept"|"reject"|"ban"|
 *        "filter", ...}; recorded per template (wechat/wx_subscribe.h), audited
 * Why the raw answer: the mini program then holds no rule of ours (web/miniprogram/subscribe.js
 * only relays), and a template WeChat never put in the prompt ('filter') is told apart from one
 * the student turned down. A session that did not come through the mini program gets 409: the
 * openid the messages go to is the mini program's. The messages themselves go out from
 * wechat/wx_message.c (/cgi-bin/message/subscribe/send with wechat_mini_page and
 * wechat_mini_state). */
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "audit/audit.h"
#include "wechat/wx_api.h"
#include "wechat/wx_message.h"
#include "wechat/wx_subscribe.h"

static const char *const KINDS[] = {"payment_received", "approved", "rejected", "window_closing"};
#define N_KINDS (sizeof KINDS / sizeof KINDS[0])

/* The mini program identity of the session: its id, or -1 with 404 (no mini program) or 409. */
static int64_t mini_identity(http_req *req, db_t *db) {
  if (!wx_app_enabled(api_app(req)->cfg, "mini")) return err_set(&req->err, 404, "wechat_off", "未启用微信小程序");
  char kind[8];
  int64_t identity = wx_session_identity_kind(db, api_session(req)->id, kind, &req->err);
  if (identity == 0 || (identity > 0 && strcmp(kind, "mini") != 0))
    return err_set(&req->err, 409, "wechat_mini_required", "请在微信小程序中登录后再设置消息提醒");
  return identity;
}

static json_t *offer(const config *cfg, const json_t *answers) {
  json_t *list = json_array();
  for (size_t i = 0; i < N_KINDS; i++) {
    const char *id = wx_template_of(cfg, "mini", KINDS[i]);
    if (!*id) continue;
    json_array_append_new(list, json_pack("{s:s, s:s, s:s?}", "kind", KINDS[i], "template_id", id, "answer",
                                          json_string_value(json_object_get(answers, id))));
  }
  return list;
}

static int subscriptions_view(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t identity = mini_identity(req, db);
  json_t *answers = identity > 0 ? wx_subscribe_answers(db, identity, &req->err) : NULL;
  api_db_put(req, db);
  if (!answers) return -1;
  json_t *list = offer(api_app(req)->cfg, answers);
  json_decref(answers);
  return resp_json(resp, 200, json_pack("{s:o}", "templates", list));
}

/* "accepted", "refused", "" (filtered: not an answer), or NULL when the value is not one of
 * WeChat's. */
static const char *answer_of(const char *v) {
  if (!strcmp(v, "accept")) return "accepted";
  if (!strncmp(v, "acceptWith", 10) && strlen(v) <= 40) return "accepted"; /* acceptWithAudio, ... */
  if (!strcmp(v, "reject") || !strcmp(v, "ban")) return "refused";
  if (!strcmp(v, "filter")) return "";
  return NULL;
}

static int mini_offers(const config *cfg, const char *id) {
  for (size_t i = 0; i < N_KINDS; i++) {
    const char *t = wx_template_of(cfg, "mini", KINDS[i]);
    if (*t && !strcmp(t, id)) return 1;
  }
  return 0;
}

/* Checks the whole answer before anything is written. */
static int check_answer(http_req *req, const json_t *body) {
  const config *cfg = api_app(req)->cfg;
  const char *msg = json_string_value(json_object_get(body, "errMsg"));
  if (!msg) return err_set(&req->err, 400, "invalid_answer", "缺少微信返回的 errMsg");
  if (strcmp(msg, "requestSubscribeMessage:ok") != 0)
    return err_set(&req->err, 400, "subscribe_failed", "微信未能弹出订阅提示，请稍后再试");
  if (json_object_size(body) > N_KINDS + 1) return err_set(&req->err, 400, "invalid_answer", "订阅结果中的模板过多");
  const char *key;
  json_t *v;
  size_t n = 0;
  json_object_foreach((json_t *)body, key, v) {
    if (!strcmp(key, "errMsg")) continue;
    if (!mini_offers(cfg, key)) return err_set(&req->err, 400, "unknown_template", "不是本小程序提供的消息模板");
    if (!json_is_string(v) || !answer_of(json_string_value(v)))
      return err_set(&req->err, 400, "invalid_answer", "订阅结果无法识别");
    n++;
  }
  if (!n) return err_set(&req->err, 400, "invalid_templates", "请给出接受或拒绝的消息模板");
  return 0;
}

static int subscriptions_post(http_req *req, http_resp *resp) {
  if (check_answer(req, req->json) < 0) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t identity = mini_identity(req, db);
  int rc = identity < 0 ? -1 : 0;
  if (rc == 0) {
    /* WeChat's answer object, its errMsg left out, as template id -> accepted / refused. */
    json_t *given = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(req->json, key, v) {
      const char *a = strcmp(key, "errMsg") ? answer_of(json_string_value(v)) : "";
      if (*a) json_object_set_new(given, key, json_string(a));
    }
    rc = wx_subscribe_record_answers(db, identity, api_session(req)->user_id, given, "mini", &req->err);
    json_decref(given);
  }
  json_t *answers = rc == 0 ? wx_subscribe_answers(db, identity, &req->err) : NULL;
  api_db_put(req, db);
  if (!answers) return -1;
  json_t *list = offer(api_app(req)->cfg, answers);
  json_decref(answers);
  return resp_json(resp, 200, json_pack("{s:o}", "templates", list));
}

void api_wechat_mini_routes(http_router *r) {
  static const http_route routes[] = {
      {"GET", "/api/wechat/mini/subscriptions", subscriptions_view, ROLE_STUDENT, 0},
      {"POST", "/api/wechat/mini/subscriptions", subscriptions_post, ROLE_STUDENT, HTTP_BODY_JSON},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}
