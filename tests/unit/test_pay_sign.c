/* WeChat Pay v3 cryptography and notification verification: the exact bytes that get signed, RSA
 * signatures both ways, AES-256-GCM resources, and a provider that refuses stale, forged, replayed
 * (by header), undecryptable and foreign-merchant notifications. Keys are generated per run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "config/config.h"
#include "pay/provider.h"
#include "pay/wxp_sign.h"
#include "util/clock.h"

static char dir[256];
static char merchant_key[300], platform_priv[300], platform_pub[300], apiv3_file[300];
static const char APIV3[] = "0123456789abcdefghijklmnopqrstuv"; /* 32 bytes */

static void write_key(EVP_PKEY *k, const char *path, int priv) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  if (priv)
    assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
  else
    assert_int_equal(PEM_write_PUBKEY(f, k), 1);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/tucai-pay-sign-XXXXXX");
  if (!mkdtemp(dir)) return -1;
  EVP_PKEY *m = EVP_RSA_gen(2048), *p = EVP_RSA_gen(2048);
  snprintf(merchant_key, sizeof merchant_key, "%s/merchant.pem", dir);
  snprintf(platform_priv, sizeof platform_priv, "%s/platform.pem", dir);
  snprintf(platform_pub, sizeof platform_pub, "%s/platform_pub.pem", dir);
  snprintf(apiv3_file, sizeof apiv3_file, "%s/apiv3.key", dir);
  write_key(m, merchant_key, 1);
  write_key(p, platform_priv, 1);
  write_key(p, platform_pub, 0);
  EVP_PKEY_free(m);
  EVP_PKEY_free(p);
  FILE *f = fopen(apiv3_file, "w");
  fprintf(f, "%s\n", APIV3);
  fclose(f);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(merchant_key), unlink(platform_priv), unlink(platform_pub), unlink(apiv3_file);
  rmdir(dir);
  return 0;
}

static void request_message_is_exact(void **state) {
  (void)state;
  char *m = wxp_request_message("POST", "/v3/pay/transactions/jsapi", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242",
                                "{\"appid\":\"wxd678efh567hg6787\"}");
  assert_string_equal(m,
                      "POST\n/v3/pay/transactions/jsapi\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n"
                      "{\"appid\":\"wxd678efh567hg6787\"}\n");
  free(m);
  m = wxp_request_message("GET", "/v3/certificates", "1554208460", "abc", "");
  assert_string_equal(m, "GET\n/v3/certificates\n1554208460\nabc\n\n");
  free(m);
  size_t len = 0;
  m = wxp_response_message("1554209980", "c5ac7061fccab6bf3e254dcf98995b8c", "{\"a\":1}", 7, &len);
  assert_string_equal(m, "1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{\"a\":1}\n");
  assert_int_equal(len, strlen(m));
  free(m);
}

static void authorization_header_verifies_and_has_every_field(void **state) {
  (void)state;
  err_t err = {0};
  EVP_PKEY *priv = wxp_load_private_key(merchant_key, &err);
  assert_non_null(priv);
  char *auth = wxp_authorization(priv, "1900009191", "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB", "GET",
                                 "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", "");
  assert_non_null(auth);
  assert_non_null(strstr(
      auth,
      "WECHATPAY2-SHA256-RSA2048 mchid=\"1900009191\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\",signature=\""));
  assert_non_null(strstr(auth, "\",timestamp=\"1554208460\",serial_no=\"408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB\""));
  char sig[600] = {0};
  const char *s = strstr(auth, "signature=\"") + 11;
  memcpy(sig, s, (size_t)(strchr(s, '"') - s));
  EVP_PKEY *pub = wxp_load_public_key(merchant_key, &err); /* a private PEM is no public key */
  assert_null(pub);
  /* Verify with the public half taken from the private key. */
  const char *msg = "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n";
  assert_int_equal(wxp_rsa_verify_b64(priv, msg, strlen(msg), sig), 1);
  assert_int_equal(wxp_rsa_verify_b64(priv, "GET\n/v3/certificates\n1554208461\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n",
                                      strlen(msg), sig),
                   0);
  assert_int_equal(wxp_rsa_verify_b64(priv, msg, strlen(msg), "not base64!"), 0);
  free(auth);
  EVP_PKEY_free(priv);
}

static void aes_gcm_round_trip_and_tamper(void **state) {
  (void)state;
  const uint8_t *key = (const uint8_t *)APIV3;
  const char *plain = "{\"out_trade_no\":\"TC1\"}";
  char *ct = wxp_aes_gcm_encrypt_b64(key, "fdasflkja484", "transaction", plain, strlen(plain));
  assert_non_null(ct);
  size_t len = 0;
  char *pt = wxp_aes_gcm_decrypt(key, "fdasflkja484", "transaction", ct, &len);
  assert_non_null(pt);
  assert_string_equal(pt, plain);
  free(pt);
  assert_null(wxp_aes_gcm_decrypt(key, "fdasflkja484", "refund", ct, &len));      /* wrong AAD */
  assert_null(wxp_aes_gcm_decrypt(key, "fdasflkja485", "transaction", ct, &len)); /* wrong nonce */
  ct[3] = ct[3] == 'A' ? 'B' : 'A';
  assert_null(wxp_aes_gcm_decrypt(key, "fdasflkja484", "transaction", ct, &len));     /* tampered */
  assert_null(wxp_aes_gcm_decrypt(key, "fdasflkja484", "transaction", "QUJD", &len)); /* shorter than a tag */
  free(ct);
}

static void apiv3_key_file_must_hold_32_bytes(void **state) {
  (void)state;
  uint8_t key[32];
  err_t err = {0};
  assert_int_equal(wxp_load_apiv3_key(apiv3_file, key, &err), 0);
  assert_memory_equal(key, APIV3, 32);
  assert_int_equal(wxp_load_apiv3_key(merchant_key, key, &err), -1);
  assert_null(strstr(err.message, "BEGIN")); /* never echo key material */
}

/* ---- a provider fed with notifications built here as the platform would ------------------ */

static config *provider_config(void) {
  config *c = config_new();
  err_t err = {0};
  const char *kv[][2] = {{"pay_provider", "wechatpay"},
                         {"wechatpay_base_url", "http://127.0.0.1:9"},
                         {"wechatpay_mchid", "1900009191"},
                         {"wechatpay_appid", "wxd678efh567hg6787"},
                         {"wechatpay_serial", "SERIAL1"},
                         {"wechatpay_key_file", merchant_key},
                         {"wechatpay_apiv3_key_file", apiv3_file},
                         {"wechatpay_platform_cert_file", platform_pub},
                         {"wechatpay_platform_serial", "PUB_KEY_ID_1"},
                         {"pay_notify_url", "https://x/notify"}};
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) assert_int_equal(config_set(c, kv[i][0], kv[i][1], &err), 0);
  return c;
}

typedef struct built {
  char ts[24], nonce[40], sig[600], body[4096];
} built;

static void build_notice(built *b, const char *resource, const char *event, int64_t ts_s, const char *apiv3) {
  char *ct = wxp_aes_gcm_encrypt_b64((const uint8_t *)apiv3, "nonce1234567", "transaction", resource, strlen(resource));
  snprintf(b->body, sizeof b->body,
           "{\"id\":\"EV-1\",\"create_time\":\"2024-11-06T10:00:00+08:00\",\"resource_type\":\"encrypt-resource\","
           "\"event_type\":\"%s\",\"summary\":\"x\",\"resource\":{\"original_type\":\"transaction\","
           "\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":\"%s\",\"associated_data\":\"transaction\","
           "\"nonce\":\"nonce1234567\"}}",
           event, ct);
  free(ct);
  snprintf(b->ts, sizeof b->ts, "%lld", (long long)ts_s);
  wxp_random_nonce(b->nonce, 32);
  err_t err = {0};
  EVP_PKEY *k = wxp_load_private_key(platform_priv, &err);
  size_t len = 0;
  char *msg = wxp_response_message(b->ts, b->nonce, b->body, strlen(b->body), &len);
  char *sig = wxp_rsa_sign_b64(k, msg, len);
  snprintf(b->sig, sizeof b->sig, "%s", sig);
  free(sig);
  free(msg);
  EVP_PKEY_free(k);
}

static const char *RESOURCE =
    "{\"mchid\":\"1900009191\",\"appid\":\"wxd678efh567hg6787\",\"out_trade_no\":\"TC20241106abcdef\","
    "\"transaction_id\":\"4200000001\",\"trade_type\":\"JSAPI\",\"trade_state\":\"SUCCESS\","
    "\"amount\":{\"total\":3000,\"payer_total\":3000,\"currency\":\"CNY\",\"payer_currency\":\"CNY\"}}";

static int verify(pay_provider *p, const built *b, const char *serial, int64_t now_ms, pay_notice *n, err_t *err) {
  pay_inbound in = {.timestamp = b->ts,
                    .nonce = b->nonce,
                    .signature = b->sig,
                    .serial = serial,
                    .body = b->body,
                    .body_len = strlen(b->body),
                    .now_ms = now_ms};
  return p->verify_notice(p, &in, n, err);
}

static void provider_accepts_a_genuine_notice_and_refuses_the_rest(void **state) {
  (void)state;
  config *c = provider_config();
  err_t err = {0};
  pay_provider *p = pay_wechatpay_new(c, &err);
  assert_non_null(p);
  int64_t now = clock_now_ms();
  built b;
  pay_notice n;

  build_notice(&b, RESOURCE, "TRANSACTION.SUCCESS", now / 1000, APIV3);
  assert_int_equal(verify(p, &b, "PUB_KEY_ID_1", now, &n, &err), 0);
  assert_int_equal(n.kind, PAY_NOTICE_PAYMENT);
  assert_string_equal(n.txn.out_trade_no, "TC20241106abcdef");
  assert_int_equal(n.txn.total_fen, 3000);
  assert_string_equal(n.txn.transaction_id, "4200000001");

  /* stale timestamp: ten minutes old */
  build_notice(&b, RESOURCE, "TRANSACTION.SUCCESS", now / 1000 - 600, APIV3);
  assert_int_equal(verify(p, &b, "PUB_KEY_ID_1", now, &n, &err), -1);
  assert_string_equal(err.code, "stale_timestamp");

  /* forged: body changed after signing */
  build_notice(&b, RESOURCE, "TRANSACTION.SUCCESS", now / 1000, APIV3);
  b.body[10] = b.body[10] == 'x' ? 'y' : 'x';
  assert_int_equal(verify(p, &b, "PUB_KEY_ID_1", now, &n, &err), -1);
  assert_string_equal(err.code, "bad_signature");

  /* signed by someone else's key */
  build_notice(&b, RESOURCE, "TRANSACTION.SUCCESS", now / 1000, APIV3);
  EVP_PKEY *other = EVP_RSA_gen(2048);
  size_t len = 0;
  char *msg = wxp_response_message(b.ts, b.nonce, b.body, strlen(b.body), &len);
  char *sig = wxp_rsa_sign_b64(other, msg, len);
  snprintf(b.sig, sizeof b.sig, "%s", sig);
  free(sig), free(msg);
  EVP_PKEY_free(other);
  assert_int_equal(verify(p, &b, "PUB_KEY_ID_1", now, &n, &err), -1);
  assert_string_equal(err.code, "bad_signature");

  /* unknown platform serial */
  build_notice(&b, RESOURCE, "TRANSACTION.SUCCESS", now / 1000, APIV3);
  assert_int_equal(verify(p, &b, "PUB_KEY_ID_2", now, &n, &err), -1);
  assert_string_equal(err.code, "unknown_serial");

  /* encrypted with another APIv3 key (signature fine) */
  build_notice(&b, RESOURCE, "TRANSACTION.SUCCESS", now / 1000, "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ");
  assert_int_equal(verify(p, &b, "PUB_KEY_ID_1", now, &n, &err), -1);
  assert_string_equal(err.code, "decrypt_failed");

  /* another merchant's payment */
  char foreign[1024];
  snprintf(foreign, sizeof foreign, "%s", RESOURCE);
  memcpy(strstr(foreign, "1900009191"), "1900009999", 10);
  build_notice(&b, foreign, "TRANSACTION.SUCCESS", now / 1000, APIV3);
  assert_int_equal(verify(p, &b, "PUB_KEY_ID_1", now, &n, &err), -1);
  assert_string_equal(err.code, "wrong_merchant");

  /* missing headers */
  pay_inbound in = {.body = "{}", .body_len = 2, .now_ms = now};
  assert_int_equal(p->verify_notice(p, &in, &n, &err), -1);
  assert_int_equal(err.status, 401);

  p->destroy(p);
  config_free(c);
}

static void malformed_resources_are_refused(void **state) {
  (void)state;
  pay_txn t;
  err_t err = {0};
  assert_int_equal(pay_parse_txn("not json", 8, &t, &err), -1);
  assert_int_equal(err.status, 400);
  const char *no_amount = "{\"mchid\":\"1\",\"out_trade_no\":\"TC1\",\"trade_state\":\"SUCCESS\"}";
  assert_int_equal(pay_parse_txn(no_amount, strlen(no_amount), &t, &err), -1);
  const char *neg = "{\"mchid\":\"1\",\"out_trade_no\":\"TC1\",\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":-5}}";
  assert_int_equal(pay_parse_txn(neg, strlen(neg), &t, &err), -1);
  const char *huge =
      "{\"mchid\":\"1\",\"out_trade_no\":\"TC1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\","
      "\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":1}}";
  assert_int_equal(pay_parse_txn(huge, strlen(huge), &t, &err), -1);
  /* Found by fuzz/pay_parse: required fields that are empty strings, and keys given twice. */
  const char *empty = "{\"mchid\":\"1\",\"out_trade_no\":\"\",\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":1}}";
  assert_int_equal(pay_parse_txn(empty, strlen(empty), &t, &err), -1);
  const char *twice =
      "{\"mchid\":\"1\",\"out_trade_no\":\"TC1\",\"out_trade_no\":\"TC2\",\"trade_state\":\"SUCCESS\","
      "\"amount\":{\"total\":1}}";
  assert_int_equal(pay_parse_txn(twice, strlen(twice), &t, &err), -1);
  pay_refund rf;
  const char *no_refund_no =
      "{\"out_trade_no\":\"TC1\",\"out_refund_no\":\"\",\"status\":\"SUCCESS\","
      "\"amount\":{\"refund\":1,\"total\":1}}";
  assert_int_equal(pay_parse_refund(no_refund_no, strlen(no_refund_no), &rf, &err), -1);
  /* A refund_status too long for its field was taken as no status at all (and then accepted). */
  const char *long_status =
      "{\"out_trade_no\":\"TC1\",\"out_refund_no\":\"RF1\",\"refund_status\":\"SUCCESSSUCCESSSUCCESSSUCCESS\","
      "\"amount\":{\"refund\":1,\"total\":1}}";
  assert_int_equal(pay_parse_refund(long_status, strlen(long_status), &rf, &err), -1);
  size_t n = 0;
  assert_null(wxp_b64_decode("abc", &n));
  assert_null(wxp_b64_decode("ab=c", &n));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(request_message_is_exact),
      cmocka_unit_test(authorization_header_verifies_and_has_every_field),
      cmocka_unit_test(aes_gcm_round_trip_and_tamper),
      cmocka_unit_test(apiv3_key_file_must_hold_32_bytes),
      cmocka_unit_test(provider_accepts_a_genuine_notice_and_refuses_the_rest),
      cmocka_unit_test(malformed_resources_are_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
