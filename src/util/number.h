/* number: strict parsing of numbers typed by people or read from files (command-line options,
 * path ids, spreadsheet attributes). atoi() and friends take "12abc" as 12 and "" as 0; these take
 * only a whole number in range, so a typo is an error the caller can report, not a different id. */
#ifndef TUCAI_UTIL_NUMBER_H
#define TUCAI_UTIL_NUMBER_H

#include <stdint.h>

/* Optional sign and decimal digits only (no spaces, no "0x"), within [min, max]. 0 and *out set on
 * success; -1 (and *out untouched) otherwise. */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);
/* The same for an int. */
int parse_int(const char *s, int min, int max, int *out);
/* A finite decimal number (strtod syntax, whole string). 0 on success, -1 otherwise. */
int parse_double(const char *s, double *out);

#endif
