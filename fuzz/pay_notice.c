/* pay_notice: a WeChat Pay notification as POST /api/pay/notify/wechatpay hands it to the
 * provider's verify_notice (timestamp window, platform signature, merchant, AES-GCM resource,
 * then pay_parse_txn / pay_parse_refund). The harness plays the platform with its own keys, made
 * once: it signs every body, so the fuzzer gets past the signature. First byte: bit 0 clear, the
 * rest of the input is the whole notification body; set, it is the resource's plaintext, which
 * the harness encrypts into a well-formed body (bit 1: a refund event instead of a payment). */
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config/config.h"
#include "fuzz.h"
#include "pay/provider.h"
#include "pay/wxp_sign.h"
#include "util/clock.h"
#include "util/xmalloc.h"

static const char APIV3[] = "0123456789abcdefghijklmnopqrstuv"; /* 32 bytes */
static pay_provider *prov;
static EVP_PKEY *platform;

static void write_key(EVP_PKEY *k, const char *path, int priv) {
  FILE *f = fopen(path, "w");
  if (!f || (priv ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) : PEM_write_PUBKEY(f, k)) != 1) abort();
  fclose(f);
}

static void init(void) {
  char merchant[300], pub[300], apiv3[300];
  fuzz_path(merchant, sizeof merchant, "merchant.pem");
  fuzz_path(pub, sizeof pub, "platform_pub.pem");
  fuzz_path(apiv3, sizeof apiv3, "apiv3.key");
  /* 1024-bit keys: the signature is not what is fuzzed, and smaller keys sign faster. */
  EVP_PKEY *m = EVP_RSA_gen(1024);
  platform = EVP_RSA_gen(1024);
  if (!m || !platform) abort();
  write_key(m, merchant, 1);
  write_key(platform, pub, 0);
  EVP_PKEY_free(m);
  fuzz_write_file(apiv3, (const uint8_t *)APIV3, 32);
  config *c = config_new();
  err_t err = {0};
  const char *kv[][2] = {{"pay_provider", "wechatpay"},
                         {"wechatpay_base_url", "http://127.0.0.1:9"},
                         {"wechatpay_mchid", "1900009191"},
                         {"wechatpay_appid", "wxd678efh567hg6787"},
                         {"wechatpay_serial", "SERIAL1"},
                         {"wechatpay_key_file", merchant},
                         {"wechatpay_apiv3_key_file", apiv3},
                         {"wechatpay_platform_cert_file", pub},
                         {"wechatpay_platform_serial", "PUB_KEY_ID_1"},
                         {"pay_notify_url", "https://x/notify"}};
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
    if (config_set(c, kv[i][0], kv[i][1], &err) != 0) abort();
  prov = pay_wechatpay_new(c, &err);
  if (!prov) {
    fprintf(stderr, "pay_notice: provider: %s\n", err.message);
    abort();
  }
  config_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (!prov) init();
  if (n < 1 || n > 64 * 1024) return 0;
  int mode = d[0];
  d++, n--;
  char *body;
  size_t body_len;
  if (!(mode & 1)) {
    body = xmalloc(n + 1);
    memcpy(body, d, n);
    body[n] = 0;
    body_len = n;
  } else {
    char *ct = wxp_aes_gcm_encrypt_b64((const uint8_t *)APIV3, "nonce1234567", "transaction", d, n);
    if (!ct) abort();
    const char *event = mode & 2 ? "REFUND.SUCCESS" : "TRANSACTION.SUCCESS";
    size_t cap = strlen(ct) + 512;
    body = xmalloc(cap);
    body_len = (size_t)snprintf(body, cap,
                                "{\"id\":\"EV-1\",\"create_time\":\"2024-11-06T10:00:00+08:00\",\"resource_type\":"
                                "\"encrypt-resource\",\"event_type\":\"%s\",\"summary\":\"x\",\"resource\":{"
                                "\"original_type\":\"transaction\",\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":"
                                "\"%s\",\"associated_data\":\"transaction\",\"nonce\":\"nonce1234567\"}}",
                                event, ct);
    free(ct);
  }
  int64_t now = clock_now_ms();
  char ts[24];
  snprintf(ts, sizeof ts, "%lld", (long long)(now / 1000));
  const char *nonce = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
  size_t mlen = 0;
  char *msg = wxp_response_message(ts, nonce, body, body_len, &mlen);
  char *sig = msg ? wxp_rsa_sign_b64(platform, msg, mlen) : NULL;
  if (!sig) abort();
  pay_inbound in = {.timestamp = ts,
                    .nonce = nonce,
                    .signature = sig,
                    .serial = "PUB_KEY_ID_1",
                    .body = body,
                    .body_len = body_len,
                    .now_ms = now};
  pay_notice out;
  err_t err = {0};
  if (prov->verify_notice(prov, &in, &out, &err) == 0) {
    if (out.kind != PAY_NOTICE_PAYMENT && out.kind != PAY_NOTICE_REFUND) abort();
  } else if (err.status < 400 || err.status >= 500) {
    abort(); /* a bad notice is the sender's fault: 4xx, never a server error */
  }
  free(sig);
  free(msg);
  free(body);
  return 0;
}
