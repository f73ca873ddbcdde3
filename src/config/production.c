/* production: see production.h. */
#include "config/production.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int config_is_dev(const config *c) { return config_bool(c, "dev") || config_bool(c, "demo"); }

void config_master_key_path(const config *c, char *out, size_t n) {
  const char *k = config_str(c, "master_key_file");
  if (*k)
    snprintf(out, n, "%s", k);
  else
    snprintf(out, n, "%s/master.key", config_str(c, "data"));
}

/* Key files that, when named, must exist: a missing one means a wrong path, not "make a new one". */
static const char *const key_settings[] = {
    "wechatpay_key_file", "wechatpay_apiv3_key_file", "wechatpay_platform_cert_file", "sms_http_token_file",
    "export_sign_key",    "wechat_mp_secret_file",    "wechat_mini_secret_file",      NULL};

/* The mini program settings WeChat would refuse only at the first send (47003), checked at start
 * in every mode: the version a message opens, and a page path of the mini program's own. */
static int mini_settings_refusal(const config *c, char *why, size_t n) {
  const char *state = config_str(c, "wechat_mini_state");
  if (strcmp(state, "formal") && strcmp(state, "trial") && strcmp(state, "developer")) {
    snprintf(why, n, "wechat_mini_state is '%s': use formal (the released mini program), trial or developer", state);
    return 1;
  }
  const char *page = config_str(c, "wechat_mini_page");
  size_t len = strlen(page), ok = len > 0 && len <= 128 && page[0] != '/';
  for (size_t i = 0; ok && i < len; i++)
    ok = (page[i] >= 'a' && page[i] <= 'z') || (page[i] >= 'A' && page[i] <= 'Z') ||
         (page[i] >= '0' && page[i] <= '9') || strchr("/_-.?=&", page[i]);
  if (!ok) {
    snprintf(why, n,
             "wechat_mini_page is '%s': a page path of the mini program such as pages/index/index (letters, digits, "
             "/_-.?=&, no leading /, at most 128 characters)",
             page);
    return 1;
  }
  return 0;
}

int config_production_refusal(const config *c, char *why, size_t n) {
  if (mini_settings_refusal(c, why, n)) return 1;
  if (config_is_dev(c)) return 0;
  const char *pay = config_str(c, "pay_provider"), *sms = config_str(c, "sms_sender");
  if (!strcmp(pay, "mock")) {
    snprintf(why, n,
             "pay_provider is 'mock' (any student could approve their own payment): set pay_provider = "
             "wechatpay, or start with --demo / dev = 1 when this is not production");
    return 1;
  }
  if (!strcmp(sms, "log") || !strcmp(sms, "outbox")) {
    snprintf(why, n,
             "sms_sender is '%s' (sign-in codes would not reach students' phones): set sms_sender = http, or "
             "start with --demo / dev = 1 when this is not production",
             sms);
    return 1;
  }
  const char *pub = config_str(c, "wechat_public_url");
  if (*config_str(c, "wechat_mp_appid") && strncmp(pub, "https://", 8) != 0) {
    snprintf(why, n,
             "wechat_mp_appid is set but wechat_public_url is '%s': WeChat sends students back to this "
             "site's https address (and the sign-in cookies need TLS); set it to https://<this site>",
             pub);
    return 1;
  }
  char path[1024];
  config_master_key_path(c, path, sizeof path);
  if (access(path, F_OK) != 0) {
    snprintf(why, n,
             "master key file %s is missing (a new key would make existing photos unreadable): restore it, "
             "or create the first one with `tucai keys init`",
             path);
    return 1;
  }
  for (const char *const *k = key_settings; *k; k++) {
    const char *v = config_str(c, *k);
    if (*v && access(v, F_OK) != 0) {
      snprintf(why, n, "%s names %s, which is missing", *k, v);
      return 1;
    }
  }
  return 0;
}
