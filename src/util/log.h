/* log: structured logs, one JSON object per line on stderr.
 *
 * Never pass personal data (names, phone numbers, ID numbers, codes, photos) to these functions:
 * log ids and counts. Fields are given as alternating key/value strings ending with NULL:
 *   log_info("request", "rid", rid, "route", "/api/x", NULL);
 * log_kv_int() formats numbers for that list. The level threshold is set once at start. */
#ifndef TUCAI_UTIL_LOG_H
#define TUCAI_UTIL_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

void log_set_level(enum log_level level);
int log_level_from_name(const char *name);                /* -1 when unknown */
void log_msg(enum log_level level, const char *msg, ...); /* key, value, ..., NULL */

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
