/* provider: the one interface every payment provider implements, and the process's provider.
 *
 * Two providers exist: `wechatpay` (WeChat Pay API v3 over HTTPS, src/pay/wechatpay.c) and `mock`
 * (src/pay/mock.c, for demos: its "server side" is a table in our own store and a page where the
 * payer approves or declines). The order logic (src/pay/orders.c) only talks to this interface, so
 * both travel the same path: create -> (payer pays) -> notice -> orders apply it exactly once.
 *
 * A provider answers in its own words normalised to these structs: trade states keep WeChat's
 * names (SUCCESS, NOTPAY, CLOSED, REFUND, PAYERROR, USERPAYING, REVOKED) because they are precise.
 *
 * verify_notice is the gate for everything that arrives from outside: it checks the timestamp
 * window, the signature and the merchant, decrypts the resource, and only then fills a pay_notice.
 * Replay (nonce) bookkeeping is the caller's, because it must share the transaction that applies
 * the notice (src/pay/notify.c).
 *
 * Ownership: pay_provider_get() returns the process-wide provider, built once from the config on
 * first use and freed by pay_provider_shutdown(). Its functions are thread-safe. */
#ifndef TUCAI_PAY_PROVIDER_H
#define TUCAI_PAY_PROVIDER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

struct config;

/* What the pay room uses of its process, wired by src/app.c: the settings the provider is built
 * from (pay_provider, wxpay_*) and the store the mock provider keeps its payments in. */
typedef struct pay_env {
  const struct config *cfg;
  store_t *store;
} pay_env;

typedef struct pay_txn {
  char out_trade_no[64];
  char transaction_id[64];
  char trade_state[24];
  int64_t total_fen;
  char currency[8];
  char mchid[40];
  char appid[40];
} pay_txn;

typedef struct pay_refund {
  char out_trade_no[64];
  char out_refund_no[64];
  char refund_id[64];
  char status[24]; /* SUCCESS, PROCESSING, ABNORMAL, CLOSED */
  int64_t refund_fen;
  int64_t total_fen;
  char mchid[40];
} pay_refund;

enum pay_notice_kind { PAY_NOTICE_PAYMENT = 1, PAY_NOTICE_REFUND = 2 };

typedef struct pay_notice {
  int kind;
  char event_id[64];
  pay_txn txn;       /* PAY_NOTICE_PAYMENT */
  pay_refund refund; /* PAY_NOTICE_REFUND */
} pay_notice;

/* A notification as it arrived over HTTP (headers are NULL when absent). */
typedef struct pay_inbound {
  const char *timestamp, *nonce, *signature, *serial;
  const char *body;
  size_t body_len;
  int64_t now_ms;
} pay_inbound;

typedef struct pay_create_req {
  const char *out_trade_no;
  const char *description;
  int64_t total_fen;
  int64_t expire_ms;   /* the provider refuses payment after this */
  const char *channel; /* "jsapi" (needs openid) | "h5" (needs client_ip) | "mock" */
  const char *openid;
  const char *client_ip;
} pay_create_req;

/* One line of the provider's daily bill. */
typedef struct pay_bill_row {
  char out_trade_no[64];
  char transaction_id[64];
  char state[24]; /* SUCCESS, REFUND, ... as the bill says */
  int64_t total_fen;
  int64_t refund_fen;
} pay_bill_row;

typedef struct pay_provider pay_provider;
struct pay_provider {
  const char *name; /* "wechatpay" | "mock" */
  /* Places an order; *client gets what the browser needs to pay (no secrets in it). */
  int (*create)(pay_provider *p, const pay_create_req *req, json_t **client, err_t *err);
  /* 404 "provider_order_not_found" when the provider does not know the order. */
  int (*query)(pay_provider *p, const char *out_trade_no, pay_txn *out, err_t *err);
  int (*close)(pay_provider *p, const char *out_trade_no, err_t *err);
  int (*refund)(pay_provider *p, const char *out_trade_no, const char *out_refund_no, int64_t refund_fen,
                int64_t total_fen, const char *reason, pay_refund *out, err_t *err);
  /* Checks and decrypts a notification. 401 codes for anything that fails verification,
   * 400 for malformed input. */
  int (*verify_notice)(pay_provider *p, const pay_inbound *in, pay_notice *out, err_t *err);
  /* The bill of one day ("YYYY-MM-DD", Asia/Shanghai); *rows malloc'd (free()). */
  int (*bill)(pay_provider *p, const char *date, pay_bill_row **rows, int *n, err_t *err);
  void (*destroy)(pay_provider *p);
  void *ctx;
};

/* The process's provider per the `pay_provider` setting; NULL with err when misconfigured. */
pay_provider *pay_provider_get(const pay_env *env, err_t *err);
void pay_provider_shutdown(void);

/* Constructors (used by pay_provider_get and by tests). */
pay_provider *pay_wechatpay_new(const struct config *cfg, err_t *err);
pay_provider *pay_mock_new(store_t *store, err_t *err);

/* Parses a decrypted WeChat transaction / refund JSON into the structs (400 on bad shape). */
int pay_parse_txn(const char *json, size_t len, pay_txn *out, err_t *err);
int pay_parse_refund(const char *json, size_t len, pay_refund *out, err_t *err);

#endif
