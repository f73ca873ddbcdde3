/* provider.c: the process-wide provider, built once from the config on first use. */
#include "pay/provider.h"

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>

#include "config/config.h"
#include "util/log.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pay_provider *current;

pay_provider *pay_provider_get(const pay_env *env, err_t *err) {
  pthread_mutex_lock(&lock);
  if (!current) {
    const char *name = config_str(env->cfg, "pay_provider");
    if (strcmp(name, "wechatpay") == 0) {
      curl_global_init(CURL_GLOBAL_DEFAULT);
      current = pay_wechatpay_new(env->cfg, err);
    } else if (strcmp(name, "mock") == 0) {
      current = pay_mock_new(env->store, err);
    } else {
      err_set(err, 0, "pay_config", "pay_provider must be mock or wechatpay");
    }
    if (current)
      log_info("pay_provider_ready", "provider", current->name, NULL);
    else
      log_error("pay_provider_unavailable", "code", err ? err->code : "", NULL);
  }
  pay_provider *p = current;
  pthread_mutex_unlock(&lock);
  if (!p && err && err->status == 0) err->status = 503;
  return p;
}

void pay_provider_shutdown(void) {
  pthread_mutex_lock(&lock);
  if (current) current->destroy(current);
  current = NULL;
  pthread_mutex_unlock(&lock);
}
