/* workcal: the Chinese working-day calendar that review due dates are counted on.
 *
 * Saturdays and Sundays are rest days, except the swapped working weekends (调休上班); public
 * holidays are rest days. Both lists come from a data file (setting `calendar`, default
 * data/calendar/cn.txt), one date a line:
 *   2025-01-26 work  春节调休上班
 *   2025-01-28 off   春节
 * '#' starts a comment. Days are counted in Asia/Shanghai (UTC+8, no DST). Dates outside the
 * file's years follow the plain weekend rule. Read-only after loading: thread-safe. */
#ifndef TUCAI_COLLECT_WORKCAL_H
#define TUCAI_COLLECT_WORKCAL_H

#include <stdint.h>

#include "util/err.h"

typedef struct workcal workcal;

workcal *workcal_load(const char *path, err_t *err);
/* Parses the file's text (for tests). */
workcal *workcal_parse(const char *text, err_t *err);
void workcal_free(workcal *c);

/* Days since 1970-01-01 in Asia/Shanghai for a unix ms instant, and back (midnight). */
int64_t workcal_day_of(int64_t ms);
int64_t workcal_day_start_ms(int64_t day);
/* Day number of a civil date. */
int64_t workcal_civil(int y, int m, int d);
int workcal_is_workday(const workcal *c, int64_t day);
/* The end (next midnight, Asia/Shanghai) of the n-th working day after the day `from_ms` falls on:
 * submitted on a Friday, n = 2 -> due at the end of Tuesday (or later around holidays). */
int64_t workcal_due(const workcal *c, int64_t from_ms, int n);

#endif
