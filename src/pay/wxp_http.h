/* wxp_http: signed HTTPS calls to WeChat Pay API v3 through libcurl.
 *
 * Every request is signed (wxp_authorization) with a fresh timestamp and nonce; every 2xx response
 * that carries a body must carry a valid Wechatpay-Signature from the platform key, or the call
 * fails: an unsigned answer could come from anyone between us and the provider. Transport errors
 * and 5xx answers are retried (`retries` times, backoff 200 ms doubling) because every call we
 * make is idempotent at the provider (orders and refunds are keyed by our out_trade_no /
 * out_refund_no). Timeouts: 3 s to connect, 10 s in all, per attempt. */
#ifndef TUCAI_PAY_WXP_HTTP_H
#define TUCAI_PAY_WXP_HTTP_H

#include <openssl/evp.h>
#include <stddef.h>

#include "util/err.h"

typedef struct wxp_http {
  const char *base_url; /* "https://api.mch.weixin.qq.com" (no trailing slash) */
  const char *mchid;
  const char *serial;          /* merchant certificate serial */
  EVP_PKEY *merchant_key;      /* signs requests */
  EVP_PKEY *platform_key;      /* verifies responses */
  const char *platform_serial; /* when set, responses must name it in Wechatpay-Serial */
  int retries;
  long timeout_ms;
} wxp_http;

typedef struct wxp_resp {
  long status;
  char *body; /* malloc'd, NUL-terminated ("" when none) */
  size_t len;
} wxp_resp;

/* method "GET"/"POST"; url is the path with query ("/v3/pay/transactions/jsapi").
 * `signed_response` 0 skips the response signature check (bill file downloads, which are
 * checked by their hash instead). Returns 0 with *out filled for any HTTP status; -1 when no
 * trustworthy answer came (transport, bad signature). */
int wxp_http_call(const wxp_http *h, const char *method, const char *url, const char *body, int signed_response,
                  wxp_resp *out, err_t *err);
void wxp_resp_free(wxp_resp *r);

#endif
