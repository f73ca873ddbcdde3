/* The reference photos ZIP: matching by student number and by the roster's photo
 * column, and each hostile entry refused with its own reason: path tricks, non-JPEG content behind
 * a .jpg name, other extensions, names not in the roster, two photos for one student, an empty
 * file, a photo too large once inflated, an entry that deflated like no JPEG does, a bomb over
 * the total, huge and tiny pixel sizes, a
 * forged size header; folders and macOS metadata skipped; not a ZIP at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "identity/reference_zip.h"
#include "zip_write.h"

/* A JPEG header the marker walk accepts (SOI, SOF0 with the size, SOS, a little data, EOI): the
 * reader measures photos from their markers, never decodes them. */
static size_t make_jpeg(int w, int h, uint8_t *out) {
  static const uint8_t sos[] = {0xFF, 0xDA, 0x00, 0x0C, 0x03, 1, 0, 2, 0x11, 3, 0x11, 0x00, 0x3F, 0x00, 0x12, 0x34};
  size_t n = 0;
  out[n++] = 0xFF, out[n++] = 0xD8;
  const uint8_t sof[] = {
      0xFF, 0xC0, 0x00, 0x11, 0x08, (uint8_t)(h >> 8), (uint8_t)h, (uint8_t)(w >> 8), (uint8_t)w, 0x03, 1, 0x22, 0, 2,
      0x11, 1,    3,    0x11, 1};
  memcpy(out + n, sof, sizeof sof);
  n += sizeof sof;
  memcpy(out + n, sos, sizeof sos);
  n += sizeof sos;
  out[n++] = 0xFF, out[n++] = 0xD9;
  return n;
}

/* Deflated, as office software writes them; every member must be taken. */
static void write_zip(const char *path, const zip_member *e, int n) {
  assert_int_equal(zip_write_file(path, e, n, ZIP_WRITE_DEFLATE), n);
}

static void add_row(roster_parsed *p, const char *no, const char *photo_file, int line) {
  if (p->n_rows == p->cap_rows) {
    p->cap_rows = p->cap_rows ? p->cap_rows * 2 : 8;
    p->rows = realloc(p->rows, (size_t)p->cap_rows * sizeof *p->rows);
    assert_non_null(p->rows);
  }
  roster_row *r = &p->rows[p->n_rows++];
  memset(r, 0, sizeof *r);
  r->line = line;
  snprintf(r->student_no, sizeof r->student_no, "%s", no);
  snprintf(r->photo_file, sizeof r->photo_file, "%s", photo_file ? photo_file : "");
}

static const char *reason_of(const reference_zip *rz, const char *file) {
  for (int i = 0; i < rz->n_errors; i++)
    if (!strcmp(rz->errors[i].file, file)) return rz->errors[i].reason;
  return NULL;
}

static const reference_photo *photo_of(const reference_zip *rz, const roster_parsed *p, const char *no) {
  for (int i = 0; i < rz->n_photos; i++)
    if (!strcmp(p->rows[rz->photos[i].row].student_no, no)) return &rz->photos[i];
  return NULL;
}

static char tmp_path[64];
static int setup(void **state) {
  (void)state;
  snprintf(tmp_path, sizeof tmp_path, "/tmp/tucai-refzip-XXXXXX");
  int fd = mkstemp(tmp_path);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}
static int teardown(void **state) {
  (void)state;
  unlink(tmp_path);
  return 0;
}

static void test_matching(void **state) {
  (void)state;
  uint8_t jpg[64];
  size_t jl = make_jpeg(480, 640, jpg);
  zip_member e[] = {{"photos/", NULL, 0},  {"photos/2024001.jpg", jpg, jl},           {"2024002.JPEG", jpg, jl},
                    {"张三.jpg", jpg, jl}, {"__MACOSX/photos/._2024001.jpg", "x", 1}, {"photos/.DS_Store.jpg", "x", 1}};
  write_zip(tmp_path, e, 6);
  roster_parsed p = {0};
  add_row(&p, "2024001", NULL, 2);
  add_row(&p, "2024002", NULL, 3);
  add_row(&p, "2024003", "张三.jpg", 4);
  add_row(&p, "2024004", NULL, 5); /* no photo: not an error */
  reference_zip rz;
  err_t err = {0};
  assert_int_equal(reference_zip_open(tmp_path, &p, &rz, &err), 0);
  assert_int_equal(rz.n_errors_total, 0);
  assert_int_equal(rz.n_photos, 3);
  assert_int_equal(rz.n_skipped, 3);
  assert_string_equal(photo_of(&rz, &p, "2024001")->file, "photos/2024001.jpg");
  assert_string_equal(photo_of(&rz, &p, "2024003")->file, "张三.jpg");
  assert_null(photo_of(&rz, &p, "2024004"));
  uint8_t *bytes = NULL;
  size_t len = 0;
  assert_int_equal(reference_zip_read(&rz, 1, &bytes, &len, &err), 0);
  assert_int_equal(len, jl);
  assert_memory_equal(bytes, jpg, jl);
  free(bytes);
  reference_zip_close(&rz);
  free(p.rows);
}

static void test_hostile_entries(void **state) {
  (void)state;
  uint8_t jpg[64], huge[64], tiny[64];
  size_t jl = make_jpeg(480, 640, jpg), hl = make_jpeg(6001, 6001, huge), tl = make_jpeg(20, 20, tiny);
  size_t big = REF_MAX_PHOTO_BYTES + 1;
  uint8_t *zeros = calloc(1, big);
  assert_non_null(zeros);
  memcpy(zeros, jpg, jl);
  zip_member e[] = {{"../2024001.jpg", jpg, jl}, {"/abs/2024001.jpg", jpg, jl},
                    {"a\\2024001.jpg", jpg, jl}, {"2024002.jpg", "%PDF-1.4 not a photo", 20},
                    {"2024003.png", jpg, jl},    {"2099999.jpg", jpg, jl},
                    {"2024004.jpg", jpg, jl},    {"dup/2024004.jpg", jpg, jl},
                    {"2024005.jpg", "", 0},      {"2024006.jpg", zeros, big},
                    {"2024007.jpg", huge, hl},   {"2024009.jpg", zeros, 1u << 20},
                    {"2024008.jpg", tiny, tl}};
  int n = (int)(sizeof e / sizeof e[0]);
  write_zip(tmp_path, e, n);
  roster_parsed p = {0};
  const char *nos[] = {"2024001", "2024002", "2024003", "2024004", "2024005", "2024006", "2024007", "2024008"};
  for (int i = 0; i < 8; i++) add_row(&p, nos[i], NULL, i + 2);
  add_row(&p, "2024009", NULL, 10);
  add_row(&p, "2024010", "missing.jpg", 11);
  reference_zip rz;
  err_t err = {0};
  assert_int_equal(reference_zip_open(tmp_path, &p, &rz, &err), 0);
  assert_non_null(strstr(reason_of(&rz, "../2024001.jpg"), "“..”"));
  assert_non_null(strstr(reason_of(&rz, "/abs/2024001.jpg"), "绝对路径"));
  assert_non_null(reason_of(&rz, "a\\2024001.jpg"));
  assert_non_null(strstr(reason_of(&rz, "2024002.jpg"), "不是 JPEG"));
  assert_non_null(strstr(reason_of(&rz, "2024003.png"), "只接受 JPEG"));
  assert_non_null(strstr(reason_of(&rz, "2099999.jpg"), "名单中没有学号为“2099999”"));
  assert_non_null(strstr(reason_of(&rz, "dup/2024004.jpg"), "不止一张"));
  assert_non_null(strstr(reason_of(&rz, "2024005.jpg"), "为空"));
  assert_non_null(strstr(reason_of(&rz, "2024006.jpg"), "过大"));
  assert_non_null(strstr(reason_of(&rz, "2024007.jpg"), "尺寸过大"));
  assert_non_null(strstr(reason_of(&rz, "2024008.jpg"), "太小"));
  assert_non_null(strstr(reason_of(&rz, "2024009.jpg"), "压缩比异常"));
  assert_non_null(strstr(reason_of(&rz, "missing.jpg"), "不在压缩包中"));
  assert_int_equal(rz.n_errors_total, 13);
  assert_int_equal(rz.n_photos, 1); /* only the first 2024004.jpg */
  for (int i = 0; i < rz.n_errors; i++)
    if (!strcmp(rz.errors[i].file, "missing.jpg")) assert_int_equal(rz.errors[i].line, 11);
  reference_zip_close(&rz);
  free(p.rows);
  free(zeros);
}

/* Rewrites the uncompressed size `from` to `to` in every local and central header of the file
 * (how a bomb or a forged header looks to the reader); returns how many fields changed. */
static int patch_sizes(const char *path, uint32_t from, uint32_t to) {
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc((size_t)n);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  int patched = 0;
  for (long i = 0; i + 30 < n; i++) {
    uint32_t sig =
        (uint32_t)buf[i] | (uint32_t)buf[i + 1] << 8 | (uint32_t)buf[i + 2] << 16 | (uint32_t)buf[i + 3] << 24;
    long off = sig == 0x04034b50 ? 22 : sig == 0x02014b50 ? 24 : 0; /* the uncompressed size field */
    if (!off) continue;
    uint8_t *q = buf + i + off;
    uint32_t v = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
    if (v != from) continue;
    for (int k = 0; k < 4; k++) q[k] = (uint8_t)(to >> (8 * k));
    patched++;
  }
  fseek(f, 0, SEEK_SET);
  fwrite(buf, 1, (size_t)n, f);
  fclose(f);
  free(buf);
  return patched;
}

/* A bomb: more than REF_MAX_TOTAL_BYTES declared is refused before anything is inflated. Two
 * entries of zeros, each declaring 768 MB (what a deflated bomb declares). */
static void test_bomb_and_not_a_zip(void **state) {
  (void)state;
  roster_parsed p = {0};
  add_row(&p, "2024001", NULL, 2);
  size_t each = 1u << 20;
  uint8_t *zeros = calloc(1, each);
  assert_non_null(zeros);
  zip_member e[] = {{"a.jpg", zeros, each}, {"b.jpg", zeros, each}};
  write_zip(tmp_path, e, 2);
  free(zeros);
  assert_int_equal(patch_sizes(tmp_path, (uint32_t)each, 768u * 1024 * 1024), 4);
  reference_zip rz;
  err_t err = {0};
  assert_int_equal(reference_zip_open(tmp_path, &p, &rz, &err), -1);
  assert_int_equal(err.status, 413);
  assert_string_equal(err.code, "reference_zip_too_large");
  reference_zip_close(&rz);

  FILE *f = fopen(tmp_path, "wb");
  fputs("PK\x03\x04 but nothing else", f);
  fclose(f);
  err_clear(&err);
  assert_int_equal(reference_zip_open(tmp_path, &p, &rz, &err), -1);
  assert_int_equal(err.status, 400);
  assert_string_equal(err.code, "reference_zip_format");
  reference_zip_close(&rz);
  free(p.rows);
}

/* A header that under-states the size: the stream runs longer than declared, so it is corrupt,
 * and the reader never holds more than the declared size plus one byte. */
static void test_forged_size(void **state) {
  (void)state;
  uint8_t jpg[64];
  size_t jl = make_jpeg(480, 640, jpg);
  zip_member e[] = {{"2024001.jpg", jpg, jl}};
  write_zip(tmp_path, e, 1);
  assert_int_equal(patch_sizes(tmp_path, (uint32_t)jl, (uint32_t)jl - 4), 2);
  roster_parsed p = {0};
  add_row(&p, "2024001", NULL, 2);
  reference_zip rz;
  err_t err = {0};
  int rc = reference_zip_open(tmp_path, &p, &rz, &err);
  /* Either libzip's consistency check refuses the archive, or the entry is corrupt: never a photo. */
  if (rc == 0) {
    assert_int_equal(rz.n_photos, 0);
    assert_non_null(strstr(reason_of(&rz, "2024001.jpg"), "损坏"));
  } else {
    assert_int_equal(err.status, 400);
  }
  reference_zip_close(&rz);
  free(p.rows);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_matching, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hostile_entries, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bomb_and_not_a_zip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_forged_size, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
