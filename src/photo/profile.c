/* profile: photo profiles are data (profiles/<name>.json), read once and then shared read-only.
 *
 * A file holds the output size, dpi, background colour, byte range, JPEG quality floor, the
 * geometry bands in output pixels ([lo, hi] pairs; any may be left out), and a free-form "checks"
 * object that belongs to the automatic checks (src/photo/checks). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "photo/photo.h"
#include "util/xmalloc.h"

static int valid_name(const char *s) {
  if (!s || !*s || strlen(s) > 48) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) return 0;
  return 1;
}

static int read_band(json_t *root, const char *key, photo_band *b, err_t *err) {
  json_t *v = json_object_get(root, key);
  b->set = 0;
  if (!v) return 0;
  if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(json_array_get(v, 0)) ||
      !json_is_number(json_array_get(v, 1)))
    return err_set(err, 0, "invalid_profile", "profile field %s must be [lo, hi]", key);
  b->lo = json_number_value(json_array_get(v, 0));
  b->hi = json_number_value(json_array_get(v, 1));
  if (b->lo > b->hi) return err_set(err, 0, "invalid_profile", "profile field %s: lo > hi", key);
  b->set = 1;
  return 0;
}

photo_profile *photo_profile_load(const char *dir, const char *name, err_t *err) {
  if (!valid_name(name)) {
    err_set(err, 400, "unknown_profile", "unknown profile");
    return NULL;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.json", dir, name);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  if (!root) {
    err_set(err, 400, "unknown_profile", "profile %s: %s", name, je.text);
    return NULL;
  }
  photo_profile *p = xcalloc(1, sizeof *p);
  p->json = root;
  snprintf(p->name, sizeof p->name, "%s", name);
  const char *title = json_string_value(json_object_get(root, "title"));
  snprintf(p->title, sizeof p->title, "%s", title ? title : name);
  p->width = (int)json_integer_value(json_object_get(root, "width"));
  p->height = (int)json_integer_value(json_object_get(root, "height"));
  p->dpi = (int)json_integer_value(json_object_get(root, "dpi"));
  json_t *bg = json_object_get(root, "background");
  json_t *bytes = json_object_get(root, "bytes");
  p->min_bytes = (long)json_integer_value(json_object_get(bytes, "min"));
  p->max_bytes = (long)json_integer_value(json_object_get(bytes, "max"));
  json_t *mq = json_object_get(root, "min_quality");
  p->min_quality = mq ? (int)json_integer_value(mq) : 60;
  json_t *ct = json_object_get(root, "center_tolerance");
  p->center_tolerance = ct ? json_number_value(ct) : p->width * 0.02;
  if (p->width < 32 || p->height < 32 || p->width > 4000 || p->height > 4000 || p->dpi < 72 || p->dpi > 1200 ||
      !json_is_array(bg) || json_array_size(bg) != 3 || p->max_bytes < p->min_bytes || p->min_quality > 95) {
    err_set(err, 0, "invalid_profile", "profile %s: bad size, dpi, background or byte range", name);
    photo_profile_free(p);
    return NULL;
  }
  for (int i = 0; i < 3; i++) {
    json_int_t c = json_integer_value(json_array_get(bg, i));
    if (c < 0 || c > 255) {
      err_set(err, 0, "invalid_profile", "profile %s: background out of range", name);
      photo_profile_free(p);
      return NULL;
    }
    p->background[i] = (uint8_t)c;
  }
  json_t *geo = json_object_get(root, "geometry");
  if (read_band(geo, "crown_y", &p->crown_y, err) || read_band(geo, "eye_y", &p->eye_y, err) ||
      read_band(geo, "chin_y", &p->chin_y, err) || read_band(geo, "face_width", &p->face_width, err)) {
    photo_profile_free(p);
    return NULL;
  }
  if (!p->eye_y.set && !p->crown_y.set && !p->chin_y.set) {
    err_set(err, 0, "invalid_profile", "profile %s: no vertical band", name);
    photo_profile_free(p);
    return NULL;
  }
  p->checks = json_object_get(root, "checks");
  if (!p->checks) {
    p->checks = json_object();
    json_object_set_new(root, "checks", p->checks);
  }
  return p;
}

void photo_profile_free(photo_profile *p) {
  if (!p) return;
  json_decref(p->json);
  free(p);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

json_t *photo_profile_list(const char *dir, err_t *err) {
  DIR *d = opendir(dir);
  if (!d) {
    err_set(err, 0, "no_profiles", "cannot open profiles directory %s", dir);
    return NULL;
  }
  char *names[256];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256) {
    size_t l = strlen(e->d_name);
    if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) names[n++] = xstrndup(e->d_name, l - 5);
  }
  closedir(d);
  qsort(names, n, sizeof names[0], cmp_str);
  json_t *arr = json_array();
  for (int i = 0; i < n; i++) {
    err_t e2 = {0};
    photo_profile *p = photo_profile_load(dir, names[i], &e2);
    if (p) {
      json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:i, s:i}", "name", p->name, "title", p->title, "width",
                                           p->width, "height", p->height, "dpi", p->dpi));
      photo_profile_free(p);
    }
    free(names[i]);
  }
  return arr;
}
