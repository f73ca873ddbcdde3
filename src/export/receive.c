/* receive.c: verifying and checking an export package (see receive.h). */
#include "export/receive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "export/jpeg_info.h"
#include "export/manifest.h"
#include "export/package.h"
#include "photo/photo.h"
#include "util/xmalloc.h"

#define MAX_MEMBER (16u * 1024 * 1024)
#define MAX_MEMBERS 200000

typedef struct member {
  char name[100];
  char sha[65];
  uint8_t *keep; /* bytes kept for writing out / parsing (manifests, photos when out_dir) */
  size_t len;
} member;

typedef struct ctx {
  const receive_opts *o;
  const photo_profile *profile;
  member *m;
  int n, cap;
  json_t *errors;
  int photos_ok;
} ctx;

static void problem(ctx *c, const char *file, const char *code, const char *message) {
  json_array_append_new(c->errors, json_pack("{s:s,s:s,s:s}", "file", file, "code", code, "message", message));
}

static member *find(ctx *c, const char *name) {
  for (int i = 0; i < c->n; i++)
    if (!strcmp(c->m[i].name, name)) return &c->m[i];
  return NULL;
}

/* A photo against the standard; appends problems, returns 1 when it conforms. */
static int check_photo(ctx *c, const char *name, const uint8_t *p, size_t len) {
  const photo_profile *pr = c->profile;
  jpeg_info ji;
  char msg[256];
  if (jpeg_info_read(p, len, &ji) < 0) {
    problem(c, name, "not_jpeg", "not a well-formed JPEG file");
    return 0;
  }
  int ok = 1;
  if (ji.width != pr->width || ji.height != pr->height) {
    snprintf(msg, sizeof msg, "%dx%d pixels, the standard is %dx%d", ji.width, ji.height, pr->width, pr->height);
    problem(c, name, "wrong_size", msg);
    ok = 0;
  }
  if (jpeg_info_dpi(&ji) != pr->dpi) {
    snprintf(msg, sizeof msg, "%d dpi, the standard is %d", jpeg_info_dpi(&ji), pr->dpi);
    problem(c, name, "wrong_dpi", msg);
    ok = 0;
  }
  if (ji.components != 3) {
    problem(c, name, "not_rgb", "not a 24-bit colour photo");
    ok = 0;
  }
  if ((long)len < pr->min_bytes || (long)len > pr->max_bytes) {
    snprintf(msg, sizeof msg, "%zu bytes, the standard is %ld-%ld", len, pr->min_bytes, pr->max_bytes);
    problem(c, name, "wrong_bytes", msg);
    ok = 0;
  }
  return ok;
}

static int on_file(void *vc, const char *name, const uint8_t *data, size_t len, err_t *err) {
  ctx *c = vc;
  if (find(c, name)) return err_set(err, 422, "bad_archive", "member %s appears twice", name);
  if (c->n >= MAX_MEMBERS) return err_set(err, 422, "bad_archive", "too many members");
  int is_photo = !strncmp(name, "photos/", 7) && strlen(name) > 11 && !strcmp(name + strlen(name) - 4, ".jpg") &&
                 !strchr(name + 7, '/');
  int is_meta = !strcmp(name, "package.json") || !strcmp(name, "manifest.csv") || !strcmp(name, "manifest.xlsx");
  if (!is_photo && !is_meta) {
    problem(c, name, "unexpected_file", "file not allowed in a package");
    return 0;
  }
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 256;
    c->m = xreallocarray(c->m, (size_t)cap, sizeof *c->m);
    c->cap = cap;
  }
  member *m = &c->m[c->n++];
  memset(m, 0, sizeof *m);
  snprintf(m->name, sizeof m->name, "%s", name);
  sha256_hex(data, len, m->sha);
  m->len = len;
  if (is_meta || c->o->out_dir) {
    m->keep = xmalloc(len);
    memcpy(m->keep, data, len);
  }
  if (is_photo && check_photo(c, name, data, len)) c->photos_ok++;
  return 0;
}

static int write_out(const char *dir, const member *m, err_t *err) {
  char path[2048];
  snprintf(path, sizeof path, "%s/%s", dir, m->name);
  char *slash = strrchr(path, '/');
  *slash = 0;
  if (mkdir(path, 0700) != 0 && errno != EEXIST) return err_set(err, 0, "out_dir", "cannot create %s", path);
  *slash = '/';
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(m->keep, 1, m->len, f) != m->len) {
    if (f) fclose(f);
    return err_set(err, 0, "out_dir", "cannot write %s", path);
  }
  return fclose(f) == 0 ? 0 : err_set(err, 0, "out_dir", "cannot write %s", path);
}

/* Cross-checks package.json, the manifests and the photos. */
static void cross_check(ctx *c, json_t *receipt) {
  member *pj = find(c, "package.json"), *csv = find(c, "manifest.csv"), *xlsx = find(c, "manifest.xlsx");
  if (!pj || !csv || !xlsx) {
    problem(c, !pj ? "package.json" : !csv ? "manifest.csv" : "manifest.xlsx", "missing_file", "required file missing");
    return;
  }
  json_error_t je;
  json_t *meta = json_loadb((const char *)pj->keep, pj->len, JSON_REJECT_DUPLICATES, &je);
  const char *csv_sha = json_string_value(json_object_get(meta, "manifest_csv_sha256"));
  const char *xlsx_sha = json_string_value(json_object_get(meta, "manifest_xlsx_sha256"));
  json_t *count = json_object_get(meta, "count");
  if (!json_is_object(meta) || !csv_sha || !xlsx_sha || !json_is_integer(count)) {
    problem(c, "package.json", "bad_metadata", "package.json is not valid");
    json_decref(meta);
    return;
  }
  json_object_set(receipt, "batch", json_object_get(meta, "batch"));
  if (strcmp(csv_sha, csv->sha) != 0)
    problem(c, "manifest.csv", "sha256_mismatch", "manifest.csv does not match package.json");
  if (strcmp(xlsx_sha, xlsx->sha) != 0)
    problem(c, "manifest.xlsx", "sha256_mismatch", "manifest.xlsx does not match package.json");
  manifest man;
  err_t e = {0};
  if (manifest_parse_csv(csv->keep, csv->len, &man, &e) < 0) {
    problem(c, "manifest.csv", e.code, e.message);
    json_decref(meta);
    return;
  }
  int photos = 0;
  for (int i = 0; i < c->n; i++) photos += !strncmp(c->m[i].name, "photos/", 7);
  if (json_integer_value(count) != man.n || man.n != photos) {
    char msg[160];
    snprintf(msg, sizeof msg, "package.json says %lld photos, the manifest lists %d, the package holds %d",
             (long long)json_integer_value(count), man.n, photos);
    problem(c, "manifest.csv", "count_mismatch", msg);
  }
  int verified = 0;
  for (int r = 0; r < man.n; r++) {
    const manifest_row *row = &man.rows[r];
    char want[100], path[100];
    snprintf(want, sizeof want, "%.40s.jpg", row->number);
    snprintf(path, sizeof path, "photos/%.60s", row->file);
    if (strcmp(want, row->file) != 0) {
      problem(c, row->file, "bad_file_name", "file name is not the student's number");
      continue;
    }
    for (int k = 0; k < r; k++)
      if (!strcmp(man.rows[k].file, row->file)) problem(c, row->file, "duplicate_row", "listed twice in the manifest");
    member *m = find(c, path);
    if (!m) {
      problem(c, row->file, "missing_photo", "listed in the manifest but not in the package");
      continue;
    }
    if (strcmp(m->sha, row->sha256) != 0) {
      problem(c, row->file, "sha256_mismatch", "the photo does not match its SHA-256 in the manifest");
      continue;
    }
    verified++;
  }
  for (int i = 0; i < c->n; i++) {
    if (strncmp(c->m[i].name, "photos/", 7) != 0) continue;
    int listed = 0;
    for (int r = 0; r < man.n && !listed; r++) listed = !strcmp(man.rows[r].file, c->m[i].name + 7);
    if (!listed) problem(c, c->m[i].name, "unlisted_photo", "photo not listed in the manifest");
  }
  json_object_set_new(receipt, "photos", json_integer(photos));
  json_object_set_new(receipt, "verified", json_integer(verified));
  json_object_set_new(receipt, "conforming", json_integer(c->photos_ok));
  manifest_free(&man);
  json_decref(meta);
}

json_t *registry_receive(const char *package_path, const receive_opts *o, err_t *err) {
  photo_profile *pr = photo_profile_load(o->profiles_dir, o->profile, err);
  if (!pr) return NULL;
  ctx c = {.o = o, .profile = pr, .errors = json_array()};
  package_info info;
  json_t *receipt = NULL;
  if (package_open(package_path, o->key_dir, MAX_MEMBER, on_file, &c, &info, err) == 0) {
    receipt = json_pack("{s:s,s:I,s:s,s:s,s:I,s:s}", "package_sha256", info.sha256, "bytes", (json_int_t)info.bytes,
                        "signer_kid", info.signer_kid, "seal_kid", info.seal_kid, "created_at",
                        (json_int_t)info.created_at_ms, "standard", pr->name);
    cross_check(&c, receipt);
    int ok = json_array_size(c.errors) == 0;
    if (ok && o->out_dir) {
      for (int i = 0; i < c.n && ok; i++)
        if (write_out(o->out_dir, &c.m[i], err) < 0) ok = 0;
      if (!ok) {
        json_decref(receipt);
        receipt = NULL;
      }
    }
    if (receipt) {
      json_object_set_new(receipt, "signature", json_string("valid"));
      json_object_set(receipt, "errors", c.errors);
      json_object_set_new(receipt, "ok", json_boolean(ok));
    }
  }
  for (int i = 0; i < c.n; i++) free(c.m[i].keep);
  free(c.m);
  json_decref(c.errors);
  photo_profile_free(pr);
  return receipt;
}
