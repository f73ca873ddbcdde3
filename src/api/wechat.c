/* wechat: signing students in with WeChat, inside WeChat's browser and from the mini program.
 *   GET  /api/wechat/config            what this site offers (official account / mini program) and
 *                                      whether this browser is half-way through a WeChat sign-in
 *   GET  /api/wechat/oauth/start       302 to WeChat's web authorisation (snsapi_base), with a
 *                                      fresh state bound to this browser by the tucai_wxstate cookie
 *   GET  /api/wechat/oauth/callback    ?code&state from WeChat: a bound openid signs in; an unknown
 *                                      one is bound to the student signed in here, or waits for the
 *                                      phone to be confirmed by SMS code (tucai_wxbind ticket, used
 *                                      by POST /api/student/login, see api_wechat_bind_after_login)
 *   POST /api/wechat/mini/login        {code} from wx.login(): signed in, or {status:"need_phone"}
 *   POST /api/wechat/mini/phone        {code} from the phone-number button: the phone WeChat
 *                                      verified finds or makes the account, the openid is bound
 *   GET  /api/wechat/jssdk?url=        (student) the signed wx.config for that page of ours (400 for
 *                                      any other URL), the subscription templates on offer and
 *                                      the student's answers so far
 *   POST /api/wechat/subscriptions     (student) {accepted:[template ids], refused:[template ids]}:
 *                                      the student's answer to the offer (wechat/wx_subscribe.h)
 * Operator:
 *   GET  /api/ops/wechat/messages      ?outcome=sent|refused|rejected: what each WeChat message came to
 *                                      (newest first; refused = the student did not accept, 43101)
 * Both ways end in the same student account (the phone's), which wechat_identities ties to each
 * openid. The session remembers the identity it came through: JSAPI payment pays with that
 * openid (api/orders.c). State, binder and ticket are single-use random tokens kept hashed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "audit/audit.h"
#include "auth/session.h"
#include "identity/student.h"
#include "wechat/wx_auth.h"
#include "wechat/wx_identity.h"
#include "wechat/wx_jssdk.h"
#include "wechat/wx_message.h"
#include "wechat/wx_subscribe.h"
#include "util/xmalloc.h"

#define STATE_COOKIE "tucai_wxstate"
#define TICKET_COOKIE "tucai_wxbind"

static int mp_ready(const config *cfg) { return wx_app_enabled(cfg, "mp") && *config_str(cfg, "wechat_public_url"); }

/* A new student session for the account through the identity; sets the cookie. */
static int sign_in(http_req *req, http_resp *resp, db_t *db, int64_t account, int64_t identity, const char *how) {
  char token[65];
  int64_t ttl = config_int(api_app(req)->cfg, "student_session_ttl");
  auth_session s;
  int rc = auth_session_create(db, ROLE_STUDENT, account, 0, ttl, token, &req->err);
  if (rc == 0 && auth_session_lookup(db, token, &s, &req->err) != 1) rc = -1;
  if (rc == 0) rc = wx_session_attach(db, s.id, identity, &req->err);
  if (rc == 0) rc = wx_identity_touch(db, identity, &req->err);
  json_t *d = json_pack("{s:s}", "via", how);
  if (rc == 0) rc = audit_log(db, ROLE_STUDENT, account, "student.login", "student_account", account, d, &req->err);
  json_decref(d);
  if (rc == 0) resp_set_session_cookie(resp, req, token, (int)ttl);
  return rc;
}

static int redirect(http_resp *resp, const char *to) {
  resp_header(resp, "Location", to);
  resp_header(resp, "Cache-Control", "no-store");
  return resp_bytes(resp, 303, "text/plain; charset=utf-8", "", 0);
}

static int config_view(http_req *req, http_resp *resp) {
  const config *cfg = api_app(req)->cfg;
  const char *ticket = req_cookie(req, TICKET_COOKIE);
  int pending = 0;
  char kind[8], appid[64], openid[WX_OPENID_MAX];
  if (ticket) {
    db_t *db = api_db(req);
    if (!db) return -1;
    pending = wx_ticket_peek(db, ticket, kind, appid, openid, &req->err);
    api_db_put(req, db);
    if (pending < 0) return -1;
  }
  auth_session *s = api_session(req);
  return resp_json(resp, 200,
                   json_pack("{s:b, s:b, s:b, s:b}", "mp", mp_ready(cfg), "mini", wx_app_enabled(cfg, "mini"),
                             "bind_pending", pending == 1, "signed_in", s && s->role == ROLE_STUDENT));
}

static int oauth_start(http_req *req, http_resp *resp) {
  const config *cfg = api_app(req)->cfg;
  if (!mp_ready(cfg)) return err_set(&req->err, 404, "wechat_off", "未启用微信登录");
  char binder[65], state[65];
  wx_random_token(binder);
  db_t *db = api_db(req);
  if (!db) return -1;
  auth_session *s = api_session(req);
  int rc = wx_state_new(db, binder, s && s->role == ROLE_STUDENT ? s->id : 0, state, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  char cb[700];
  snprintf(cb, sizeof cb, "%s/api/wechat/oauth/callback", config_str(cfg, "wechat_public_url"));
  char *ecb = wx_escape(cb), *eid = wx_escape(config_str(cfg, "wechat_mp_appid"));
  const char *base = config_str(cfg, "wechat_oauth_base_url");
  size_t n = strlen(base) + (ecb ? strlen(ecb) : 0) + (eid ? strlen(eid) : 0) + 200;
  char *to = xmalloc(n);
  if (to)
    snprintf(
        to, n,
        "%s/connect/oauth2/authorize?appid=%s&redirect_uri=%s&response_type=code&scope=snsapi_base&state=%s#wechat_redirect",
        base, eid ? eid : "", ecb ? ecb : "", state);
  free(ecb);
  free(eid);
  if (!to) return err_set(&req->err, 0, "oom", "out of memory");
  resp_set_cookie(resp, req, STATE_COOKIE, binder, (int)(WX_STATE_TTL_MS / 1000));
  resp_header(resp, "Location", to);
  resp_header(resp, "Cache-Control", "no-store");
  free(to);
  return resp_bytes(resp, 302, "text/plain; charset=utf-8", "", 0);
}

/* The callback is a page load in the student's browser: a refusal goes back to the sign-in page,
 * which says why (web/student/screens/login.js reads wx_error); API clients get the JSON error. */
static int callback_failed(http_req *req, http_resp *resp) {
  const char *accept = req_header(req, "Accept");
  if (!accept || !strstr(accept, "text/html")) return -1;
  char to[160];
  snprintf(to, sizeof to, "/?wx_error=%s#/login", req->err.code[0] ? req->err.code : "wechat_failed");
  err_clear(&req->err);
  return redirect(resp, to);
}

static int oauth_callback(http_req *req, http_resp *resp) {
  app *a = api_app(req);
  resp_set_cookie(resp, req, STATE_COOKIE, "", 0);
  if (!mp_ready(a->cfg)) return err_set(&req->err, 404, "wechat_off", "未启用微信登录");
  const char *code = req_query(req, "code"), *state = req_query(req, "state");
  if (!code || !*code) {
    err_set(&req->err, 400, "wechat_code_invalid", "微信授权已失效，请重新进入页面");
    return callback_failed(req, resp);
  }
  int64_t sid = 0;
  db_t *db = api_db(req);
  if (!db) return -1;
  int rc = wx_state_take(db, state, req_cookie(req, STATE_COOKIE), &sid, &req->err);
  api_db_put(req, db);
  if (rc < 0) return callback_failed(req, resp);
  wx_app mp;
  char openid[WX_OPENID_MAX];
  if (wx_app_load(a->cfg, "mp", &mp, &req->err) < 0 || wx_oauth_openid(a->cfg, &mp, code, openid, &req->err) < 0)
    return callback_failed(req, resp);
  db = api_db(req);
  if (!db) return -1;
  int64_t account = 0;
  int64_t identity = wx_identity_find(db, mp.appid, openid, &account, &req->err);
  auth_session *s = api_session(req);
  if (identity > 0) {
    rc = sign_in(req, resp, db, account, identity, "wechat_mp");
  } else if (identity == 0 && sid && s && s->id == sid && s->role == ROLE_STUDENT) {
    /* Started by a student signed in here (the phone confirmed already): bind to that account. */
    identity = wx_identity_bind(db, "mp", mp.appid, openid, s->user_id, &req->err);
    rc = identity > 0 ? wx_session_attach(db, s->id, identity, &req->err) : -1;
    json_t *d = json_pack("{s:s}", "app", "mp");
    if (rc == 0)
      rc = audit_log(db, ROLE_STUDENT, s->user_id, "wechat.bind", "student_account", s->user_id, d, &req->err);
    json_decref(d);
  } else if (identity == 0) {
    char ticket[65];
    rc = wx_ticket_new(db, "mp", mp.appid, openid, ticket, &req->err);
    if (rc == 0) resp_set_cookie(resp, req, TICKET_COOKIE, ticket, (int)(WX_TICKET_TTL_MS / 1000));
  } else {
    rc = -1;
  }
  api_db_put(req, db);
  if (rc < 0) return callback_failed(req, resp);
  return redirect(resp, "/#/");
}

static int mini_login(http_req *req, http_resp *resp) {
  app *a = api_app(req);
  const char *code = json_field_str(req, "code", 1, 256);
  if (err_is_set(&req->err)) return -1;
  wx_app mini;
  char openid[WX_OPENID_MAX];
  if (wx_app_load(a->cfg, "mini", &mini, &req->err) < 0 || wx_mini_openid(a->cfg, &mini, code, openid, &req->err) < 0)
    return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t account = 0;
  int64_t identity = wx_identity_find(db, mini.appid, openid, &account, &req->err);
  int rc = identity < 0 ? -1 : 0;
  char ticket[65];
  if (identity > 0)
    rc = sign_in(req, resp, db, account, identity, "wechat_mini");
  else if (identity == 0)
    rc = wx_ticket_new(db, "mini", mini.appid, openid, ticket, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  if (identity > 0)
    return resp_json(resp, 200, json_pack("{s:s, s:I}", "status", "signed_in", "account_id", (json_int_t)account));
  resp_set_cookie(resp, req, TICKET_COOKIE, ticket, (int)(WX_TICKET_TTL_MS / 1000));
  return resp_json(resp, 200, json_pack("{s:s}", "status", "need_phone"));
}

static int mini_phone(http_req *req, http_resp *resp) {
  app *a = api_app(req);
  const char *code = json_field_str(req, "code", 1, 256);
  if (err_is_set(&req->err)) return -1;
  const char *ticket = req_cookie(req, TICKET_COOKIE);
  wx_app mini;
  if (wx_app_load(a->cfg, "mini", &mini, &req->err) < 0) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  char kind[8], appid[64], openid[WX_OPENID_MAX], phone[24];
  int t = wx_ticket_peek(db, ticket, kind, appid, openid, &req->err);
  int rc = t < 0 ? -1 : 0;
  if (t == 0 || (t == 1 && (strcmp(kind, "mini") || strcmp(appid, mini.appid))))
    rc = err_set(&req->err, 400, "wechat_ticket_invalid", "登录已超时，请重新进入小程序");
  if (rc == 0) rc = wx_mini_phone(a->cfg, db, &mini, code, phone, &req->err);
  int64_t account = 0, identity = 0;
  if (rc == 0) rc = db_begin(db, &req->err);
  if (rc == 0) {
    int used = wx_ticket_use(db, ticket, &req->err);
    if (used == 0) rc = err_set(&req->err, 400, "wechat_ticket_invalid", "登录已超时，请重新进入小程序");
    if (used < 0) rc = -1;
    if (rc == 0 && (account = student_account_for_phone(db, phone, &req->err)) <= 0) rc = -1;
    if (rc == 0 && (identity = wx_identity_bind(db, "mini", mini.appid, openid, account, &req->err)) <= 0) rc = -1;
    if (rc == 0) rc = sign_in(req, resp, db, account, identity, "wechat_mini_phone");
    if (rc == 0) rc = db_commit(db, &req->err);
    if (rc < 0) db_rollback(db);
  }
  memset(phone, 0, sizeof phone);
  api_db_put(req, db);
  if (rc < 0) return -1;
  resp_set_cookie(resp, req, TICKET_COOKIE, "", 0);
  return resp_json(resp, 200, json_pack("{s:s, s:I}", "status", "signed_in", "account_id", (json_int_t)account));
}

int api_wechat_bind_after_login(http_req *req, http_resp *resp, db_t *db, int64_t account, const char *session_token) {
  const char *ticket = req_cookie(req, TICKET_COOKIE);
  if (!ticket) return 0;
  resp_set_cookie(resp, req, TICKET_COOKIE, "", 0);
  char kind[8], appid[64], openid[WX_OPENID_MAX];
  err_t e = {0};
  if (wx_ticket_peek(db, ticket, kind, appid, openid, &e) != 1 || wx_ticket_use(db, ticket, &e) != 1) return 0;
  auth_session s;
  int64_t identity = wx_identity_bind(db, kind, appid, openid, account, &e);
  if (identity <= 0 || auth_session_lookup(db, session_token, &s, &e) != 1 ||
      wx_session_attach(db, s.id, identity, &e) < 0) {
    /* The phone sign-in stands; only the WeChat binding did not happen (e.g. that WeChat is
     * another phone's): the student can still pay outside WeChat or sign in with that phone. */
    return err_is_set(&e) && e.status == 409 ? 409 : -1;
  }
  json_t *d = json_pack("{s:s}", "app", kind);
  audit_log(db, ROLE_STUDENT, account, "wechat.bind", "student_account", account, d, &e);
  json_decref(d);
  return 1;
}

static int ops_messages(http_req *req, http_resp *resp) {
  const char *outcome = req_query(req, "outcome");
  if (outcome && strcmp(outcome, "sent") && strcmp(outcome, "refused") && strcmp(outcome, "rejected"))
    return err_set(&req->err, 400, "invalid_outcome", "outcome 应为 sent、refused 或 rejected");
  db_t *db = api_db(req);
  if (!db) return -1;
  db_res *r =
      db_query(db, &req->err,
               "SELECT m.id, m.inbox_id, i.account_id, i.app_kind, m.kind, m.template_id, m.outcome, m.errcode, "
               "m.msgid, m.at FROM wechat_messages m JOIN wechat_identities i ON i.id = m.identity_id "
               "WHERE ($1 = '' OR m.outcome = $1) ORDER BY m.id DESC LIMIT 500",
               DB_TEXT(outcome ? outcome : ""));
  api_db_put(req, db);
  if (!r) return -1;
  json_t *list = json_array();
  for (int i = 0; i < db_res_rows(r); i++)
    json_array_append_new(
        list,
        json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:I}", "id", (json_int_t)db_res_int_at(r, i, "id"),
                  "inbox_id", (json_int_t)db_res_int_at(r, i, "inbox_id"), "account_id",
                  (json_int_t)db_res_int_at(r, i, "account_id"), "app", db_res_text_at(r, i, "app_kind"), "kind",
                  db_res_text_at(r, i, "kind"), "template_id", db_res_text_at(r, i, "template_id"), "outcome",
                  db_res_text_at(r, i, "outcome"), "errcode", (json_int_t)db_res_int_at(r, i, "errcode"), "msgid",
                  db_res_text_at(r, i, "msgid"), "at", (json_int_t)db_res_int_at(r, i, "at")));
  db_res_free(r);
  return resp_json(resp, 200, json_pack("{s:o}", "messages", list));
}

/* The subscription messages on offer: the kinds whose template the operator chose. */
static const char *const TMPL_KINDS[] = {"payment_received", "approved", "rejected", "window_closing"};
#define N_TMPL_KINDS (sizeof TMPL_KINDS / sizeof TMPL_KINDS[0])

/* The official account's template for a kind (the mini program's are in api/wechat_mini.c). */
static const char *tmpl_of(const config *cfg, const char *kind) { return wx_template_of(cfg, "mp", kind); }

/* 1 when `id` is one of the templates the app of `app_kind` offers. */
static int tmpl_offered(const config *cfg, const char *app_kind, const char *id) {
  for (size_t i = 0; i < N_TMPL_KINDS; i++) {
    const char *t = wx_template_of(cfg, app_kind, TMPL_KINDS[i]);
    if (*t && strcmp(t, id) == 0) return 1;
  }
  return 0;
}

static int jssdk_view(http_req *req, http_resp *resp) {
  const config *cfg = api_app(req)->cfg;
  if (!mp_ready(cfg)) return err_set(&req->err, 404, "wechat_off", "未启用微信");
  const char *url = req_query(req, "url");
  char page[WX_PAGE_URL_MAX + 1];
  if (wx_jssdk_page_url(cfg, url, page, &req->err) < 0) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *conf = NULL, *answers = NULL;
  int64_t identity = wx_session_identity(db, api_session(req)->id, &req->err);
  int rc = identity < 0 ? -1 : wx_jssdk_config(cfg, db, url, &conf, &req->err);
  if (rc == 0) rc = (answers = identity > 0 ? wx_subscribe_answers(db, identity, &req->err) : json_object()) ? 0 : -1;
  api_db_put(req, db);
  if (rc < 0) {
    json_decref(conf);
    return -1;
  }
  json_t *list = json_array();
  for (size_t i = 0; i < N_TMPL_KINDS; i++) {
    const char *id = tmpl_of(cfg, TMPL_KINDS[i]);
    if (!*id) continue;
    const char *answer = json_string_value(json_object_get(answers, id));
    json_array_append_new(list,
                          json_pack("{s:s, s:s, s:s?}", "kind", TMPL_KINDS[i], "template_id", id, "answer", answer));
  }
  json_decref(answers);
  /* wechat_bound: the session came through WeChat, so an answer can be tied to the openid. */
  return resp_json(resp, 200,
                   json_pack("{s:o, s:o, s:b}", "config", conf, "templates", list, "wechat_bound", identity > 0));
}

/* The ids in body[name]: an array of template ids the app of `app_kind` offers (at most
 * N_TMPL_KINDS), or absent. */
static int answer_ids(http_req *req, const char *app_kind, const char *name, json_t **out) {
  json_t *a = json_object_get(req->json, name);
  *out = a;
  if (!a) return 0;
  if (!json_is_array(a) || json_array_size(a) > N_TMPL_KINDS)
    return err_set(&req->err, 400, "invalid_templates", "%s 应为模板 id 列表", name);
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    if (!json_is_string(v) || !tmpl_offered(api_app(req)->cfg, app_kind, json_string_value(v)))
      return err_set(&req->err, 400, "unknown_template", "不是本站提供的消息模板");
  }
  return 0;
}

static int subscriptions_post(http_req *req, http_resp *resp) {
  if (!mp_ready(api_app(req)->cfg) && !wx_app_enabled(api_app(req)->cfg, "mini"))
    return err_set(&req->err, 404, "wechat_off", "未启用微信");
  db_t *db = api_db(req);
  if (!db) return -1;
  /* The templates on offer are those of the app the session came through. */
  char kind[8];
  json_t *acc = NULL, *ref = NULL;
  int64_t identity = wx_session_identity_kind(db, api_session(req)->id, kind, &req->err);
  int rc = identity < 0 ? -1 : 0;
  if (identity == 0) rc = err_set(&req->err, 409, "wechat_auth_required", "请在微信中打开本页面，完成微信授权后再订阅");
  if (rc == 0 && (answer_ids(req, kind, "accepted", &acc) < 0 || answer_ids(req, kind, "refused", &ref) < 0)) rc = -1;
  if (rc == 0 && !json_array_size(acc) && !json_array_size(ref))
    rc = err_set(&req->err, 400, "invalid_templates", "请给出接受或拒绝的消息模板");
  if (rc == 0) {
    json_t *given = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(acc, i, v) json_object_set_new(given, json_string_value(v), json_string("accepted"));
    json_array_foreach(ref, i, v) json_object_set_new(given, json_string_value(v), json_string("refused"));
    rc = wx_subscribe_record_answers(db, identity, api_session(req)->user_id, given, "page", &req->err);
    json_decref(given);
  }
  json_t *answers = rc == 0 ? wx_subscribe_answers(db, identity, &req->err) : NULL;
  api_db_put(req, db);
  if (rc < 0 || !answers) return -1;
  return resp_json(resp, 200, json_pack("{s:o}", "answers", answers));
}

void api_wechat_routes(http_router *r) {
  static const http_route routes[] = {
      {"GET", "/api/wechat/config", config_view, 0, 0},
      {"GET", "/api/wechat/oauth/start", oauth_start, 0, 0},
      {"GET", "/api/wechat/oauth/callback", oauth_callback, 0, 0},
      {"POST", "/api/wechat/mini/login", mini_login, 0, HTTP_BODY_JSON},
      {"POST", "/api/wechat/mini/phone", mini_phone, 0, HTTP_BODY_JSON},
      {"GET", "/api/wechat/jssdk", jssdk_view, ROLE_STUDENT, 0},
      {"POST", "/api/wechat/subscriptions", subscriptions_post, ROLE_STUDENT, HTTP_BODY_JSON},
      {"GET", "/api/ops/wechat/messages", ops_messages, ROLE_OPERATOR, 0},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}
