#include "pay/wxp_sign.h"
#include "util/xmalloc.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *join_lines(const char *const *parts, int n) {
  size_t len = 0;
  for (int i = 0; i < n; i++) len += strlen(parts[i]) + 1;
  char *out = xmalloc(len + 1);
  char *p = out;
  for (int i = 0; i < n; i++) {
    size_t l = strlen(parts[i]);
    memcpy(p, parts[i], l);
    p += l;
    *p++ = '\n';
  }
  *p = '\0';
  return out;
}

char *wxp_request_message(const char *method, const char *url, const char *timestamp, const char *nonce,
                          const char *body) {
  const char *parts[] = {method, url, timestamp, nonce, body ? body : ""};
  return join_lines(parts, 5);
}

char *wxp_response_message(const char *timestamp, const char *nonce, const char *body, size_t body_len,
                           size_t *out_len) {
  size_t lt = strlen(timestamp), ln = strlen(nonce);
  size_t len = lt + 1 + ln + 1 + body_len + 1;
  char *out = xmalloc(len + 1);
  memcpy(out, timestamp, lt);
  out[lt] = '\n';
  memcpy(out + lt + 1, nonce, ln);
  out[lt + 1 + ln] = '\n';
  if (body_len) memcpy(out + lt + ln + 2, body, body_len);
  out[len - 1] = '\n';
  out[len] = '\0';
  if (out_len) *out_len = len;
  return out;
}

EVP_PKEY *wxp_load_private_key(const char *path, err_t *err) {
  FILE *f = path && *path ? fopen(path, "r") : NULL;
  if (!f) {
    err_set(err, 0, "pay_key_missing", "merchant private key file cannot be opened");
    return NULL;
  }
  EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  ERR_clear_error();
  if (!k) err_set(err, 0, "pay_key_invalid", "merchant private key file holds no PEM private key");
  return k;
}

EVP_PKEY *wxp_load_public_key(const char *path, err_t *err) {
  FILE *f = path && *path ? fopen(path, "r") : NULL;
  if (!f) {
    err_set(err, 0, "pay_key_missing", "platform public key file cannot be opened");
    return NULL;
  }
  EVP_PKEY *k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
  if (!k) {
    rewind(f);
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    if (cert) {
      k = X509_get_pubkey(cert);
      X509_free(cert);
    }
  }
  fclose(f);
  ERR_clear_error();
  if (!k) err_set(err, 0, "pay_key_invalid", "platform key file holds no PEM public key or certificate");
  return k;
}

int wxp_load_apiv3_key(const char *path, uint8_t key[WXP_APIV3_KEY_BYTES], err_t *err) {
  FILE *f = path && *path ? fopen(path, "rb") : NULL;
  if (!f) return err_set(err, 0, "pay_key_missing", "APIv3 key file cannot be opened");
  char buf[WXP_APIV3_KEY_BYTES + 4];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  if (n > 0 && buf[n - 1] == '\n') n--;
  if (n > 0 && buf[n - 1] == '\r') n--;
  if (n != WXP_APIV3_KEY_BYTES) {
    OPENSSL_cleanse(buf, sizeof buf);
    return err_set(err, 0, "pay_key_invalid", "APIv3 key file must hold exactly 32 bytes");
  }
  memcpy(key, buf, WXP_APIV3_KEY_BYTES);
  OPENSSL_cleanse(buf, sizeof buf);
  return 0;
}

char *wxp_b64_encode(const void *data, size_t len) {
  size_t cap = 4 * ((len + 2) / 3) + 1;
  char *out = xmalloc(cap);
  EVP_EncodeBlock((unsigned char *)out, data, (int)len);
  return out;
}

uint8_t *wxp_b64_decode(const char *s, size_t *out_len) {
  if (!s) return NULL;
  size_t n = strlen(s);
  if (n == 0 || n % 4 != 0 || n > (1u << 24)) return NULL;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
             (c == '=' && i >= n - 2);
    if (!ok) return NULL;
  }
  if (s[n - 2] == '=' && s[n - 1] != '=') return NULL;
  uint8_t *out = xmalloc(n / 4 * 3 + 1);
  int got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
  if (got < 0) {
    free(out);
    return NULL;
  }
  size_t pad = (s[n - 1] == '=') + (s[n - 2] == '=');
  *out_len = (size_t)got - pad;
  return out;
}

char *wxp_rsa_sign_b64(EVP_PKEY *key, const void *msg, size_t len) {
  if (!key) return NULL;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char *sig = NULL;
  size_t siglen = 0;
  char *out = NULL;
  if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
      EVP_DigestSign(ctx, NULL, &siglen, msg, len) == 1) {
    sig = xmalloc(siglen);
    if (EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1) out = wxp_b64_encode(sig, siglen);
  }
  free(sig);
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return out;
}

int wxp_rsa_verify_b64(EVP_PKEY *key, const void *msg, size_t len, const char *sig_b64) {
  if (!key || !sig_b64) return 0;
  size_t siglen = 0;
  uint8_t *sig = wxp_b64_decode(sig_b64, &siglen);
  if (!sig) return 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
           EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
  EVP_MD_CTX_free(ctx);
  free(sig);
  ERR_clear_error();
  return ok ? 1 : 0;
}

char *wxp_authorization(EVP_PKEY *merchant_key, const char *mchid, const char *serial, const char *method,
                        const char *url, const char *timestamp, const char *nonce, const char *body) {
  char *msg = wxp_request_message(method, url, timestamp, nonce, body);
  if (!msg) return NULL;
  char *sig = wxp_rsa_sign_b64(merchant_key, msg, strlen(msg));
  free(msg);
  if (!sig) return NULL;
  const char *fmt =
      "WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"%s\",signature=\"%s\","
      "timestamp=\"%s\",serial_no=\"%s\"";
  int n = snprintf(NULL, 0, fmt, mchid, nonce, sig, timestamp, serial);
  char *out = n > 0 ? xmalloc((size_t)n + 1) : NULL;
  if (out) snprintf(out, (size_t)n + 1, fmt, mchid, nonce, sig, timestamp, serial);
  free(sig);
  return out;
}

char *wxp_aes_gcm_decrypt(const uint8_t key[WXP_APIV3_KEY_BYTES], const char *nonce, const char *aad,
                          const char *ciphertext_b64, size_t *out_len) {
  if (!nonce || !ciphertext_b64) return NULL;
  size_t nlen = strlen(nonce);
  if (nlen == 0 || nlen > 64) return NULL;
  size_t len = 0;
  uint8_t *ct = wxp_b64_decode(ciphertext_b64, &len);
  if (!ct) return NULL;
  if (len < 16) {
    free(ct);
    return NULL;
  }
  size_t ptlen = len - 16;
  char *pt = xmalloc(ptlen + 1);
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int outl = 0, fin = 0, ok = c != NULL;
  ok = ok && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)nlen, NULL) == 1;
  ok = ok && EVP_DecryptInit_ex(c, NULL, NULL, key, (const unsigned char *)nonce) == 1;
  if (ok && aad && *aad) ok = EVP_DecryptUpdate(c, NULL, &outl, (const unsigned char *)aad, (int)strlen(aad)) == 1;
  ok = ok && EVP_DecryptUpdate(c, (unsigned char *)pt, &outl, ct, (int)ptlen) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, ct + ptlen) == 1;
  ok = ok && EVP_DecryptFinal_ex(c, (unsigned char *)pt + outl, &fin) == 1;
  EVP_CIPHER_CTX_free(c);
  free(ct);
  ERR_clear_error();
  if (!ok) {
    free(pt);
    return NULL;
  }
  pt[ptlen] = '\0';
  if (out_len) *out_len = ptlen;
  return pt;
}

char *wxp_aes_gcm_encrypt_b64(const uint8_t key[WXP_APIV3_KEY_BYTES], const char *nonce, const char *aad,
                              const void *plain, size_t len) {
  uint8_t *buf = xmalloc(len + 16);
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int outl = 0, fin = 0, ok = c != NULL;
  ok = ok && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)strlen(nonce), NULL) == 1;
  ok = ok && EVP_EncryptInit_ex(c, NULL, NULL, key, (const unsigned char *)nonce) == 1;
  if (ok && aad && *aad) ok = EVP_EncryptUpdate(c, NULL, &outl, (const unsigned char *)aad, (int)strlen(aad)) == 1;
  ok = ok && EVP_EncryptUpdate(c, buf, &outl, plain, (int)len) == 1;
  ok = ok && EVP_EncryptFinal_ex(c, buf + outl, &fin) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, buf + len) == 1;
  EVP_CIPHER_CTX_free(c);
  char *out = ok ? wxp_b64_encode(buf, len + 16) : NULL;
  free(buf);
  return out;
}

void wxp_random_nonce(char *out, size_t n) {
  static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  unsigned char r[128];
  if (n > sizeof r) n = sizeof r;
  if (RAND_bytes(r, (int)n) != 1) abort(); /* no entropy: nothing safe to do */
  for (size_t i = 0; i < n; i++) out[i] = alphabet[r[i] % 62];
  out[n] = '\0';
}

static void hex(const unsigned char *d, size_t n, char *out) {
  static const char h[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = h[d[i] >> 4];
    out[2 * i + 1] = h[d[i] & 15];
  }
  out[2 * n] = '\0';
}

void wxp_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(data, len, d);
  hex(d, sizeof d, out);
}

void wxp_sha1_hex(const void *data, size_t len, char out[41]) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(data, len, d);
  hex(d, sizeof d, out);
}
