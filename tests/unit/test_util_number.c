/* util/number: the strict parsers take whole numbers in range and nothing else, where atoi took
 * "12abc" as 12, "" as 0 and " 7" as 7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/number.h"

static void whole_numbers_in_range(void **state) {
  (void)state;
  int64_t v = 0;
  assert_int_equal(parse_int64("42", 0, 100, &v), 0);
  assert_int_equal(v, 42);
  assert_int_equal(parse_int64("-5", -10, 10, &v), 0);
  assert_int_equal(v, -5);
  assert_int_equal(parse_int64("9223372036854775807", 0, INT64_MAX, &v), 0);
  assert_true(v == INT64_MAX);
  int i = 0;
  assert_int_equal(parse_int("1048576", 1, 1048576, &i), 0);
  assert_int_equal(i, 1048576);
}

static void anything_else_is_refused(void **state) {
  (void)state;
  int64_t v = 77;
  const char *bad[] = {"", " 7", "7 ", "12abc", "0x10", "+", "-", "1e3", "9223372036854775808", "1.5", NULL};
  for (int k = 0; bad[k]; k++) assert_int_equal(parse_int64(bad[k], INT64_MIN, INT64_MAX, &v), -1);
  assert_int_equal(parse_int64(NULL, 0, 1, &v), -1);
  assert_int_equal(parse_int64("101", 0, 100, &v), -1);
  assert_int_equal(parse_int64("-1", 0, 100, &v), -1);
  assert_int_equal(v, 77); /* untouched on failure */
  int i = 3;
  assert_int_equal(parse_int("2147483648", 0, 2147483647, &i), -1);
  assert_int_equal(i, 3);
}

static void decimals(void **state) {
  (void)state;
  double d = 0;
  assert_int_equal(parse_double("0.5", &d), 0);
  assert_true(d == 0.5);
  assert_int_equal(parse_double("-127.5", &d), 0);
  assert_int_equal(parse_double("1e300", &d), 0);
  const char *bad[] = {"", " 1", "1 ", "abc", "1.5x", "nan", "inf", "1e999", NULL};
  for (int k = 0; bad[k]; k++) assert_int_equal(parse_double(bad[k], &d), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(whole_numbers_in_range),
      cmocka_unit_test(anything_else_is_refused),
      cmocka_unit_test(decimals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
