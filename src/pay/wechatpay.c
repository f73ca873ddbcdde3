/* wechatpay: the WeChat Pay API v3 provider (JSAPI and H5 orders, query, close, refund, notices,
 * trade bill). Keys come from the files the config names; they stay in this struct's memory. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "pay/provider.h"
#include "pay/wxp_http.h"
#include "pay/wxp_sign.h"
#include "util/log.h"
#include "util/xmalloc.h"

typedef struct wxp_ctx {
  wxp_http http;
  char base_url[512], mchid[40], appid[64], serial[96], platform_serial[96], notify_url[512];
  uint8_t apiv3_key[WXP_APIV3_KEY_BYTES];
  int64_t window_ms;
} wxp_ctx;

static void destroy(pay_provider *p) {
  if (!p) return;
  wxp_ctx *c = p->ctx;
  if (c) {
    EVP_PKEY_free(c->http.merchant_key);
    EVP_PKEY_free(c->http.platform_key);
    memset(c->apiv3_key, 0, sizeof c->apiv3_key);
    free(c);
  }
  free(p);
}

static void iso_time(int64_t ms, char out[40]) {
  time_t t = (time_t)(ms / 1000) + 8 * 3600; /* Asia/Shanghai, no DST */
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 40, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

/* The provider's error body is {"code":"...","message":"..."}; keep its code, never echo
 * the message to a student unfiltered. */
static int provider_failure(const wxp_resp *r, const char *what, err_t *err) {
  json_t *j = json_loadb(r->body, r->len, 0, NULL);
  const char *code = j ? json_string_value(json_object_get(j, "code")) : NULL;
  char st[16];
  snprintf(st, sizeof st, "%ld", r->status);
  log_warn("pay_provider_refused", "call", what, "status", st, "code", code ? code : "", NULL);
  if (code && strcmp(code, "RESOURCE_NOT_EXISTS") == 0) {
    json_decref(j);
    return err_set(err, 404, "provider_order_not_found", "支付平台没有这笔订单");
  }
  if (code && strcmp(code, "ORDER_NOT_EXIST") == 0) {
    json_decref(j);
    return err_set(err, 404, "provider_order_not_found", "支付平台没有这笔订单");
  }
  err_set(err, 502, "provider_refused", "支付平台拒绝了请求（%s）", code ? code : st);
  json_decref(j);
  return -1;
}

static int wx_create(pay_provider *p, const pay_create_req *req, json_t **client, err_t *err) {
  wxp_ctx *c = p->ctx;
  int jsapi = strcmp(req->channel, "jsapi") == 0;
  int h5 = strcmp(req->channel, "h5") == 0;
  if (!jsapi && !h5) return err_set(err, 400, "invalid_channel", "不支持的支付方式");
  if (jsapi && (!req->openid || !*req->openid)) return err_set(err, 400, "openid_required", "微信内支付需要 openid");
  char expire[40];
  iso_time(req->expire_ms, expire);
  json_t *body =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:I, s:s}}", "appid", c->appid, "mchid", c->mchid, "description",
                req->description, "out_trade_no", req->out_trade_no, "time_expire", expire, "notify_url", c->notify_url,
                "amount", "total", (json_int_t)req->total_fen, "currency", "CNY");
  if (jsapi)
    json_object_set_new(body, "payer", json_pack("{s:s}", "openid", req->openid));
  else
    json_object_set_new(
        body, "scene_info",
        json_pack("{s:s, s:{s:s}}", "payer_client_ip", req->client_ip && *req->client_ip ? req->client_ip : "127.0.0.1",
                  "h5_info", "type", "Wap"));
  char *s = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  wxp_resp r;
  int rc =
      wxp_http_call(&c->http, "POST", jsapi ? "/v3/pay/transactions/jsapi" : "/v3/pay/transactions/h5", s, 1, &r, err);
  free(s);
  if (rc < 0) return -1;
  if (r.status != 200) {
    provider_failure(&r, "create", err);
    wxp_resp_free(&r);
    return -1;
  }
  json_t *j = json_loadb(r.body, r.len, 0, NULL);
  wxp_resp_free(&r);
  const char *prepay = j ? json_string_value(json_object_get(j, "prepay_id")) : NULL;
  const char *h5url = j ? json_string_value(json_object_get(j, "h5_url")) : NULL;
  if (jsapi && prepay) {
    /* What WeixinJSBridge.invoke('getBrandWCPayRequest', ...) needs, signed with our key. */
    char ts[24], nonce[33], pkg[128];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    wxp_random_nonce(nonce, 32);
    snprintf(pkg, sizeof pkg, "prepay_id=%s", prepay);
    const char *parts[] = {c->appid, ts, nonce, pkg};
    size_t len = 0;
    for (int i = 0; i < 4; i++) len += strlen(parts[i]) + 1;
    char *msg = xmalloc(len + 1), *q = msg;
    for (int i = 0; i < 4; i++) q += sprintf(q, "%s\n", parts[i]);
    char *sig = wxp_rsa_sign_b64(c->http.merchant_key, msg, len);
    free(msg);
    if (sig)
      *client = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kind", "jsapi", "appId", c->appid, "timeStamp", ts,
                          "nonceStr", nonce, "package", pkg, "signType", "RSA", "paySign", sig);
    free(sig);
  } else if (h5 && h5url) {
    *client = json_pack("{s:s, s:s}", "kind", "h5", "h5_url", h5url);
  }
  json_decref(j);
  if (!*client) return err_set(err, 502, "provider_bad_answer", "支付平台的应答无法识别");
  return 0;
}

/* A required field must be a non-empty string: an order number or state of "" is no answer. */
static int copy_str(json_t *o, const char *key, char *dst, size_t cap, int required) {
  const char *s = json_string_value(json_object_get(o, key));
  if (!s || !*s) {
    dst[0] = '\0';
    return required ? -1 : 0;
  }
  if (strlen(s) >= cap) return -1;
  memcpy(dst, s, strlen(s) + 1);
  return 0;
}

int pay_parse_txn(const char *json, size_t len, pay_txn *out, err_t *err) {
  memset(out, 0, sizeof *out);
  json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL); /* two values for one key: which counts? */
  int bad = !json_is_object(j);
  bad = bad || copy_str(j, "out_trade_no", out->out_trade_no, sizeof out->out_trade_no, 1);
  bad = bad || copy_str(j, "trade_state", out->trade_state, sizeof out->trade_state, 1);
  bad = bad || copy_str(j, "transaction_id", out->transaction_id, sizeof out->transaction_id, 0);
  bad = bad || copy_str(j, "mchid", out->mchid, sizeof out->mchid, 1);
  bad = bad || copy_str(j, "appid", out->appid, sizeof out->appid, 0);
  json_t *amount = json_object_get(j, "amount");
  if (!bad && json_is_object(amount)) {
    json_t *t = json_object_get(amount, "total");
    bad = !json_is_integer(t) || json_integer_value(t) < 0;
    if (!bad) out->total_fen = json_integer_value(t);
    bad = bad || copy_str(amount, "currency", out->currency, sizeof out->currency, 0);
  } else if (!bad && strcmp(out->trade_state, "NOTPAY") != 0 && strcmp(out->trade_state, "CLOSED") != 0) {
    bad = 1;
  }
  json_decref(j);
  return bad ? err_set(err, 400, "bad_transaction", "transaction resource has a wrong shape") : 0;
}

int pay_parse_refund(const char *json, size_t len, pay_refund *out, err_t *err) {
  memset(out, 0, sizeof *out);
  json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL); /* two values for one key: which counts? */
  int bad = !json_is_object(j);
  bad = bad || copy_str(j, "out_trade_no", out->out_trade_no, sizeof out->out_trade_no, 1);
  bad = bad || copy_str(j, "out_refund_no", out->out_refund_no, sizeof out->out_refund_no, 1);
  bad = bad || copy_str(j, "refund_id", out->refund_id, sizeof out->refund_id, 0);
  bad = bad || copy_str(j, "mchid", out->mchid, sizeof out->mchid, 0);
  if (!bad) { /* refund_status in notifications, status in refund answers; too long is malformed */
    if (copy_str(j, "refund_status", out->status, sizeof out->status, 0) < 0)
      bad = 1;
    else if (!out->status[0])
      bad = copy_str(j, "status", out->status, sizeof out->status, 1);
  }
  json_t *amount = json_object_get(j, "amount");
  if (!bad && json_is_object(amount)) {
    json_t *r = json_object_get(amount, "refund"), *t = json_object_get(amount, "total");
    bad = !json_is_integer(r) || !json_is_integer(t);
    if (!bad) {
      out->refund_fen = json_integer_value(r);
      out->total_fen = json_integer_value(t);
    }
  } else {
    bad = 1;
  }
  json_decref(j);
  return bad ? err_set(err, 400, "bad_refund", "refund resource has a wrong shape") : 0;
}

static int valid_order_no(const char *s) {
  size_t n = strlen(s);
  if (n < 6 || n > 32) return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-') return 0;
  return 1;
}

static int wx_query(pay_provider *p, const char *out_trade_no, pay_txn *out, err_t *err) {
  wxp_ctx *c = p->ctx;
  if (!valid_order_no(out_trade_no)) return err_set(err, 400, "invalid_order_no", "订单号无效");
  char url[256];
  snprintf(url, sizeof url, "/v3/pay/transactions/out-trade-no/%s?mchid=%s", out_trade_no, c->mchid);
  wxp_resp r;
  if (wxp_http_call(&c->http, "GET", url, NULL, 1, &r, err) < 0) return -1;
  int rc = r.status == 200 ? pay_parse_txn(r.body, r.len, out, err) : provider_failure(&r, "query", err);
  wxp_resp_free(&r);
  if (rc == 0 && strcmp(out->mchid, c->mchid) != 0)
    return err_set(err, 502, "provider_wrong_merchant", "支付平台的应答属于另一个商户");
  return rc;
}

static int wx_close(pay_provider *p, const char *out_trade_no, err_t *err) {
  wxp_ctx *c = p->ctx;
  if (!valid_order_no(out_trade_no)) return err_set(err, 400, "invalid_order_no", "订单号无效");
  char url[256], body[128];
  snprintf(url, sizeof url, "/v3/pay/transactions/out-trade-no/%s/close", out_trade_no);
  snprintf(body, sizeof body, "{\"mchid\":\"%s\"}", c->mchid);
  wxp_resp r;
  if (wxp_http_call(&c->http, "POST", url, body, 1, &r, err) < 0) return -1;
  int rc = (r.status == 204 || r.status == 200) ? 0 : provider_failure(&r, "close", err);
  wxp_resp_free(&r);
  return rc;
}

static int wx_refund(pay_provider *p, const char *out_trade_no, const char *out_refund_no, int64_t refund_fen,
                     int64_t total_fen, const char *reason, pay_refund *out, err_t *err) {
  wxp_ctx *c = p->ctx;
  char notify[600];
  snprintf(notify, sizeof notify, "%s", c->notify_url);
  json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:I, s:s}}", "out_trade_no", out_trade_no, "out_refund_no",
                           out_refund_no, "reason", reason ? reason : "", "notify_url", notify, "amount", "refund",
                           (json_int_t)refund_fen, "total", (json_int_t)total_fen, "currency", "CNY");
  char *s = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  wxp_resp r;
  int rc = wxp_http_call(&c->http, "POST", "/v3/refund/domestic/refunds", s, 1, &r, err);
  free(s);
  if (rc < 0) return -1;
  rc = r.status == 200 ? pay_parse_refund(r.body, r.len, out, err) : provider_failure(&r, "refund", err);
  wxp_resp_free(&r);
  return rc;
}

static int wx_verify_notice(pay_provider *p, const pay_inbound *in, pay_notice *out, err_t *err) {
  wxp_ctx *c = p->ctx;
  memset(out, 0, sizeof *out);
  if (!in->timestamp || !in->nonce || !in->signature || !in->serial)
    return err_set(err, 401, "missing_signature_headers", "Wechatpay-* headers are missing");
  char *end = NULL;
  long long ts = strtoll(in->timestamp, &end, 10);
  if (!*in->timestamp || *end || ts <= 0) return err_set(err, 401, "bad_timestamp", "bad Wechatpay-Timestamp");
  int64_t skew = in->now_ms - (int64_t)ts * 1000;
  if (skew > c->window_ms || skew < -c->window_ms)
    return err_set(err, 401, "stale_timestamp", "Wechatpay-Timestamp is outside the allowed window");
  if (strlen(in->nonce) == 0 || strlen(in->nonce) > 63) return err_set(err, 401, "bad_nonce", "bad Wechatpay-Nonce");
  if (c->platform_serial[0] && strcmp(in->serial, c->platform_serial) != 0)
    return err_set(err, 401, "unknown_serial", "Wechatpay-Serial names a key we do not know");
  size_t mlen = 0;
  char *msg = wxp_response_message(in->timestamp, in->nonce, in->body, in->body_len, &mlen);
  int ok = msg && wxp_rsa_verify_b64(c->http.platform_key, msg, mlen, in->signature);
  free(msg);
  if (!ok) return err_set(err, 401, "bad_signature", "Wechatpay-Signature does not verify");

  json_t *j = json_loadb(in->body, in->body_len, 0, NULL);
  json_t *res = json_object_get(j, "resource");
  const char *event = json_string_value(json_object_get(j, "event_type"));
  const char *id = json_string_value(json_object_get(j, "id"));
  const char *alg = json_string_value(json_object_get(res, "algorithm"));
  const char *ct = json_string_value(json_object_get(res, "ciphertext"));
  const char *nonce = json_string_value(json_object_get(res, "nonce"));
  const char *aad = json_string_value(json_object_get(res, "associated_data"));
  if (!event || !id || !alg || !ct || !nonce || strcmp(alg, "AEAD_AES_256_GCM") != 0 || strlen(id) >= 64) {
    json_decref(j);
    return err_set(err, 400, "malformed_notice", "notification body has a wrong shape");
  }
  snprintf(out->event_id, sizeof out->event_id, "%s", id);
  int kind = strncmp(event, "TRANSACTION.", 12) == 0 ? PAY_NOTICE_PAYMENT
             : strncmp(event, "REFUND.", 7) == 0     ? PAY_NOTICE_REFUND
                                                     : 0;
  size_t plen = 0;
  char *plain = kind ? wxp_aes_gcm_decrypt(c->apiv3_key, nonce, aad ? aad : "", ct, &plen) : NULL;
  json_decref(j);
  if (!kind) return err_set(err, 400, "unknown_event", "unknown notification event type");
  if (!plain) return err_set(err, 401, "decrypt_failed", "resource does not decrypt with the APIv3 key");
  out->kind = kind;
  int rc = kind == PAY_NOTICE_PAYMENT ? pay_parse_txn(plain, plen, &out->txn, err)
                                      : pay_parse_refund(plain, plen, &out->refund, err);
  OPENSSL_cleanse(plain, plen);
  free(plain);
  if (rc < 0) return -1;
  const char *mch = kind == PAY_NOTICE_PAYMENT ? out->txn.mchid : out->refund.mchid;
  if (strcmp(mch, c->mchid) != 0) return err_set(err, 400, "wrong_merchant", "notification is for another merchant");
  if (kind == PAY_NOTICE_PAYMENT && out->txn.appid[0] && strcmp(out->txn.appid, c->appid) != 0)
    return err_set(err, 400, "wrong_appid", "notification is for another app");
  return 0;
}

/* Amount "30.00" or "`30.00" -> 3000 fen; -1 when malformed. */
static int64_t yuan_to_fen(const char *s) {
  while (*s == '`' || *s == ' ') s++;
  int64_t whole = 0, frac = 0;
  int digits = 0, fd = 0;
  for (; *s >= '0' && *s <= '9'; s++, digits++) whole = whole * 10 + (*s - '0');
  if (*s == '.') {
    for (s++; *s >= '0' && *s <= '9' && fd < 2; s++, fd++) frac = frac * 10 + (*s - '0');
  }
  if (!digits) return -1;
  if (fd == 1) frac *= 10;
  return whole * 100 + frac;
}

/* The trade bill CSV: a header line, rows whose fields start with '`', then summary lines.
 * Columns are found by their Chinese names so that added columns do not break us. */
static int parse_bill(char *csv, pay_bill_row **rows, int *n, err_t *err) {
  int col_out = -1, col_txn = -1, col_state = -1, col_total = -1, col_refund = -1;
  int cap = 16, count = 0;
  pay_bill_row *v = xcalloc((size_t)cap, sizeof *v);
  char *save = NULL;
  int header = 1;
  for (char *line = strtok_r(csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    size_t l = strlen(line);
    if (l && line[l - 1] == '\r') line[--l] = '\0';
    char *fields[40];
    int nf = 0;
    char *fs = NULL;
    for (char *f = strtok_r(line, ",", &fs); f && nf < 40; f = strtok_r(NULL, ",", &fs)) fields[nf++] = f;
    if (header) {
      for (int i = 0; i < nf; i++) {
        if (strcmp(fields[i], "商户订单号") == 0)
          col_out = i;
        else if (strcmp(fields[i], "微信订单号") == 0)
          col_txn = i;
        else if (strcmp(fields[i], "交易状态") == 0)
          col_state = i;
        else if (strcmp(fields[i], "订单金额") == 0)
          col_total = i;
        else if (strcmp(fields[i], "退款金额") == 0)
          col_refund = i;
      }
      if (col_out < 0 || col_state < 0 || col_total < 0) {
        free(v);
        return err_set(err, 502, "bad_bill", "provider bill lacks required columns");
      }
      header = 0;
      continue;
    }
    if (nf <= col_out || nf <= col_state || nf <= col_total || fields[0][0] != '`') continue; /* summary */
    if (count == cap) {
      v = xreallocarray(v, (size_t)cap * 2, sizeof *v);
      cap *= 2;
    }
    pay_bill_row *r = &v[count];
    memset(r, 0, sizeof *r);
    snprintf(r->out_trade_no, sizeof r->out_trade_no, "%s", fields[col_out] + (fields[col_out][0] == '`'));
    if (col_txn >= 0 && nf > col_txn)
      snprintf(r->transaction_id, sizeof r->transaction_id, "%s", fields[col_txn] + (fields[col_txn][0] == '`'));
    snprintf(r->state, sizeof r->state, "%s", fields[col_state] + (fields[col_state][0] == '`'));
    r->total_fen = yuan_to_fen(fields[col_total]);
    r->refund_fen = col_refund >= 0 && nf > col_refund ? yuan_to_fen(fields[col_refund]) : 0;
    if (r->refund_fen < 0) r->refund_fen = 0;
    if (r->total_fen < 0) continue;
    count++;
  }
  *rows = v;
  *n = count;
  return 0;
}

static int wx_bill(pay_provider *p, const char *date, pay_bill_row **rows, int *n, err_t *err) {
  wxp_ctx *c = p->ctx;
  char url[128];
  snprintf(url, sizeof url, "/v3/bill/tradebill?bill_date=%.10s&bill_type=ALL", date);
  wxp_resp r;
  if (wxp_http_call(&c->http, "GET", url, NULL, 1, &r, err) < 0) return -1;
  if (r.status != 200) {
    provider_failure(&r, "tradebill", err);
    wxp_resp_free(&r);
    return -1;
  }
  json_t *j = json_loadb(r.body, r.len, 0, NULL);
  wxp_resp_free(&r);
  const char *dl = json_string_value(json_object_get(j, "download_url"));
  const char *hash_type = json_string_value(json_object_get(j, "hash_type"));
  const char *hash = json_string_value(json_object_get(j, "hash_value"));
  if (!dl || !hash || !hash_type || strcmp(hash_type, "SHA1") != 0) {
    json_decref(j);
    return err_set(err, 502, "bad_bill", "provider bill answer has a wrong shape");
  }
  wxp_resp f;
  int rc = wxp_http_call(&c->http, "GET", dl, NULL, 0, &f, err);
  if (rc == 0 && f.status == 200) {
    char got[41];
    wxp_sha1_hex(f.body, f.len, got);
    rc = strcasecmp(got, hash) == 0 ? parse_bill(f.body, rows, n, err)
                                    : err_set(err, 502, "bad_bill_hash", "provider bill does not match its hash");
  } else if (rc == 0) {
    rc = provider_failure(&f, "billdownload", err);
  }
  wxp_resp_free(&f);
  json_decref(j);
  return rc;
}

pay_provider *pay_wechatpay_new(const struct config *cfg, err_t *err) {
  pay_provider *p = xcalloc(1, sizeof *p);
  wxp_ctx *c = xcalloc(1, sizeof *c);
  p->ctx = c;
  p->name = "wechatpay";
  p->create = wx_create;
  p->query = wx_query;
  p->close = wx_close;
  p->refund = wx_refund;
  p->verify_notice = wx_verify_notice;
  p->bill = wx_bill;
  p->destroy = destroy;
  snprintf(c->base_url, sizeof c->base_url, "%s", config_str(cfg, "wechatpay_base_url"));
  size_t bl = strlen(c->base_url);
  while (bl && c->base_url[bl - 1] == '/') c->base_url[--bl] = '\0';
  snprintf(c->mchid, sizeof c->mchid, "%s", config_str(cfg, "wechatpay_mchid"));
  snprintf(c->appid, sizeof c->appid, "%s", config_str(cfg, "wechatpay_appid"));
  snprintf(c->serial, sizeof c->serial, "%s", config_str(cfg, "wechatpay_serial"));
  snprintf(c->platform_serial, sizeof c->platform_serial, "%s", config_str(cfg, "wechatpay_platform_serial"));
  snprintf(c->notify_url, sizeof c->notify_url, "%s", config_str(cfg, "pay_notify_url"));
  c->window_ms = config_int(cfg, "pay_notify_window_s") * 1000;
  if (c->window_ms <= 0) c->window_ms = 300000;
  if (!c->base_url[0] || !c->mchid[0] || !c->appid[0] || !c->serial[0] || !c->notify_url[0]) {
    err_set(err, 0, "pay_config", "wechatpay needs wechatpay_base_url, _mchid, _appid, _serial and pay_notify_url");
    destroy(p);
    return NULL;
  }
  c->http.base_url = c->base_url;
  c->http.mchid = c->mchid;
  c->http.serial = c->serial;
  c->http.platform_serial = c->platform_serial;
  c->http.retries = 2;
  c->http.timeout_ms = 10000;
  c->http.merchant_key = wxp_load_private_key(config_str(cfg, "wechatpay_key_file"), err);
  if (c->http.merchant_key)
    c->http.platform_key = wxp_load_public_key(config_str(cfg, "wechatpay_platform_cert_file"), err);
  if (!c->http.merchant_key || !c->http.platform_key ||
      wxp_load_apiv3_key(config_str(cfg, "wechatpay_apiv3_key_file"), c->apiv3_key, err) < 0) {
    destroy(p);
    return NULL;
  }
  return p;
}
