/* The working-day calendar: weekends, holidays and swapped working weekends from the shipped file,
 * and due dates two working days after a submission. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "collect/workcal.h"

static workcal *cal;

static int64_t at(int y, int m, int d, int hh) { return workcal_day_start_ms(workcal_civil(y, m, d)) + hh * 3600000LL; }
static int work(int y, int m, int d) { return workcal_is_workday(cal, workcal_civil(y, m, d)); }

static void weekends_rest_weekdays_work(void **s) {
  (void)s;
  assert_true(work(2025, 3, 3));  /* Monday */
  assert_false(work(2025, 3, 8)); /* Saturday */
  assert_false(work(2025, 3, 9)); /* Sunday */
}

static void holidays_and_swapped_weekends_from_the_file(void **s) {
  (void)s;
  assert_false(work(2025, 1, 28)); /* 春节 on a Tuesday */
  assert_true(work(2025, 1, 26));  /* Sunday worked */
  assert_true(work(2025, 2, 8));   /* Saturday worked */
  assert_false(work(2025, 10, 8)); /* 国庆 + 中秋 */
  assert_true(work(2025, 10, 11));
  assert_true(work(2024, 2, 4));
  assert_false(work(2024, 6, 10));
  assert_false(work(2026, 2, 23));
  assert_true(work(2026, 2, 28));
}

static void due_is_end_of_second_working_day(void **s) {
  (void)s;
  /* Friday 2025-03-07 10:00 -> Tuesday 2025-03-11 ends. */
  assert_int_equal(workcal_due(cal, at(2025, 3, 7, 10), 2), workcal_day_start_ms(workcal_civil(2025, 3, 12)));
  /* Submitted late on 2025-09-30 (Tuesday): 10-01..10-08 off, 10-09 Thu, 10-10 Fri. */
  assert_int_equal(workcal_due(cal, at(2025, 9, 30, 23), 2), workcal_day_start_ms(workcal_civil(2025, 10, 11)));
  /* Friday 2025-01-24: Sat 25 rest, Sun 26 worked, Mon 27 -> due end of 27. */
  assert_int_equal(workcal_due(cal, at(2025, 1, 24, 9), 2), workcal_day_start_ms(workcal_civil(2025, 1, 28)));
}

static void shanghai_midnight_not_utc(void **s) {
  (void)s;
  /* 2025-03-07 23:30 in Shanghai is 15:30 UTC the same day; 00:30 Shanghai is the previous UTC day. */
  assert_int_equal(workcal_day_of(at(2025, 3, 7, 0) + 30 * 60000), workcal_civil(2025, 3, 7));
  assert_int_equal(workcal_day_of(at(2025, 3, 7, 23) + 30 * 60000), workcal_civil(2025, 3, 7));
}

static void bad_lines_are_refused(void **s) {
  (void)s;
  err_t e = {0};
  assert_null(workcal_parse("2025-01-01 holiday\n", &e));
  assert_string_equal(e.code, "calendar_format");
  assert_null(workcal_parse("2025-13-01 off\n", &e));
  workcal *c = workcal_parse("# only comments\n\n2025-03-03 off # a Monday\n", &e);
  assert_non_null(c);
  assert_false(workcal_is_workday(c, workcal_civil(2025, 3, 3)));
  workcal_free(c);
}

int main(void) {
  err_t e = {0};
  cal = workcal_load(TUCAI_SOURCE_DIR "/data/calendar/cn.txt", &e);
  if (!cal) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(weekends_rest_weekdays_work), cmocka_unit_test(holidays_and_swapped_weekends_from_the_file),
      cmocka_unit_test(due_is_end_of_second_working_day), cmocka_unit_test(shanghai_midnight_not_utc),
      cmocka_unit_test(bad_lines_are_refused)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  workcal_free(cal);
  return rc;
}
