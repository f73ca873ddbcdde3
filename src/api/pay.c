/* pay: what payment providers and the demo payer call.
 *   POST /api/pay/wechatpay/notify        WeChat Pay v3 notifications (payment and refund). No
 *                                         session, no CSRF: the message proves itself (notify.h).
 *                                         204 = acknowledged; 4xx/5xx {"code":"FAIL","message"} =
 *                                         refused, and the provider will retry.
 *   GET  /api/pay/mock/:no                the demo payer page's view of one order (owner only)
 *   POST /api/pay/mock/:no/approve        the payer pays (mock provider only)
 *   POST /api/pay/mock/:no/decline        the payer declines */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "pay/mock.h"
#include "pay/notify.h"
#include "pay/orders.h"
#include "util/clock.h"
#include "util/log.h"

static int notify(http_req *req, http_resp *resp) {
  pay_inbound in = {
      .timestamp = req_header(req, "Wechatpay-Timestamp"),
      .nonce = req_header(req, "Wechatpay-Nonce"),
      .signature = req_header(req, "Wechatpay-Signature"),
      .serial = req_header(req, "Wechatpay-Serial"),
      .body = req->body ? req->body : "",
      .body_len = req->body ? req->body_len : 0,
      .now_ms = clock_now_ms(),
  };
  if (strcmp(config_str(api_app(req)->cfg, "pay_provider"), "wechatpay") != 0)
    return resp_json(resp, 404, json_pack("{s:s, s:s}", "code", "FAIL", "message", "wechatpay is not enabled"));
  err_t err = {0};
  if (pay_notify_receive(&api_app(req)->pay, &in, req->client_ip, &err) == 0)
    return resp_bytes(resp, 204, "text/plain", "", 0);
  int status = err.status ? err.status : 500;
  /* WeChat Pay expects {"code":"FAIL","message":...}; our own code travels in "reason". */
  return resp_json(resp, status,
                   json_pack("{s:s, s:s, s:s}", "code", "FAIL", "message",
                             status >= 500 ? "internal error" : err.message, "reason", err.code));
}

/* The mock order of the signed-in student; 404 for anyone else's. */
static int mock_order(http_req *req, db_t *db, pay_order *o) {
  if (strcmp(config_str(api_app(req)->cfg, "pay_provider"), "mock") != 0)
    return err_set(&req->err, 404, "mock_disabled", "模拟支付未启用");
  const char *no = req_param(req, "no");
  if (!no || strlen(no) > 32 || pay_order_by_no(db, no, o, &req->err) < 0 || o->account_id != api_session(req)->user_id)
    return err_set(&req->err, 404, "order_not_found", "订单不存在");
  return 0;
}

static int mock_view(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  pay_order o;
  int rc = mock_order(req, db, &o);
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(
      resp, 200,
      json_pack("{s:s, s:I, s:s, s:I, s:I}", "out_trade_no", o.out_trade_no, "amount_fen", (json_int_t)o.amount_fen,
                "state", o.state, "expires_at", (json_int_t)o.expires_at, "order_id", (json_int_t)o.id));
}

static int mock_decide(http_req *req, http_resp *resp, int approve) {
  db_t *db = api_db(req);
  if (!db) return -1;
  pay_order o;
  int rc = mock_order(req, db, &o);
  pay_notice n;
  int result = 0;
  int64_t oid = 0;
  if (rc == 0 && (rc = db_begin(db, &req->err)) == 0) {
    rc = pay_mock_decide(db, o.out_trade_no, approve, &n, &req->err);
    if (rc == 0 && approve) rc = pay_notice_apply(db, &n, "payer approved on the mock page", &result, &oid, &req->err);
    if (rc == 0) rc = db_commit(db, &req->err);
    if (rc < 0) db_rollback(db);
  }
  if (rc == 0) rc = pay_order_get(db, o.id, &o, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(resp, 200, json_pack("{s:o}", "order", pay_order_json(&o)));
}

static int mock_approve(http_req *req, http_resp *resp) { return mock_decide(req, resp, 1); }
static int mock_decline(http_req *req, http_resp *resp) { return mock_decide(req, resp, 0); }

void api_pay_routes(http_router *r) {
  static const http_route routes[] = {
      {"POST", "/api/pay/wechatpay/notify", notify, 0, HTTP_BODY_RAW | HTTP_NO_CSRF},
      {"GET", "/api/pay/mock/:no", mock_view, ROLE_STUDENT, 0},
      {"POST", "/api/pay/mock/:no/approve", mock_approve, ROLE_STUDENT, 0},
      {"POST", "/api/pay/mock/:no/decline", mock_decline, ROLE_STUDENT, 0},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}
