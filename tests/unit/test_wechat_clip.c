/* WeChat subscription message fields: "thing" values are at most 20 characters (not bytes), so
 * wx_clip_utf8 cuts by character and marks the cut; a cut never splits a UTF-8 sequence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wechat/wx_api.h"
#include "wechat/wx_message.h"

static void check(const char *in, int max, const char *want) {
  char *got = wx_clip_utf8(in, max);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
}

static void short_text_is_kept(void **state) {
  (void)state;
  check("照片未通过审核", 20, "照片未通过审核");
  check("", 20, "");
  check(NULL, 20, "");
  check("一二三四五六七八九十一二三四五六七八九十", 20, "一二三四五六七八九十一二三四五六七八九十"); /* exactly 20 */
}

static void long_text_is_cut_by_characters(void **state) {
  (void)state;
  check("一二三四五六七八九十一二三四五六七八九十一", 20, "一二三四五六七八九十一二三四五六七八九…");
  check("abcdefghijklmnopqrstuvwxyz", 5, "abcd…");
  check("a二c四e六", 4, "a二c…");
  /* A 4-byte character is one character. */
  check("😀😀😀😀😀", 3, "😀😀…");
}

static void broken_utf8_does_not_overrun(void **state) {
  (void)state;
  char bad[] = {'a', (char)0xE4, (char)0xB8, 0}; /* a three-byte lead cut short at the end */
  char *got = wx_clip_utf8(bad, 20);
  assert_non_null(got);
  assert_int_equal(strlen(got), 3);
  free(got);
}

static void plain_tokens(void **state) {
  (void)state;
  assert_true(wx_plain_token("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", 64));
  assert_false(wx_plain_token("", 64));
  assert_false(wx_plain_token(NULL, 64));
  assert_false(wx_plain_token("a&secret=x", 64));
  assert_false(wx_plain_token("abc", 2));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(short_text_is_kept),
      cmocka_unit_test(long_text_is_cut_by_characters),
      cmocka_unit_test(broken_utf8_does_not_overrun),
      cmocka_unit_test(plain_tokens),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
