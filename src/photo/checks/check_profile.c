/* check_profile.c: a profile's "checks" object, by the profile's name (see checks.h). */
#include <stdio.h>
#include <string.h>

#include "photo/checks/checks.h"
#include "photo/photo.h"

static int valid_name(const char *s) {
  if (!*s || strlen(s) > 48) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) return 0;
  return 1;
}

json_t *photo_checks_profile_config(const char *name, err_t *err) {
  if (!valid_name(name)) {
    err_set(err, 400, "bad_profile", "profile names are [a-z0-9-]+");
    return NULL;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.json", photo_default_profiles_dir(), name);
  json_error_t je;
  json_t *p = json_load_file(path, 0, &je);
  if (!p) {
    err_set(err, 404, "unknown_profile", "profile %s: %s", name, je.text);
    return NULL;
  }
  json_t *checks = json_object_get(p, "checks");
  if (!json_is_object(checks)) {
    json_decref(p);
    err_set(err, 500, "bad_profile", "profile %s has no \"checks\" object", name);
    return NULL;
  }
  json_incref(checks);
  json_decref(p);
  return checks;
}
