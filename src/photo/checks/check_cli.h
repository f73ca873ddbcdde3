/* check_cli: the `tucai photo check` subcommand and the profile lookup it uses. */
#ifndef TUCAI_PHOTO_CHECK_CLI_H
#define TUCAI_PHOTO_CHECK_CLI_H

#include <jansson.h>

#include "util/err.h"

/* argv holds the arguments after "check". Returns the process exit status. */
int photo_check_main(int argc, char **argv);

/* The "checks" object of profile `name` from $TUCAI_PROFILES/<name>.json, else
 * $TUCAI_SOURCE/profiles, else the source tree's profiles/ (a new reference). */
json_t *photo_checks_profile_config(const char *name, err_t *err);

#endif
