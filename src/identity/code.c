/* code: signing, verifying and masking collection codes (see code.h for the format). */
#include "identity/code.h"
#include "util/xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define MAX_CODE_TEXT 2048

static void key_id(const uint8_t *pk, size_t n, char kid[CODE_KID_LEN + 1]) {
  uint8_t h[32];
  crypto_generichash(h, sizeof h, pk, n, NULL, 0);
  sodium_bin2hex(kid, CODE_KID_LEN + 1, h, CODE_KID_LEN / 2);
}

static int write_file(const char *dir, const char *name, const char *text, int secret, err_t *err) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, secret ? 0600 : 0644);
  if (fd < 0) return err_set(err, 400, "key_write_failed", "cannot create %s: %s", path, strerror(errno));
  size_t len = strlen(text);
  ssize_t w = write(fd, text, len);
  int rc = close(fd);
  if (w != (ssize_t)len || rc != 0) return err_set(err, 0, "key_write_failed", "cannot write %s", path);
  return 0;
}

/* Reads a small text file into buf; -1 when missing or too big. */
static int read_small(const char *path, char *buf, size_t max) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  size_t n = fread(buf, 1, max - 1, f);
  int big = fgetc(f) != EOF;
  fclose(f);
  if (big) return -1;
  buf[n] = 0;
  return 0;
}

int code_keygen(const char *dir, err_t *err) {
  if (sodium_init() < 0) return err_set(err, 0, "crypto", "libsodium init failed");
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return err_set(err, 400, "key_dir", "cannot create %s: %s", dir, strerror(errno));
  const char *names[] = {"issuer.key", "issuer.pub", "seal.key", "seal.pub"};
  for (int i = 0; i < 4; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (access(path, F_OK) == 0)
      return err_set(err, 409, "key_exists", "%s already exists; keys are never overwritten", path);
  }
  uint8_t pk[32], sk[64], xpk[32], xsk[32];
  crypto_sign_keypair(pk, sk);
  crypto_box_keypair(xpk, xsk);
  char kid[CODE_KID_LEN + 1], skid[CODE_KID_LEN + 1];
  key_id(pk, 32, kid);
  key_id(xpk, 32, skid);
  char b[200], line[300];
  int rc = 0;
  sodium_bin2base64(b, sizeof b, sk, 64, B64);
  snprintf(line, sizeof line, "tucai-issuer-ed25519-secret %s %s\n", kid, b);
  rc |= write_file(dir, "issuer.key", line, 1, err);
  sodium_bin2base64(b, sizeof b, pk, 32, B64);
  snprintf(line, sizeof line, "tucai-issuer-ed25519 %s %s\n", kid, b);
  if (!rc) rc |= write_file(dir, "issuer.pub", line, 0, err);
  sodium_bin2base64(b, sizeof b, xsk, 32, B64);
  snprintf(line, sizeof line, "tucai-seal-x25519-secret %s %s\n", skid, b);
  if (!rc) rc |= write_file(dir, "seal.key", line, 1, err);
  sodium_bin2base64(b, sizeof b, xpk, 32, B64);
  snprintf(line, sizeof line, "tucai-seal-x25519 %s %s\n", skid, b);
  if (!rc) rc |= write_file(dir, "seal.pub", line, 0, err);
  sodium_memzero(sk, sizeof sk);
  sodium_memzero(xsk, sizeof xsk);
  sodium_memzero(line, sizeof line);
  sodium_memzero(b, sizeof b);
  return rc ? -1 : 0;
}

/* Parses "<type> <kid> <b64>" with the expected type; decodes into key (len bytes). */
static int parse_key_line(const char *text, const char *type, char kid[CODE_KID_LEN + 1], uint8_t *key, size_t len) {
  char t[64], k[64], b[256];
  if (sscanf(text, "%63s %63s %255s", t, k, b) != 3) return -1;
  if (strcmp(t, type) != 0 || strlen(k) != CODE_KID_LEN) return -1;
  size_t got = 0;
  if (sodium_base642bin(key, len, b, strlen(b), NULL, &got, NULL, B64) != 0 || got != len) return -1;
  memcpy(kid, k, CODE_KID_LEN + 1);
  sodium_memzero(b, sizeof b);
  return 0;
}

int code_signer_load(const char *dir, code_signer *out, err_t *err) {
  if (sodium_init() < 0) return err_set(err, 0, "crypto", "libsodium init failed");
  char path[1024], text[512];
  memset(out, 0, sizeof *out);
  snprintf(path, sizeof path, "%s/issuer.key", dir);
  if (read_small(path, text, sizeof text) != 0 ||
      parse_key_line(text, "tucai-issuer-ed25519-secret", out->kid, out->sk, 64) != 0) {
    sodium_memzero(text, sizeof text);
    return err_set(err, 400, "key_missing", "no issuer signing key in %s (run tucai code keygen)", dir);
  }
  sodium_memzero(text, sizeof text);
  /* The kid must be the public half's id: the public key is the last 32 bytes of an Ed25519 sk. */
  char kid[CODE_KID_LEN + 1];
  key_id(out->sk + 32, 32, kid);
  if (strcmp(kid, out->kid) != 0) {
    sodium_memzero(out, sizeof *out);
    return err_set(err, 400, "key_corrupt", "issuer.key in %s does not match its key id", dir);
  }
  uint8_t xpk[32];
  snprintf(path, sizeof path, "%s/seal.pub", dir);
  if (read_small(path, text, sizeof text) != 0 ||
      parse_key_line(text, "tucai-seal-x25519", out->seal_kid, xpk, 32) != 0) {
    sodium_memzero(out, sizeof *out);
    return err_set(err, 400, "key_missing", "no sealing public key in %s", dir);
  }
  return 0;
}

static int has_suffix(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Calls fn for every *.pub line of `type` in dir, in name order (stable rotation order). */
static int scan_pub(const char *dir, const char *type, int (*fn)(void *ctx, const char *kid, const uint8_t pk[32]),
                    void *ctx, err_t *err) {
  struct dirent **list = NULL;
  int n = scandir(dir, &list, NULL, alphasort);
  if (n < 0) return err_set(err, 400, "key_dir", "cannot read key directory %s", dir);
  int stop = 0;
  for (int i = 0; i < n; i++) {
    if (!stop && has_suffix(list[i]->d_name, ".pub")) {
      char path[1024], text[512], kid[CODE_KID_LEN + 1], check[CODE_KID_LEN + 1];
      uint8_t pk[32];
      snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
      if (read_small(path, text, sizeof text) == 0 && parse_key_line(text, type, kid, pk, 32) == 0) {
        key_id(pk, 32, check);
        if (strcmp(check, kid) == 0 && fn(ctx, kid, pk)) stop = 1;
      }
    }
    free(list[i]);
  }
  free(list);
  return 0;
}

static int add_key(void *ctx, const char *kid, const uint8_t pk[32]) {
  code_keyring *r = ctx;
  for (int i = 0; i < r->n; i++)
    if (strcmp(r->keys[i].kid, kid) == 0) return 0;
  if (r->n >= CODE_MAX_KEYS) return 1;
  memcpy(r->keys[r->n].kid, kid, CODE_KID_LEN + 1);
  memcpy(r->keys[r->n].pk, pk, 32);
  r->n++;
  return 0;
}

int code_keyring_load(const char *dir, code_keyring *out, err_t *err) {
  memset(out, 0, sizeof *out);
  if (scan_pub(dir, "tucai-issuer-ed25519", add_key, out, err) != 0) return -1;
  if (out->n == 0) return err_set(err, 400, "no_issuer_keys", "no issuer public keys in %s", dir);
  return 0;
}

struct seal_find {
  const char *kid;
  uint8_t *pk;
  int found;
};
static int find_seal(void *ctx, const char *kid, const uint8_t pk[32]) {
  struct seal_find *f = ctx;
  if (strcmp(kid, f->kid) != 0) return 0;
  memcpy(f->pk, pk, 32);
  f->found = 1;
  return 1;
}

int code_seal_pub_load(const char *dir, const char *kid, uint8_t pk[32], err_t *err) {
  struct seal_find f = {kid, pk, 0};
  if (scan_pub(dir, "tucai-seal-x25519", find_seal, &f, err) != 0) return -1;
  if (!f.found) return err_set(err, 400, "seal_key_missing", "sealing key %s not found", kid);
  return 0;
}

/* Length in bytes of the UTF-8 sequence starting with c (1 for invalid lead bytes). */
static int utf8_len(unsigned char c) {
  if (c >= 0xF0 && c < 0xF8) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

void code_mask_name(const char *name, char out[64]) {
  size_t o = 0;
  const unsigned char *s = (const unsigned char *)name;
  int first = 1;
  while (*s && o < 60) {
    int l = utf8_len(*s);
    for (int i = 1; i < l; i++)
      if (!s[i]) l = i;
    if (first) {
      if (o + (size_t)l >= 60) break;
      memcpy(out + o, s, (size_t)l);
      o += (size_t)l;
      first = 0;
    } else {
      out[o++] = '*';
    }
    s += l;
  }
  out[o] = 0;
}

void code_mask_id(const char *id, char out[24]) {
  size_t n = strlen(id);
  if (n < 8 || n > 22) {
    size_t k = n > 22 ? 22 : n;
    memset(out, '*', k);
    out[k] = 0;
    return;
  }
  memcpy(out, id, 4);
  memset(out + 4, '*', n - 6);
  memcpy(out + n - 2, id + n - 2, 2);
  out[n] = 0;
}

json_t *code_payload_json(const code_payload *p) {
  return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:s}", "version", p->version,
                   "issuer_key_id", p->kid, "student_no", p->student_no, "name_masked", p->name_masked, "id_masked",
                   p->id_masked, "school_code", p->school_code, "school_name", p->school_name, "degree", p->degree,
                   "grad_year", p->grad_year, "issued_at", (json_int_t)p->issued_at_ms, "expires_at",
                   (json_int_t)p->expires_at_ms, "seal_key_id", p->seal_kid);
}

char *code_sign(code_payload *p, const code_signer *signer, err_t *err) {
  if (sodium_init() < 0) {
    err_set(err, 0, "crypto", "libsodium init failed");
    return NULL;
  }
  p->version = CODE_VERSION;
  memcpy(p->kid, signer->kid, sizeof p->kid);
  memcpy(p->seal_kid, signer->seal_kid, sizeof p->seal_kid);
  json_t *j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:s}", "v", p->version, "kid", p->kid,
                        "sno", p->student_no, "nm", p->name_masked, "idm", p->id_masked, "sc", p->school_code, "sn",
                        p->school_name, "deg", p->degree, "gy", p->grad_year, "iat", (json_int_t)p->issued_at_ms, "exp",
                        (json_int_t)p->expires_at_ms, "skid", p->seal_kid);
  char *body = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(j);
  if (!body) {
    err_set(err, 400, "invalid_payload", "payload fields are not valid UTF-8");
    return NULL;
  }
  size_t blen = strlen(body);
  size_t b64len = sodium_base64_encoded_len(blen, B64);
  size_t total = strlen(CODE_PREFIX) + b64len + 1 + sodium_base64_encoded_len(64, B64);
  char *out = xmalloc(total);
  strcpy(out, CODE_PREFIX);
  sodium_bin2base64(out + strlen(out), b64len, (const unsigned char *)body, blen, B64);
  free(body);
  uint8_t sig[64];
  crypto_sign_detached(sig, NULL, (const unsigned char *)out, strlen(out), signer->sk);
  size_t at = strlen(out);
  out[at++] = '.';
  sodium_bin2base64(out + at, total - at, sig, 64, B64);
  if (strlen(out) > MAX_CODE_TEXT) {
    free(out);
    err_set(err, 400, "payload_too_long", "payload fields are too long for a QR code");
    return NULL;
  }
  return out;
}

static int copy_str(json_t *o, const char *key, char *dst, size_t cap) {
  json_t *v = json_object_get(o, key);
  if (!json_is_string(v) || json_string_length(v) >= cap) return -1;
  memcpy(dst, json_string_value(v), json_string_length(v) + 1);
  return 0;
}

static int copy_int(json_t *o, const char *key, int64_t *dst) {
  json_t *v = json_object_get(o, key);
  if (!json_is_integer(v)) return -1;
  *dst = json_integer_value(v);
  return 0;
}

static int not_code(err_t *err) {
  return err_set(err, 422, "not_collection_code", "二维码不是有效的图像采集码，请上传学信网下载的采集码图片");
}

int code_verify(const char *text, const code_keyring *ring, int64_t now_ms, code_payload *out, err_t *err) {
  if (sodium_init() < 0) return err_set(err, 0, "crypto", "libsodium init failed");
  memset(out, 0, sizeof *out);
  size_t n = strlen(text);
  size_t plen = strlen(CODE_PREFIX);
  if (n > MAX_CODE_TEXT || n <= plen || strncmp(text, CODE_PREFIX, plen) != 0) return not_code(err);
  const char *dot = strchr(text + plen, '.');
  if (!dot || strchr(dot + 1, '.')) return not_code(err);
  size_t signed_len = (size_t)(dot - text);
  uint8_t sig[64];
  size_t siglen = 0;
  const char *sig_b64 = dot + 1;
  if (sodium_base642bin(sig, sizeof sig, sig_b64, strlen(sig_b64), NULL, &siglen, NULL, B64) != 0 || siglen != 64)
    return not_code(err);
  unsigned char body[MAX_CODE_TEXT];
  size_t blen = 0;
  if (sodium_base642bin(body, sizeof body - 1, text + plen, signed_len - plen, NULL, &blen, NULL, B64) != 0)
    return not_code(err);
  body[blen] = 0;
  json_error_t jerr;
  json_t *o = json_loadb((const char *)body, blen, JSON_REJECT_DUPLICATES, &jerr);
  if (!json_is_object(o)) {
    json_decref(o);
    return not_code(err);
  }
  int64_t v = 0, gy = 0;
  int bad = copy_int(o, "v", &v) || copy_str(o, "kid", out->kid, sizeof out->kid) ||
            copy_str(o, "sno", out->student_no, sizeof out->student_no) ||
            copy_str(o, "nm", out->name_masked, sizeof out->name_masked) ||
            copy_str(o, "idm", out->id_masked, sizeof out->id_masked) ||
            copy_str(o, "sc", out->school_code, sizeof out->school_code) ||
            copy_str(o, "sn", out->school_name, sizeof out->school_name) ||
            copy_str(o, "deg", out->degree, sizeof out->degree) || copy_int(o, "gy", &gy) ||
            copy_int(o, "iat", &out->issued_at_ms) || copy_int(o, "exp", &out->expires_at_ms) ||
            copy_str(o, "skid", out->seal_kid, sizeof out->seal_kid);
  json_decref(o);
  if (bad || v != CODE_VERSION || gy < 1900 || gy > 2200 || out->student_no[0] == 0) {
    memset(out, 0, sizeof *out);
    return not_code(err);
  }
  out->version = (int)v;
  out->grad_year = (int)gy;
  const code_key *key = NULL;
  for (int i = 0; i < ring->n; i++)
    if (strcmp(ring->keys[i].kid, out->kid) == 0) key = &ring->keys[i];
  if (!key) {
    memset(out, 0, sizeof *out);
    return err_set(err, 422, "unknown_issuer", "采集码的签发密钥不受信任，请重新下载采集码");
  }
  if (crypto_sign_verify_detached(sig, (const unsigned char *)text, signed_len, key->pk) != 0) {
    memset(out, 0, sizeof *out);
    return err_set(err, 422, "bad_signature", "采集码签名校验失败，图片可能被修改，请上传原始采集码");
  }
  if (now_ms >= out->expires_at_ms) return err_set(err, 422, "code_expired", "采集码已过期，请在学信网重新下载采集码");
  return 0;
}
