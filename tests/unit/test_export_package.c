/* Export packages: a package written by the operator opens at the registry with every photo and
 * the manifest verified; a byte flipped anywhere in the package file is refused; a package whose
 * contents were changed before signing (a photo, the manifest, package.json) is opened but every
 * mismatch is reported; photos off the standard (size, dpi, bytes) are reported; a package signed
 * by an untrusted key or sealed to another registry key is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <vips/vips.h>

#include "export/jpeg_info.h"
#include "export/keys.h"
#include "export/manifest.h"
#include "export/package.h"
#include "export/receive.h"
#include "export/tar.h"
#include "identity/code.h"
#include "testdb.h"

static char *dir, *keydir, *profiles;
static operator_key op;
static uint8_t seal_pk[32];
static char seal_kid[EXPORT_KID_LEN + 1];

/* A JPEG of w x h at dpi whose size lands in the profile's range (noise makes it big enough). */
static uint8_t *make_jpeg(int w, int h, int dpi, int quality, size_t *len) {
  uint8_t *px = malloc((size_t)w * h * 3);
  uint32_t s = 12345;
  for (size_t i = 0; i < (size_t)w * h * 3; i++) {
    s = s * 1103515245u + 12345u;
    px[i] = (uint8_t)(100 + ((s >> 16) % 40) + (i / 3 % (size_t)w) / 8);
  }
  VipsImage *im = vips_image_new_from_memory(px, (size_t)w * h * 3, w, h, 3, VIPS_FORMAT_UCHAR);
  VipsImage *res = NULL;
  vips_copy(im, &res, "xres", dpi / 25.4, "yres", dpi / 25.4, NULL);
  void *buf = NULL;
  assert_int_equal(vips_jpegsave_buffer(res, &buf, len, "Q", quality, "strip", TRUE, NULL), 0);
  g_object_unref(res);
  g_object_unref(im);
  free(px);
  /* As the engine's encoder does: stripped, then a JFIF APP0 with the density in dots per inch. */
  uint8_t jfif[18] = {
      0xFF,         0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 1, (uint8_t)(dpi >> 8), (uint8_t)dpi, (uint8_t)(dpi >> 8),
      (uint8_t)dpi, 0,    0};
  uint8_t *out = malloc(*len + 18);
  memcpy(out, buf, 2);
  memcpy(out + 2, jfif, 18);
  memcpy(out + 20, (uint8_t *)buf + 2, *len - 2);
  *len += 18;
  g_free(buf);
  return out;
}

typedef struct pkg_spec {
  int n;
  int flip_photo;     /* index of a photo whose bytes change after the manifest was made (-1 none) */
  int flip_manifest;  /* 1: one byte of the manifest changes after package.json was made */
  int bad_size;       /* index of a photo of the wrong pixel size (-1 none) */
  int extra_unlisted; /* 1: one more photo not in the manifest */
} pkg_spec;

static uint8_t *photo_for(int i, int bad_size, size_t *len) {
  static uint8_t *good;
  static size_t good_len;
  if (i == bad_size) return make_jpeg(400, 600, 300, 85, len);
  if (!good) good = make_jpeg(480, 640, 300, 60, &good_len);
  uint8_t *p = malloc(good_len);
  memcpy(p, good, good_len);
  *len = good_len;
  return p;
}

static void write_package(const char *path, const pkg_spec *sp, const operator_key *signer) {
  err_t err = {0};
  remove(path);
  package_writer *w = package_writer_open(path, seal_pk, seal_kid, signer, 1700000000000, &err);
  assert_non_null(w);
  manifest m = {0};
  for (int i = 0; i < sp->n; i++) {
    size_t len;
    uint8_t *p = photo_for(i, sp->bad_size, &len);
    manifest_row r = {0};
    snprintf(r.number, sizeof r.number, "2023%04d", i);
    snprintf(r.name_masked, sizeof r.name_masked, "张*");
    snprintf(r.college, sizeof r.college, i % 2 ? "计算机学院" : "数学学院, 统计系");
    snprintf(r.file, sizeof r.file, "%s.jpg", r.number);
    sha256_hex(p, len, r.sha256);
    if (i == sp->flip_photo) p[len / 2] ^= 0x01;
    char name[100];
    snprintf(name, sizeof name, "photos/%s", r.file);
    assert_int_equal(package_add_file(w, name, p, len, &err), 0);
    free(p);
    manifest_add(&m, &r);
  }
  if (sp->extra_unlisted) {
    size_t len;
    uint8_t *p = photo_for(0, -1, &len);
    assert_int_equal(package_add_file(w, "photos/99999999.jpg", p, len, &err), 0);
    free(p);
  }
  uint8_t *csv, *xlsx;
  size_t cl, xl;
  assert_int_equal(manifest_csv(&m, &csv, &cl, &err), 0);
  assert_int_equal(manifest_xlsx(&m, dir, &xlsx, &xl, &err), 0);
  char cs[65], xs[65];
  sha256_hex(csv, cl, cs);
  sha256_hex(xlsx, xl, xs);
  if (sp->flip_manifest) csv[cl - 10] ^= 0x02;
  assert_int_equal(package_add_file(w, "manifest.csv", csv, cl, &err), 0);
  assert_int_equal(package_add_file(w, "manifest.xlsx", xlsx, xl, &err), 0);
  char meta[512];
  snprintf(meta, sizeof meta,
           "{\"v\":1,\"batch\":{\"id\":1},\"count\":%d,\"manifest_csv_sha256\":\"%s\",\"manifest_xlsx_sha256\":\"%s\"}",
           sp->n, cs, xs);
  assert_int_equal(package_add_file(w, "package.json", (uint8_t *)meta, strlen(meta), &err), 0);
  char sha[65];
  assert_int_equal(package_writer_finish(w, sha, &err), 0);
  free(csv);
  free(xlsx);
  manifest_free(&m);
}

static json_t *receive(const char *path, err_t *err) {
  receive_opts o = {.key_dir = keydir, .profiles_dir = profiles, .profile = "chsi-blue"};
  return registry_receive(path, &o, err);
}

static int has_error(json_t *r, const char *code) {
  json_t *e, *errors = json_object_get(r, "errors");
  size_t i;
  json_array_foreach(errors, i, e) if (!strcmp(json_string_value(json_object_get(e, "code")), code)) return 1;
  return 0;
}

static void test_round_trip(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "%s/good.tcpkg", dir);
  /* 40 photos of ~25 KB: the archive spans many 64 KiB chunks. */
  pkg_spec sp = {.n = 40, .flip_photo = -1, .bad_size = -1};
  write_package(path, &sp, &op);
  err_t err = {0};
  json_t *r = receive(path, &err);
  assert_non_null(r);
  if (!json_is_true(json_object_get(r, "ok"))) {
    char *s = json_dumps(r, 0);
    fprintf(stderr, "%s\n", s);
    free(s);
  }
  assert_true(json_is_true(json_object_get(r, "ok")));
  assert_int_equal(json_integer_value(json_object_get(r, "verified")), 40);
  assert_int_equal(json_integer_value(json_object_get(r, "conforming")), 40);
  json_decref(r);

  /* Every flipped byte of the file is refused: header, sealed key, chunks, signature. */
  FILE *f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *bytes = malloc((size_t)size);
  assert_int_equal(fread(bytes, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  long offsets[] = {3, 10, 20, 150, 200, 300, size / 3, size / 2, size - 100, size - 65, size - 64, size - 1};
  char bad[1024];
  snprintf(bad, sizeof bad, "%s/bad.tcpkg", dir);
  for (size_t k = 0; k < sizeof offsets / sizeof offsets[0]; k++) {
    bytes[offsets[k]] ^= 0x10;
    f = fopen(bad, "wb");
    fwrite(bytes, 1, (size_t)size, f);
    fclose(f);
    bytes[offsets[k]] ^= 0x10;
    err_clear(&err);
    r = receive(bad, &err);
    if (r) fprintf(stderr, "offset %ld accepted\n", offsets[k]);
    assert_null(r);
    assert_true(err.status >= 400);
  }
  /* Truncated and extended files too. */
  f = fopen(bad, "wb");
  fwrite(bytes, 1, (size_t)size - 70, f);
  fclose(f);
  assert_null(receive(bad, &err));
  f = fopen(bad, "wb");
  fwrite(bytes, 1, (size_t)size, f);
  fwrite("x", 1, 1, f);
  fclose(f);
  assert_null(receive(bad, &err));
  free(bytes);
}

static void test_contents_checked(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "%s/c.tcpkg", dir);
  err_t err = {0};
  for (int i = 0; i < 5; i++) {
    pkg_spec sp = {.n = 5, .flip_photo = i, .bad_size = -1};
    write_package(path, &sp, &op);
    json_t *r = receive(path, &err);
    assert_non_null(r);
    assert_false(json_is_true(json_object_get(r, "ok")));
    assert_true(has_error(r, "sha256_mismatch"));
    assert_int_equal(json_integer_value(json_object_get(r, "verified")), 4);
    json_decref(r);
  }
  pkg_spec sm = {.n = 5, .flip_photo = -1, .flip_manifest = 1, .bad_size = -1};
  write_package(path, &sm, &op);
  json_t *r = receive(path, &err);
  assert_non_null(r);
  assert_true(has_error(r, "sha256_mismatch"));
  assert_false(json_is_true(json_object_get(r, "ok")));
  json_decref(r);
  pkg_spec bs = {.n = 3, .flip_photo = -1, .bad_size = 1};
  write_package(path, &bs, &op);
  r = receive(path, &err);
  assert_true(has_error(r, "wrong_size"));
  assert_int_equal(json_integer_value(json_object_get(r, "conforming")), 2);
  json_decref(r);
  pkg_spec ex = {.n = 3, .flip_photo = -1, .bad_size = -1, .extra_unlisted = 1};
  write_package(path, &ex, &op);
  r = receive(path, &err);
  assert_true(has_error(r, "unlisted_photo"));
  assert_true(has_error(r, "count_mismatch"));
  json_decref(r);
}

static void test_untrusted_signer(void **state) {
  (void)state;
  char kp[1024], path[1024];
  snprintf(kp, sizeof kp, "%s/other.key", dir);
  snprintf(path, sizeof path, "%s/u.tcpkg", dir);
  operator_key other;
  err_t err = {0};
  assert_int_equal(operator_key_load(kp, 1, &other, &err), 0);
  pkg_spec sp = {.n = 2, .flip_photo = -1, .bad_size = -1};
  write_package(path, &sp, &other);
  assert_null(receive(path, &err));
  assert_string_equal(err.code, "untrusted_signer");
  /* Same signer id in the header but another key's signature: the header names op's kid. */
  memcpy(other.kid, op.kid, sizeof op.kid);
  write_package(path, &sp, &other);
  err_clear(&err);
  assert_null(receive(path, &err));
  assert_string_equal(err.code, "bad_signature");
}

static void test_jpeg_info(void **state) {
  (void)state;
  size_t len;
  uint8_t *p = make_jpeg(480, 640, 300, 80, &len);
  jpeg_info ji;
  assert_int_equal(jpeg_info_read(p, len, &ji), 0);
  assert_int_equal(ji.width, 480);
  assert_int_equal(ji.height, 640);
  assert_int_equal(jpeg_info_dpi(&ji), 300);
  assert_int_equal(jpeg_info_read(p, len / 2, &ji), -1);
  free(p);
  /* The manifest parser refuses a missing BOM and bad rows; reads quoted fields back. */
  manifest m = {0}, back;
  manifest_row r = {.number = "1", .name_masked = "李*", .college = "a,\"b\"", .file = "1.jpg"};
  memset(r.sha256, 'a', 64);
  manifest_add(&m, &r);
  uint8_t *csv;
  size_t cl;
  err_t err = {0};
  assert_int_equal(manifest_csv(&m, &csv, &cl, &err), 0);
  assert_int_equal(manifest_parse_csv(csv, cl, &back, &err), 0);
  assert_int_equal(back.n, 1);
  assert_string_equal(back.rows[0].college, "a,\"b\"");
  manifest_free(&back);
  assert_int_equal(manifest_parse_csv(csv + 3, cl - 3, &back, &err), -1);
  free(csv);
  manifest_free(&m);
}

int main(void) {
  if (VIPS_INIT("test") || sodium_init() < 0) return 1;
  dir = testdb_tmpdir();
  keydir = malloc(strlen(dir) + 16);
  sprintf(keydir, "%s/registry", dir);
  err_t err = {0};
  if (code_keygen(keydir, &err) < 0) return 1;
  uint8_t sk[32];
  if (registry_seal_key_load(keydir, seal_kid, seal_pk, sk, &err) < 0) return 1;
  char kp[1024];
  snprintf(kp, sizeof kp, "%s/operator.key", dir);
  if (operator_key_load(kp, 1, &op, &err) < 0) return 1;
  char line[128], pubp[1024];
  operator_key_pub_line(&op, line);
  snprintf(pubp, sizeof pubp, "%s/operator.pub", keydir);
  FILE *f = fopen(pubp, "w");
  fprintf(f, "%s\n", line);
  fclose(f);
  const char *src = getenv("TUCAI_SOURCE");
  profiles = malloc(1024);
  snprintf(profiles, 1024, "%s/profiles", src ? src : ".");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jpeg_info),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_contents_checked),
      cmocka_unit_test(test_untrusted_signer),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  free(keydir);
  free(profiles);
  free(dir);
  vips_shutdown();
  return rc;
}
