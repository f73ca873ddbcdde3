/* wxp_sign: the cryptography of WeChat Pay API v3, and nothing else (no I/O but key files).
 *
 * Outbound requests carry
 *   Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",signature="..",
 *                  timestamp="..",serial_no=".."
 * where signature = base64(RSA-SHA256(merchant key, "METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n")).
 * Responses and notifications carry Wechatpay-Timestamp, -Nonce, -Signature and -Serial; the
 * signature is RSA-SHA256 over "TIMESTAMP\nNONCE\nBODY\n" with the platform key (a certificate or,
 * in the newer "platform public key" mode, a bare public key: both load here). Encrypted resources
 * in notifications are AEAD_AES_256_GCM under the 32-byte APIv3 key, with a 12-byte nonce and the
 * associated data given beside them; the ciphertext is base64(ct || 16-byte tag).
 *
 * The message builders are separate functions so that a test can compare the exact bytes signed
 * with what the local fake server builds (tests/support/fake_wechatpay.mjs).
 *
 * Ownership: functions returning char* return malloc'd strings (free()); EVP_PKEY from the loaders
 * is freed with EVP_PKEY_free. Secrets never reach err messages or logs: errors name the setting,
 * not the content. */
#ifndef TUCAI_PAY_WXP_SIGN_H
#define TUCAI_PAY_WXP_SIGN_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define WXP_APIV3_KEY_BYTES 32

/* "METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n" (body "" for GET). */
char *wxp_request_message(const char *method, const char *url, const char *timestamp, const char *nonce,
                          const char *body);
/* "TIMESTAMP\nNONCE\nBODY\n" for responses and notifications; body may hold any bytes. */
char *wxp_response_message(const char *timestamp, const char *nonce, const char *body, size_t body_len,
                           size_t *out_len);

/* PEM private key (PKCS#8 or PKCS#1). */
EVP_PKEY *wxp_load_private_key(const char *path, err_t *err);
/* PEM public key or X.509 certificate. */
EVP_PKEY *wxp_load_public_key(const char *path, err_t *err);
/* Reads the APIv3 key file: exactly 32 bytes after trimming one trailing newline. */
int wxp_load_apiv3_key(const char *path, uint8_t key[WXP_APIV3_KEY_BYTES], err_t *err);

/* base64(RSASSA-PKCS1-v1_5 SHA-256 signature). NULL on failure. */
char *wxp_rsa_sign_b64(EVP_PKEY *key, const void *msg, size_t len);
/* 1 when sig_b64 is a valid signature of msg by key, 0 otherwise (never -1: any doubt is "no"). */
int wxp_rsa_verify_b64(EVP_PKEY *key, const void *msg, size_t len, const char *sig_b64);

/* The full Authorization header value for one request. */
char *wxp_authorization(EVP_PKEY *merchant_key, const char *mchid, const char *serial, const char *method,
                        const char *url, const char *timestamp, const char *nonce, const char *body);

/* AEAD_AES_256_GCM. Decrypt returns a malloc'd NUL-terminated plaintext (len in *out_len) or NULL
 * when the tag does not verify or the input is malformed. */
char *wxp_aes_gcm_decrypt(const uint8_t key[WXP_APIV3_KEY_BYTES], const char *nonce, const char *aad,
                          const char *ciphertext_b64, size_t *out_len);
char *wxp_aes_gcm_encrypt_b64(const uint8_t key[WXP_APIV3_KEY_BYTES], const char *nonce, const char *aad,
                              const void *plain, size_t len);

/* Random nonce of `n` characters [0-9A-Za-z] + NUL (out has n+1 bytes). */
void wxp_random_nonce(char *out, size_t n);

/* Plain base64 (with padding). decode returns malloc'd bytes or NULL on malformed input. */
char *wxp_b64_encode(const void *data, size_t len);
uint8_t *wxp_b64_decode(const char *s, size_t *out_len);

/* Lower-case hex SHA-256 / SHA-1 of bytes (65 / 41 bytes with NUL). */
void wxp_sha256_hex(const void *data, size_t len, char out[65]);
void wxp_sha1_hex(const void *data, size_t len, char out[41]);

#endif
