/* receive: the registry's side of an export package (`tucai registry receive`).
 *
 * Verifies the signature, opens the package, and checks every member: package.json names the
 * manifests' SHA-256; every manifest.csv row must match a photo whose SHA-256 it states, and
 * every photo must be listed; every photo must meet the photo standard (JPEG, profile's pixel
 * size, dpi and byte range). The result is a receipt (JSON) listing every problem found, so one
 * run tells the sender everything to fix. */
#ifndef TUCAI_EXPORT_RECEIVE_H
#define TUCAI_EXPORT_RECEIVE_H

#include <jansson.h>

#include "util/err.h"

typedef struct receive_opts {
  const char *key_dir;      /* seal.key + trusted operator *.pub */
  const char *profiles_dir; /* photo profiles */
  const char *profile;      /* the standard the registry holds photos to (e.g. chsi-blue) */
  const char *out_dir;      /* NULL, or where to write the photos and manifests once all checks pass */
} receive_opts;

/* Returns the receipt (new reference) with "ok": true/false; NULL with err when the package could
 * not be verified or opened at all (bad signature, wrong key, tampering, bad archive). */
json_t *registry_receive(const char *package_path, const receive_opts *o, err_t *err);

#endif
