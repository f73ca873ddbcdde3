/* orders: what students pay and what operators see of it.
 * Student (session ROLE_STUDENT, linked to a roster record):
 *   GET  /api/pay/fees                      the batch's fee list and the provider in use
 *   GET  /api/regions?parent=CODE           administrative divisions for the address picker
 *   POST /api/orders                        {items:[codes], address?:{recipient, mobile, region_code, street}}
 *   GET  /api/orders/current                the open (or paid) order of the student's batch, or null
 *   GET  /api/orders/:id                    one own order (with the address shown back)
 *   POST /api/orders/:id/pay                {channel: jsapi|h5|mock} -> what the browser needs; jsapi pays
 *                                           with the openid the session came through (api/wechat.c)
 *   POST /api/orders/:id/cancel             close an unpaid order
 * Operator (ROLE_OPERATOR):
 *   GET  /api/ops/orders/:id                order with its events
 *   POST /api/ops/orders/:id/refund         {reason}
 *   GET  /api/ops/payments?date=D&format=json|csv|xlsx
 *   GET  /api/ops/reconcile?date=D          mismatches against the provider's bill
 *   GET  /api/ops/pay/notices?outcome=refused   notifications refused or duplicated, newest first */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "audit/audit.h"
#include "identity/batch.h"
#include "identity/student.h"
#include "pay/address.h"
#include "pay/orders.h"
#include "pay/regions.h"
#include "pay/report.h"
#include "util/clock.h"
#include "wechat/wx_identity.h"

/* The signed-in student's linked record; 409 when not linked yet. */
static int current_student(http_req *req, db_t *db, student_record *s) {
  if (student_current(db, api_session(req)->user_id, s, &req->err) < 0) return -1;
  if (s->record_id == 0 || s->status == STUDENT_UNLINKED)
    return err_set(&req->err, 409, "not_linked", "请先完成身份核验（上传采集码并确认学籍信息）");
  return 0;
}

static int load_regions(http_req *req) {
  return regions_load(config_str(api_app(req)->cfg, "regions_file"), &req->err);
}

static int fees(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  student_record s;
  batch b;
  int rc = current_student(req, db, &s);
  if (rc == 0) rc = batch_get(db, s.batch_id, &b, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  json_t *list = json_array();
  for (int i = 0; i < b.n_fees; i++)
    json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:b, s:b}", "code", b.fees[i].code, "name", b.fees[i].name,
                                          "amount_fen", (json_int_t)b.fees[i].amount_fen, "required",
                                          b.fees[i].required, "needs_address", strcmp(b.fees[i].code, "post") == 0));
  return resp_json(resp, 200,
                   json_pack("{s:I, s:o, s:s}", "batch_id", (json_int_t)b.id, "fees", list, "provider",
                             config_str(api_app(req)->cfg, "pay_provider")));
}

static int regions(http_req *req, http_resp *resp) {
  if (load_regions(req) < 0) return -1;
  const char *parent = req_query(req, "parent");
  if (parent && strlen(parent) > 12) return err_set(&req->err, 400, "invalid_region", "行政区划代码无效");
  json_t *list = regions_children(parent);
  if (!list) return err_set(&req->err, 404, "region_not_found", "行政区划代码不存在");
  return resp_json(resp, 200, json_pack("{s:o}", "regions", list));
}

static json_t *order_view(http_req *req, db_t *db, const pay_order *o) {
  json_t *j = pay_order_json(o);
  if (o->address_id) {
    err_t e = {0};
    json_t *a = pay_address_json(db, o->address_id, o->account_id, &e);
    if (a) json_object_set_new(j, "address", a);
  }
  (void)req;
  return j;
}

static int own_order(http_req *req, db_t *db, pay_order *o) {
  int64_t id = api_id_param(req, "id");
  if (id <= 0) return err_set(&req->err, 404, "order_not_found", "订单不存在");
  if (pay_order_get(db, id, o, &req->err) < 0) return -1;
  if (api_session(req)->role == ROLE_STUDENT && o->account_id != api_session(req)->user_id)
    return err_set(&req->err, 404, "order_not_found", "订单不存在");
  return 0;
}

static int create(http_req *req, http_resp *resp) {
  json_t *items = json_object_get(req->json, "items");
  if (items && !json_is_array(items)) return err_set(&req->err, 400, "invalid_field", "items 应为数组");
  size_t n = json_array_size(items);
  if (n > 8) return err_set(&req->err, 400, "invalid_field", "所选服务过多");
  const char *codes[8];
  for (size_t i = 0; i < n; i++) {
    codes[i] = json_string_value(json_array_get(items, i));
    if (!codes[i] || strlen(codes[i]) > 31) return err_set(&req->err, 400, "invalid_field", "服务代码无效");
  }
  json_t *addr = json_object_get(req->json, "address");
  if (addr && !json_is_object(addr) && !json_is_null(addr))
    return err_set(&req->err, 400, "invalid_field", "address 应为对象");
  if (json_is_object(addr) && load_regions(req) < 0) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  student_record s;
  pay_order o;
  int rc = current_student(req, db, &s);
  if (rc == 0 && s.status == STUDENT_APPROVED)
    rc = err_set(&req->err, 409, "already_approved", "照片已审核通过，无需再支付");
  int64_t address_id = 0;
  if (rc == 0 && json_is_object(addr)) {
    pay_address_in a = {
        json_string_value(json_object_get(addr, "recipient")), json_string_value(json_object_get(addr, "mobile")),
        json_string_value(json_object_get(addr, "region_code")), json_string_value(json_object_get(addr, "street"))};
    address_id = pay_address_save(db, api_session(req)->user_id, &a, &req->err);
    if (address_id < 0) rc = -1;
  }
  if (rc == 0) {
    pay_new_order no = {.account_id = api_session(req)->user_id,
                        .record_id = s.record_id,
                        .batch_id = s.batch_id,
                        .items = codes,
                        .n_items = (int)n,
                        .address_id = address_id,
                        .provider = config_str(api_app(req)->cfg, "pay_provider"),
                        .ttl_ms = config_int(api_app(req)->cfg, "pay_order_ttl") * 1000};
    rc = pay_order_create(db, &no, &o, &req->err);
  }
  json_t *view = rc == 0 ? order_view(req, db, &o) : NULL;
  if (rc == 0) {
    json_t *d = json_pack("{s:I}", "amount_fen", (json_int_t)o.amount_fen);
    err_t ae = {0};
    api_audit_log(db, req, "order.create", "pay_order", o.id, d, &ae);
    json_decref(d);
  }
  api_db_put(req, db);
  if (rc < 0) return -1;
  if (api_app(req)->jobs) jobs_pool_kick(api_app(req)->jobs);
  return resp_json(resp, 201, json_pack("{s:o}", "order", view));
}

static int current(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  student_record s;
  pay_order o;
  int rc = current_student(req, db, &s);
  int found = rc == 0 ? pay_order_open_for(db, s.record_id, s.batch_id, &o, &req->err) : -1;
  json_t *view = found == 1 ? order_view(req, db, &o) : json_null();
  api_db_put(req, db);
  if (found < 0) return -1;
  return resp_json(resp, 200, json_pack("{s:o}", "order", view));
}

static int get_one(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  pay_order o;
  int rc = own_order(req, db, &o);
  json_t *view = rc == 0 ? order_view(req, db, &o) : NULL;
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(resp, 200, json_pack("{s:o}", "order", view));
}

static int pay(http_req *req, http_resp *resp) {
  const char *channel = json_field_str(req, "channel", 1, 16);
  if (err_is_set(&req->err)) return -1;
  /* The payer of a JSAPI order is whoever WeChat said signed in (the session's openid). An openid
   * from the page would let anyone pay as, or charge, another WeChat user: refused, not ignored,
   * so a client that still sends one learns it at once. */
  if (json_object_get(req->json, "openid"))
    return err_set(&req->err, 400, "openid_not_accepted", "支付身份由微信授权确定，请勿在请求中提供 openid");
  char openid[WX_OPENID_MAX] = "";
  if (strcmp(channel, "jsapi") && strcmp(channel, "h5") && strcmp(channel, "mock"))
    return err_set(&req->err, 400, "invalid_channel", "支付方式应为 jsapi、h5 或 mock");
  pay_provider *p = pay_provider_get(&api_app(req)->pay, &req->err);
  if (!p) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  pay_order o;
  int rc = own_order(req, db, &o);
  if (rc == 0 && strcmp(o.state, "created") != 0)
    rc = strcmp(o.state, "closed") == 0 ? err_set(&req->err, 409, "order_closed", "订单已关闭，请重新下单")
                                        : err_set(&req->err, 409, "order_not_payable", "订单已缴费或已退款");
  if (rc == 0 && clock_now_ms() >= o.expires_at)
    rc = err_set(&req->err, 409, "order_expired", "订单已超时，请重新下单");
  if (rc == 0 && o.channel[0] && strcmp(o.channel, channel) != 0)
    rc = err_set(&req->err, 409, "channel_fixed", "本订单已选择其他支付方式");
  if (rc == 0 && strcmp(channel, "jsapi") == 0 && strcmp(p->name, "mock") != 0) {
    int found = wx_session_openid(db, api_session(req)->id, config_str(api_app(req)->cfg, "wechatpay_appid"), openid,
                                  &req->err);
    if (found == 0)
      rc = err_set(&req->err, 409, "wechat_auth_required", "请在微信中打开本页面，完成微信授权后再支付");
    else if (found < 0)
      rc = -1;
  }
  api_db_put(req, db);
  if (rc < 0) return -1;
  if ((strcmp(p->name, "mock") == 0) != (strcmp(channel, "mock") == 0))
    return err_set(&req->err, 400, "invalid_channel", "当前不支持该支付方式");
  json_t *client = NULL;
  pay_create_req cr = {.out_trade_no = o.out_trade_no,
                       .description = "毕业生图像采集服务",
                       .total_fen = o.amount_fen,
                       .expire_ms = o.expires_at,
                       .channel = channel,
                       .openid = openid[0] ? openid : NULL,
                       .client_ip = req->client_ip};
  if (p->create(p, &cr, &client, &req->err) < 0) return -1;
  /* Only a channel the provider accepted is fixed on the order (the close job asks the provider
   * about orders that have one). */
  db = api_db(req);
  if (!db) {
    json_decref(client);
    return -1;
  }
  rc = pay_order_set_channel(db, &o, channel, &req->err);
  api_db_put(req, db);
  if (rc < 0) {
    json_decref(client);
    return -1;
  }
  return resp_json(resp, 200,
                   json_pack("{s:s, s:I, s:o}", "out_trade_no", o.out_trade_no, "amount_fen", (json_int_t)o.amount_fen,
                             "pay", client));
}

static int cancel(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  pay_order o;
  int rc = own_order(req, db, &o);
  if (rc == 0 && strcmp(o.state, "created") != 0)
    rc = err_set(&req->err, 409, "order_not_open", "只能取消未支付的订单");
  if (rc == 0)
    rc = pay_order_close(&api_app(req)->pay, db, o.id, (pay_actor){ROLE_STUDENT, api_session(req)->user_id},
                         "student cancelled", &req->err);
  if (rc == 0) rc = pay_order_get(db, o.id, &o, &req->err);
  json_t *view = rc == 0 ? order_view(req, db, &o) : NULL;
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(resp, 200, json_pack("{s:o}", "order", view));
}

/* ---- operator ---------------------------------------------------------------------------- */

static int ops_get(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  pay_order o;
  int rc = own_order(req, db, &o);
  json_t *view = NULL, *events = NULL;
  if (rc == 0) {
    view = pay_order_json(&o);
    events = pay_order_events_json(db, o.id, &req->err);
    if (!events)
      rc = -1;
    else
      json_object_set_new(view, "events", events);
    err_t ae = {0};
    if (rc == 0) api_audit_log(db, req, "order.view", "pay_order", o.id, NULL, &ae);
  }
  api_db_put(req, db);
  if (rc < 0) {
    json_decref(view);
    return -1;
  }
  return resp_json(resp, 200, json_pack("{s:o}", "order", view));
}

static int ops_refund(http_req *req, http_resp *resp) {
  const char *reason = json_field_str(req, "reason", 1, 200);
  if (err_is_set(&req->err)) return -1;
  if (!*reason) return err_set(&req->err, 400, "reason_required", "退款必须写明原因");
  db_t *db = api_db(req);
  if (!db) return -1;
  pay_order o;
  int rc = own_order(req, db, &o);
  if (rc == 0)
    rc = pay_order_request_refund(db, o.id, (pay_actor){ROLE_OPERATOR, api_session(req)->user_id}, reason, &req->err);
  if (rc == 0) {
    json_t *d = json_pack("{s:s}", "reason", reason);
    err_t ae = {0};
    api_audit_log(db, req, "order.refund", "pay_order", o.id, d, &ae);
    json_decref(d);
    rc = pay_order_get(db, o.id, &o, &req->err);
  }
  api_db_put(req, db);
  if (rc < 0) return -1;
  if (api_app(req)->jobs) jobs_pool_kick(api_app(req)->jobs);
  return resp_json(resp, 202, json_pack("{s:o}", "order", pay_order_json(&o)));
}

static int ops_payments(http_req *req, http_resp *resp) {
  const char *date = req_query(req, "date");
  const char *format = req_query(req, "format");
  if (!format) format = "json";
  if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "xlsx"))
    return err_set(&req->err, 400, "invalid_format", "format 应为 json、csv 或 xlsx");
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *rows = pay_payments(db, date ? date : "", &req->err);
  if (rows) {
    json_t *d = json_pack("{s:s, s:s}", "date", date, "format", format);
    err_t ae = {0};
    api_audit_log(db, req, "payments.export", "pay_day", 0, d, &ae);
    json_decref(d);
  }
  api_db_put(req, db);
  if (!rows) return -1;
  char name[128];
  snprintf(name, sizeof name, "attachment; filename=\"payments-%.10s.%s\"", date, format);
  if (strcmp(format, "json") == 0) return resp_json(resp, 200, json_pack("{s:s, s:o}", "date", date, "payments", rows));
  size_t len = 0;
  char *data = strcmp(format, "csv") == 0 ? pay_payments_csv(rows, &len)
                                          : pay_payments_xlsx(rows, api_app(req)->data_dir, &len, &req->err);
  json_decref(rows);
  if (!data) return -1;
  resp_header(resp, "Content-Disposition", name);
  int rc = resp_bytes(resp, 200,
                      strcmp(format, "csv") == 0 ? "text/csv; charset=utf-8"
                                                 : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      data, len);
  free(data);
  return rc;
}

static int ops_reconcile(http_req *req, http_resp *resp) {
  const char *date = req_query(req, "date");
  pay_provider *p = pay_provider_get(&api_app(req)->pay, &req->err);
  if (!p) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *out = pay_reconcile(db, p, date ? date : "", &req->err);
  if (out) {
    json_t *d = json_pack("{s:s, s:I}", "date", date, "mismatches",
                          (json_int_t)json_array_size(json_object_get(out, "mismatches")));
    err_t ae = {0};
    api_audit_log(db, req, "payments.reconcile", "pay_day", 0, d, &ae);
    json_decref(d);
  }
  api_db_put(req, db);
  if (!out) return -1;
  return resp_json(resp, 200, out);
}

static int ops_notices(http_req *req, http_resp *resp) {
  const char *outcome = req_query(req, "outcome");
  if (outcome && strcmp(outcome, "refused") && strcmp(outcome, "duplicate") && strcmp(outcome, "applied"))
    return err_set(&req->err, 400, "invalid_outcome", "outcome 应为 refused、duplicate 或 applied");
  db_t *db = api_db(req);
  if (!db) return -1;
  db_res *r = db_query(
      db, &req->err,
      "SELECT id, received_at, provider, COALESCE(event_id, '') AS event_id, COALESCE(out_trade_no, '') AS out_trade_no, "
      "COALESCE(order_id, 0) AS order_id, outcome, reason FROM pay_notices WHERE ($1 = '' OR outcome = $1) "
      "ORDER BY id DESC LIMIT 500",
      DB_TEXT(outcome ? outcome : ""));
  api_db_put(req, db);
  if (!r) return -1;
  json_t *list = json_array();
  for (int i = 0; i < db_res_rows(r); i++)
    json_array_append_new(
        list, json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:s, s:s}", "id", (json_int_t)db_res_int_at(r, i, "id"),
                        "received_at", (json_int_t)db_res_int_at(r, i, "received_at"), "provider",
                        db_res_text_at(r, i, "provider"), "event_id", db_res_text_at(r, i, "event_id"), "out_trade_no",
                        db_res_text_at(r, i, "out_trade_no"), "order_id", (json_int_t)db_res_int_at(r, i, "order_id"),
                        "outcome", db_res_text_at(r, i, "outcome"), "reason", db_res_text_at(r, i, "reason")));
  db_res_free(r);
  return resp_json(resp, 200, json_pack("{s:o}", "notices", list));
}

void api_orders_routes(http_router *r) {
  static const http_route routes[] = {
      {"GET", "/api/pay/fees", fees, ROLE_STUDENT, 0},
      {"GET", "/api/regions", regions, ROLE_ANY_USER, 0},
      {"POST", "/api/orders", create, ROLE_STUDENT, HTTP_BODY_JSON},
      {"GET", "/api/orders/current", current, ROLE_STUDENT, 0},
      {"GET", "/api/orders/:id", get_one, ROLE_STUDENT, 0},
      {"POST", "/api/orders/:id/pay", pay, ROLE_STUDENT, HTTP_BODY_JSON},
      {"POST", "/api/orders/:id/cancel", cancel, ROLE_STUDENT, 0},
      {"GET", "/api/ops/orders/:id", ops_get, ROLE_OPERATOR, 0},
      {"POST", "/api/ops/orders/:id/refund", ops_refund, ROLE_OPERATOR, HTTP_BODY_JSON},
      {"GET", "/api/ops/payments", ops_payments, ROLE_OPERATOR, 0},
      {"GET", "/api/ops/reconcile", ops_reconcile, ROLE_OPERATOR, 0},
      {"GET", "/api/ops/pay/notices", ops_notices, ROLE_OPERATOR, 0},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}
