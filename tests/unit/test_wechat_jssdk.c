/* The JS-SDK's wx.config signature and which page URLs we sign. The signature vector is the one
 * WeChat's JS-SDK documentation works through (appendix 1): SHA-1 over the four values in key
 * order, raw (not URL-escaped). Pages: only wechat_public_url itself or below it, without '#'. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "wechat/wx_jssdk.h"

static void signature_matches_wechats_example(void **state) {
  (void)state;
  char sig[41];
  wx_jssdk_sign("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
                "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value", sig);
  assert_string_equal(sig, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
  wx_jssdk_sign("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
                "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=valuE", sig);
  assert_string_not_equal(sig, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
}

static void accepted(const config *c, const char *url, const char *want) {
  char out[WX_PAGE_URL_MAX + 1];
  err_t e = {0};
  assert_int_equal(wx_jssdk_page_url(c, url, out, &e), 0);
  assert_string_equal(out, want);
}

static void refused(const config *c, const char *url) {
  char out[WX_PAGE_URL_MAX + 1];
  err_t e = {0};
  assert_int_equal(wx_jssdk_page_url(c, url, out, &e), -1);
  assert_int_equal(e.status, 400);
  assert_string_equal(e.code, "page_url_invalid");
}

static void only_our_pages_are_signed(void **state) {
  (void)state;
  config *c = config_new();
  err_t e = {0};
  /* Not configured: nothing is ours. */
  refused(c, "https://photo.example.edu.cn/");
  assert_int_equal(config_set(c, "wechat_public_url", "https://photo.example.edu.cn", &e), 0);
  accepted(c, "https://photo.example.edu.cn/", "https://photo.example.edu.cn/");
  accepted(c, "https://photo.example.edu.cn", "https://photo.example.edu.cn/");
  accepted(c, "https://photo.example.edu.cn/?from=menu&x=%E4%B8%AD#/status",
           "https://photo.example.edu.cn/?from=menu&x=%E4%B8%AD");
  accepted(c, "https://photo.example.edu.cn#/pay", "https://photo.example.edu.cn/");
  refused(c, "https://photo.example.edu.cn.evil.example/");
  refused(c, "https://photo.example.edu.cn@evil.example/");
  refused(c, "https://photo.example.edu.cn:8443/");
  refused(c, "http://photo.example.edu.cn/");
  refused(c, "https://evil.example/https://photo.example.edu.cn/");
  refused(c, "https://photo.example.edu.cn/a b");
  refused(c, "https://photo.example.edu.cn/\n");
  refused(c, "https://photo.example.edu.cn/\xE4\xB8\xAD");
  refused(c, "");
  refused(c, NULL);
  char *huge = malloc(WX_PAGE_URL_MAX + 2);
  assert_non_null(huge);
  memset(huge, 'a', WX_PAGE_URL_MAX + 1);
  memcpy(huge, "https://photo.example.edu.cn/", 29);
  huge[WX_PAGE_URL_MAX + 1] = 0;
  refused(c, huge);
  huge[WX_PAGE_URL_MAX] = 0; /* exactly the limit */
  char out[WX_PAGE_URL_MAX + 1];
  assert_int_equal(wx_jssdk_page_url(c, huge, out, &e), 0);
  free(huge);
  /* A base URL written with a trailing slash means the same site. */
  assert_int_equal(config_set(c, "wechat_public_url", "https://photo.example.edu.cn/", &e), 0);
  accepted(c, "https://photo.example.edu.cn/#/x", "https://photo.example.edu.cn/");
  refused(c, "https://photo.example.edu.cn.evil.example/");
  config_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(signature_matches_wechats_example),
      cmocka_unit_test(only_our_pages_are_signed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
