/* config: every setting of `tucai serve`/`tucai worker`, from four sources in rising priority:
 * built-in defaults < config file (--config FILE, lines `key = value`, '#' comments)
 * < environment (TUCAI_<KEY> upper-cased) < command-line flags (--key value).
 *
 * Each setting is declared once in config.c's table (name, default, help, whether secret), which
 * also generates `tucai serve --help`. Secrets (keys, passwords) are never printed or logged:
 * for them settings hold a file path, and the module reads the file itself. */
#ifndef TUCAI_CONFIG_CONFIG_H
#define TUCAI_CONFIG_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

typedef struct config config;

config *config_new(void);
void config_free(config *c);
/* Loads file (if named by --config or TUCAI_CONFIG), environment, then argv flags. argv[0] is
 * the subcommand name. With keep_unknown=0 an unknown flag or a positional argument is an error;
 * with keep_unknown=1 they stay in argv (compacted, in order) and *argc is updated, so that a
 * subcommand can read its own options after the settings were taken out. */
int config_load(config *c, int *argc, char **argv, int keep_unknown, err_t *err);
/* Reading a name that is not declared is a bug: it aborts with the name on stderr. */
const char *config_str(const config *c, const char *name); /* never NULL */
int64_t config_int(const config *c, const char *name);
int config_bool(const config *c, const char *name);
int config_declared(const char *name); /* 1 when the table declares it */
/* Overrides one value (tests, subcommands with their own flags). */
int config_set(config *c, const char *name, const char *value, err_t *err);
/* Prints every setting with its default and environment variable name. */
void config_print_help(FILE *out, const char *usage);

#endif
