/* common: what subcommands share: loading settings (taking out the known ones and leaving the
 * subcommand's own options), reading an option's value, and failing with a message. */
#ifndef TUCAI_CLI_COMMON_H
#define TUCAI_CLI_COMMON_H

#include "app.h"

/* Loads settings from argv (keeps unknown options in argv) and opens the app. Prints the error
 * and returns -1 on failure. */
int cli_open_app(app *a, int *argc, char **argv);
void cli_close_app(app *a);
/* The value after `--name` in argv, or NULL. */
const char *cli_opt(int argc, char **argv, const char *name);
int cli_has(int argc, char **argv, const char *name);
/* The n-th argument that is neither an option nor an option's value (options all take values
 * except those listed in `bare`, a NULL-terminated list). */
const char *cli_arg(int argc, char **argv, int n, const char *const *bare);
int cli_fail(const err_t *err);
/* Reads a whole regular file of at most `limit` bytes into a malloc'd buffer: 0, 1 when it is
 * larger (nothing read), -1 when it cannot be read (errno says why). */
int cli_read_file(const char *path, long limit, uint8_t **buf, size_t *len);

#endif
