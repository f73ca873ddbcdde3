/* doctor: `tucai doctor [--config FILE]` checks a configuration the way an operator needs before
 * going live, one line per check ("ok" or "FAIL" and the reason), exit 0 only when every check
 * passes. Where `serve` refuses only what is plainly unsafe (src/config/production.h), doctor also
 * reads the files: key permissions, the merchant key and certificates parse, the database answers
 * and is migrated, the data directory is writable, the models load, cookies are Secure and the
 * public URL is https, and with S3 storage the bucket answers a put/get/delete round trip of a
 * probe object. Nothing secret is printed: paths and setting names only. */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob/blob.h"
#include "blob/s3.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "config/production.h"
#include "identity/code.h"
#include "pay/wxp_sign.h"
#include "photo/face_compare.h"
#include "photo/photo.h"
#include "store/migrations.h"
#include "store/store.h"
#include "util/vault.h"

typedef struct doctor {
  int failed;
} doctor;

static void report(doctor *d, int ok, const char *what, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void report(doctor *d, int ok, const char *what, const char *fmt, ...) {
  char why[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  printf("%-4s %-24s %s\n", ok ? "ok" : "FAIL", what, why);
  if (!ok) d->failed++;
}

/* A secret file: present, a regular file, owned by this user, readable by nobody else. */
static int secret_file(doctor *d, const char *what, const char *path) {
  struct stat st;
  if (!path || !*path) {
    report(d, 0, what, "not set");
    return 0;
  }
  if (stat(path, &st) != 0) {
    report(d, 0, what, "%s is missing", path);
    return 0;
  }
  if (!S_ISREG(st.st_mode)) {
    report(d, 0, what, "%s is not a regular file", path);
    return 0;
  }
  if (st.st_uid != geteuid()) {
    report(d, 0, what, "%s is owned by uid %d, not by this user (uid %d)", path, (int)st.st_uid, (int)geteuid());
    return 0;
  }
  if (st.st_mode & 077) {
    report(d, 0, what, "%s has mode %03o: others can read it (chmod 600)", path, (unsigned)(st.st_mode & 0777));
    return 0;
  }
  return 1;
}

static void check_master_key(doctor *d, const config *c) {
  char path[1024];
  config_master_key_path(c, path, sizeof path);
  if (!secret_file(d, "master key", path)) return;
  err_t err = {0};
  if (vault_init_file(path, 0, &err) < 0)
    report(d, 0, "master key", "%s", err.message);
  else
    report(d, 1, "master key", "%s: 32 bytes, owner-only", path);
}

static int https_url(const char *u) { return u && !strncmp(u, "https://", 8) && u[8]; }

static void check_pay(doctor *d, const config *c) {
  const char *p = config_str(c, "pay_provider");
  if (strcmp(p, "wechatpay")) {
    report(d, 0, "pay provider", "pay_provider is '%s': only wechatpay takes real payments", p);
    return;
  }
  static const char *const ids[] = {"wechatpay_mchid", "wechatpay_appid", "wechatpay_serial", NULL};
  int ok = 1;
  for (const char *const *k = ids; *k; k++)
    if (!*config_str(c, *k)) report(d, 0, "pay provider", "%s is not set", *k), ok = 0;
  if (ok) report(d, 1, "pay provider", "wechatpay, merchant %s", config_str(c, "wechatpay_mchid"));
  if (!https_url(config_str(c, "wechatpay_base_url"))) report(d, 0, "pay API URL", "wechatpay_base_url must be https");
  err_t err = {0};
  const char *key = config_str(c, "wechatpay_key_file");
  if (secret_file(d, "merchant private key", key)) {
    EVP_PKEY *k = wxp_load_private_key(key, &err);
    report(d, k != NULL, "merchant private key", k ? "%s parses" : "%s does not parse as a PEM private key", key);
    EVP_PKEY_free(k);
  }
  const char *v3 = config_str(c, "wechatpay_apiv3_key_file");
  if (secret_file(d, "APIv3 key", v3)) {
    uint8_t raw[WXP_APIV3_KEY_BYTES];
    int rc = wxp_load_apiv3_key(v3, raw, &err);
    memset(raw, 0, sizeof raw);
    report(d, rc == 0, "APIv3 key", rc == 0 ? "%s: %d bytes" : "%s does not hold a %d-byte key", v3,
           WXP_APIV3_KEY_BYTES);
  }
  const char *cert = config_str(c, "wechatpay_platform_cert_file");
  if (!*cert) {
    report(d, 0, "platform certificate", "wechatpay_platform_cert_file is not set (notifications cannot be verified)");
  } else {
    EVP_PKEY *k = wxp_load_public_key(cert, &err);
    report(d, k != NULL, "platform certificate", k ? "%s parses" : "%s is missing or does not parse", cert);
    EVP_PKEY_free(k);
  }
}

/* The public URL the server is reached at: the one given to WeChat Pay for notifications. */
static void check_public_url(doctor *d, const config *c) {
  const char *notify = config_str(c, "pay_notify_url");
  report(d, https_url(notify), "public URL",
         https_url(notify) ? "pay_notify_url is https"
                           : "pay_notify_url must be "
                             "the server's public https URL");
}

static void check_sms(doctor *d, const config *c) {
  const char *s = config_str(c, "sms_sender");
  if (strcmp(s, "http")) {
    report(d, 0, "sms sender", "sms_sender is '%s': codes would not reach students (use http)", s);
    return;
  }
  const char *url = config_str(c, "sms_http_url");
  report(d, https_url(url), "sms sender", https_url(url) ? "http gateway over https" : "sms_http_url must be https");
  const char *tok = config_str(c, "sms_http_token_file");
  if (*tok && secret_file(d, "sms token", tok)) report(d, 1, "sms token", "%s, owner-only", tok);
}

static void check_data_dir(doctor *d, const config *c) {
  const char *dir = config_str(c, "data");
  char probe[1100];
  snprintf(probe, sizeof probe, "%s/.doctor-%d", dir, (int)getpid());
  FILE *f = fopen(probe, "w");
  int ok = f && fputs("x", f) >= 0;
  if (f) ok = (fclose(f) == 0) && ok;
  unlink(probe);
  report(d, ok, "data directory", ok ? "%s is writable" : "%s is not writable (or does not exist)", dir);
}

static void check_db(doctor *d, const config *c) {
  char url[1200];
  const char *db = config_str(c, "db");
  if (!*db) snprintf(url, sizeof url, "sqlite:%s/tucai.db", config_str(c, "data")), db = url;
  int latest = 0;
  for (const store_migration *m = store_migrations; m->name; m++) latest = m->version;
  err_t err = {0};
  /* Opening applies pending migrations, as `serve` would at start. */
  store_t *st = store_open(db, 1, &err);
  if (!st) {
    report(d, 0, "database", "cannot open: %s", err.message);
    return;
  }
  int v = store_schema_version(st);
  const char *kind = store_dialect(st) == DB_SQLITE ? "sqlite" : "postgres";
  db_t *h = store_get(st, &err);
  int64_t one = h ? db_int(h, &err, -1, "SELECT 1") : -1;
  if (h) store_put(st, h);
  store_close(st);
  report(d, one == 1 && v == latest, "database",
         one == 1 && v == latest ? "%s answers, schema %d (latest)" : "%s: schema %d, latest %d", kind, v, latest);
}

static void check_models(doctor *d, const config *c) {
  err_t err = {0};
  photo_engine *e = photo_engine_open(config_str(c, "models"), &err);
  /* The engine runs without its face networks (an operator may not run the descriptor, see
   * docs/models.md), so their absence is said, not failed: no face prints, expression unmeasured. */
  err_t ferr = {0};
  if (e && !photo_engine_face_nets(e, &ferr))
    report(d, 1, "photo models", "%s load, without the face networks (no face comparison, expression unmeasured): %s",
           config_str(c, "models"), ferr.message);
  else
    report(d, e != NULL, "photo models", e ? "%s load" : "%s", e ? config_str(c, "models") : err.message);
  photo_engine_close(e);
}

static void check_code_keys(doctor *d, const config *c) {
  char dir[1024];
  const char *k = config_str(c, "code_pub_dir");
  if (*k)
    snprintf(dir, sizeof dir, "%s", k);
  else
    snprintf(dir, sizeof dir, "%s/code-keys", config_str(c, "data"));
  code_keyring ring;
  err_t err = {0};
  int ok = code_keyring_load(dir, &ring, &err) == 0 && ring.n > 0;
  report(d, ok, "code issuer keys", ok ? "%s: %d trusted key(s)" : "%s: no trusted issuer key (*.pub)", dir,
         ok ? ring.n : 0);
}

/* S3 photo storage (blob_store = s3, or an endpoint kept for older objects): the key files, the
 * bucket, and a round trip of a probe object that is deleted again. */
static void check_s3(doctor *d, const config *c) {
  int wanted = !strcmp(config_str(c, "blob_store"), "s3");
  if (!wanted && !*config_str(c, "s3_endpoint")) return;
  s3_opts o;
  blob_s3_opts_from_config(c, &o);
  if (!*o.endpoint) {
    report(d, 0, "s3 storage", "blob_store = s3 but s3_endpoint is not set");
    return;
  }
  if (!secret_file(d, "s3 secret key", o.secret_key_file)) return;
  err_t err = {0};
  curl_global_init(CURL_GLOBAL_DEFAULT);
  s3_client *s3 = s3_open(&o, &err);
  if (!s3 || s3_probe_bucket(s3, &err) < 0) {
    report(d, 0, "s3 storage", "%s", err.message);
    s3_close(s3);
    curl_global_cleanup();
    return;
  }
  uint8_t probe[64], rnd[8], *back = NULL;
  size_t n = 0;
  randombytes_buf(probe, sizeof probe);
  randombytes_buf(rnd, sizeof rnd);
  char key[64], hex[17];
  sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
  snprintf(key, sizeof key, "tucai-doctor-probe/%s", hex);
  int ok = s3_put(s3, key, probe, sizeof probe, &err) == 0 && s3_get(s3, key, 1024, &back, &n, &err) == 0;
  if (ok && (n != sizeof probe || memcmp(back, probe, n)))
    ok = 0, err_set(&err, 0, "s3_probe", "the probe object came back different");
  free(back);
  if (ok && s3_delete(s3, key, &err) < 0) ok = 0;
  int plain = !strncmp(o.endpoint, "http://", 7);
  if (ok)
    report(d, 1, "s3 storage", "%s: put, get and delete of a probe object%s", s3_where(s3),
           plain ? " (http, not TLS: on a private network only)" : "");
  else
    report(d, 0, "s3 storage", "%s", err.message);
  s3_close(s3);
  curl_global_cleanup();
}

static const char *usage =
    "usage: tucai doctor [--config FILE] [settings...]\n"
    "Checks the configuration for production, one line per check (ok / FAIL and why); exits 0 only\n"
    "when every check passes.";

int cli_doctor(int argc, char **argv) {
  if (cli_has(argc, argv, "--help") || cli_has(argc, argv, "-h")) {
    printf("%s\n", usage);
    return 0;
  }
  err_t err = {0};
  config *c = config_new();
  if (config_load(c, &argc, argv, 0, &err) < 0) {
    config_free(c);
    return cli_fail(&err);
  }
  doctor d = {0};
  report(&d, !config_is_dev(c), "production mode", config_is_dev(c) ? "dev or demo is on" : "dev and demo are off");
  check_master_key(&d, c);
  check_pay(&d, c);
  check_public_url(&d, c);
  check_sms(&d, c);
  check_data_dir(&d, c);
  check_db(&d, c);
  check_models(&d, c);
  check_code_keys(&d, c);
  check_s3(&d, c);
  int sc = config_bool(c, "secure_cookies");
  report(&d, sc, "secure cookies", sc ? "on" : "secure_cookies = 1 is needed behind TLS");
  config_free(c);
  printf("%s\n", d.failed ? "not ready for production" : "ready for production");
  return d.failed ? 1 : 0;
}
