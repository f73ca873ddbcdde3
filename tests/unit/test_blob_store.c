/* The blob store on both backends and both databases: round trips (empty, small, several chunks,
 * from a file), nothing in the clear at rest, tampering and truncation detected, delete destroys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob.h"
#include "testdb.h"

static void fill(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 7 + (i >> 9));
}

/* Finds the one file under dir/blobs/xx/ and returns its path. */
static int find_blob_file(const char *dir, char *out, size_t n) { /* out: 2048 bytes */
  char d[1024];
  snprintf(d, sizeof d, "%s/blobs", dir);
  DIR *top = opendir(d);
  struct dirent *e;
  int found = 0;
  while (top && (e = readdir(top))) {
    if (e->d_name[0] == '.' || !strcmp(e->d_name, "tmp")) continue;
    char sub[1400];
    snprintf(sub, sizeof sub, "%.1023s/%.255s", d, e->d_name);
    DIR *s = opendir(sub);
    struct dirent *f;
    while (s && (f = readdir(s)))
      if (f->d_name[0] != '.') snprintf(out, n, "%s/%s", sub, f->d_name), found = 1;
    if (s) closedir(s);
  }
  if (top) closedir(top);
  return found;
}

static void run(enum testdb_kind kind, const char *backend) {
  store_t *st = testdb_open(kind, NULL);
  char *dir = testdb_tmpdir();
  err_t err = {0};
  blob_store *bs = blob_store_open(backend, dir, &err);
  assert_non_null(bs);
  db_t *db = store_get(st, &err);
  size_t sizes[] = {0, 1, 65535, 65536, 65537, 300000};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    uint8_t *p = malloc(sizes[k] + 1);
    fill(p, sizes[k]);
    int64_t id = 0;
    assert_int_equal(blob_put(bs, db, p, sizes[k], "original", &id, &err), 0);
    uint8_t *back = NULL;
    size_t len = 99;
    assert_int_equal(blob_get(bs, db, id, &back, &len, &err), 0);
    assert_int_equal(len, sizes[k]);
    if (len) assert_memory_equal(back, p, len);
    free(back);
    free(p);
    assert_int_equal(blob_delete(bs, db, id, &err), 0);
    assert_int_equal(blob_get(bs, db, id, &back, &len, &err), -1);
    assert_int_equal(err.status, 404);
    err_clear(&err);
  }
  /* From a file, streamed; then at rest the plaintext is nowhere. */
  char path[1100];
  snprintf(path, sizeof path, "%s/in.bin", dir);
  uint8_t *p = malloc(200000);
  fill(p, 200000);
  memcpy(p + 1000, "SECRET-PHOTO-BYTES", 18);
  FILE *f = fopen(path, "wb");
  fwrite(p, 1, 200000, f);
  fclose(f);
  int64_t id = 0;
  assert_int_equal(blob_put_file(bs, db, path, "original", &id, &err), 0);
  char kind_out[24];
  assert_int_equal(blob_kind(db, id, kind_out, &err), 0);
  assert_string_equal(kind_out, "original");
  uint8_t *back = NULL;
  size_t len = 0;
  assert_int_equal(blob_get(bs, db, id, &back, &len, &err), 0);
  assert_int_equal(len, 200000);
  assert_memory_equal(back, p, len);
  free(back);
  if (!strcmp(backend, "dir")) {
    char file[2048];
    assert_true(find_blob_file(dir, file, sizeof file));
    f = fopen(file, "r+b");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    uint8_t *c = malloc((size_t)n);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fread(c, 1, (size_t)n, f), (size_t)n);
    assert_null(memmem(c, (size_t)n, "SECRET-PHOTO-BYTES", 18));
    /* Flip one byte in the middle: authentication fails. */
    c[n / 2] ^= 1;
    fseek(f, 0, SEEK_SET);
    fwrite(c, 1, (size_t)n, f);
    fclose(f);
    assert_int_equal(blob_get(bs, db, id, &back, &len, &err), -1);
    assert_string_equal(err.code, "blob_corrupt");
    err_clear(&err);
    /* Truncated after a whole chunk: the missing FINAL tag is noticed. */
    c[n / 2] ^= 1;
    f = fopen(file, "wb");
    fwrite(c, 1, 4 + 24 + 65536 + 17, f);
    fclose(f);
    assert_int_equal(blob_get(bs, db, id, &back, &len, &err), -1);
    assert_string_equal(err.code, "blob_corrupt");
    err_clear(&err);
    free(c);
  } else {
    db_res *r = db_query(db, &err, "SELECT data FROM blob_data WHERE blob_id = $1", DB_INT(id));
    size_t n = 0;
    const void *c = db_res_blob(r, 0, 0, &n);
    assert_true(n > 200000);
    assert_null(memmem(c, n, "SECRET-PHOTO-BYTES", 18));
    db_res_free(r);
  }
  free(p);
  assert_int_equal(blob_get(bs, db, 424242, &back, &len, &err), -1);
  assert_int_equal(err.status, 404);
  store_put(st, db);
  blob_store_close(bs);
  store_close(st);
  free(dir);
}

static void dir_backend_sqlite(void **s) { (void)s; run(TESTDB_SQLITE, "dir"); }
static void db_backend_sqlite(void **s) { (void)s; run(TESTDB_SQLITE, "db"); }
static void dir_backend_postgres(void **s) { (void)s; run(TESTDB_POSTGRES, "dir"); }
static void db_backend_postgres(void **s) { (void)s; run(TESTDB_POSTGRES, "db"); }

static void unknown_backend_refused(void **s) {
  (void)s;
  err_t err = {0};
  assert_null(blob_store_open("s3", "/tmp", &err));
  assert_string_equal(err.code, "blob_backend");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(dir_backend_sqlite), cmocka_unit_test(db_backend_sqlite),
                                     cmocka_unit_test(dir_backend_postgres), cmocka_unit_test(db_backend_postgres),
                                     cmocka_unit_test(unknown_backend_refused)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
