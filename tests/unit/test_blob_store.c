/* The blob store on its three backends (dir, db, s3) and both databases: round trips (empty,
 * small, several chunks, from a file), nothing in the clear at rest, tampering and truncation
 * detected, delete destroys. The s3 runs talk to a real Ceph radosgw (the CTest fixture `s3`);
 * then: a wrong secret, a missing bucket and an unreachable server give clear errors and no row,
 * and objects stay readable after switching the backend away from s3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>

#include "blob/blob.h"
#include "testdb.h"
#include "tests3.h"

/* Asserts success, printing the error first when it is not (an S3 failure says why). */
#define OK(call, err)                                                                   \
  do {                                                                                  \
    int rc_ = (call);                                                                   \
    if (rc_ != 0) fprintf(stderr, "%s: %s (%s)\n", #call, (err)->code, (err)->message); \
    assert_int_equal(rc_, 0);                                                           \
  } while (0)

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

/* The bucket's object of a blob id, fetched straight from the server with a client of our own. */
static void s3_object_key(db_t *db, int64_t id, char out[64]) {
  err_t err = {0};
  db_res *r = db_query(db, &err, "SELECT ref, backend FROM blobs WHERE id = $1", DB_INT(id));
  assert_non_null(r);
  assert_string_equal(db_res_text(r, 0, 1), "s3");
  snprintf(out, 64, "%.2s/%.40s", db_res_text(r, 0, 0), db_res_text(r, 0, 0));
  db_res_free(r);
}

static blob_store *open_backend(const char *backend, const char *dir, err_t *err) {
  if (strcmp(backend, "s3")) return blob_store_open(backend, dir, err);
  s3_opts o;
  tests3_opts(&o);
  return blob_store_open_s3("s3", dir, &o, err);
}

static void run(enum testdb_kind kind, const char *backend) {
  store_t *st = testdb_open(kind, NULL);
  char *dir = testdb_tmpdir();
  err_t err = {0};
  blob_store *bs = open_backend(backend, dir, &err);
  assert_non_null(bs);
  db_t *db = store_get(st, &err);
  size_t sizes[] = {0, 1, 65535, 65536, 65537, 300000};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    uint8_t *p = malloc(sizes[k] + 1);
    fill(p, sizes[k]);
    int64_t id = 0;
    OK(blob_put(bs, db, p, sizes[k], "original", &id, &err), &err);
    uint8_t *back = NULL;
    size_t len = 99;
    OK(blob_get(bs, db, id, &back, &len, &err), &err);
    assert_int_equal(len, sizes[k]);
    if (len) assert_memory_equal(back, p, len);
    free(back);
    free(p);
    char key[64] = "";
    if (!strcmp(backend, "s3")) s3_object_key(db, id, key);
    OK(blob_delete(bs, db, id, &err), &err);
    assert_int_equal(blob_get(bs, db, id, &back, &len, &err), -1);
    assert_int_equal(err.status, 404);
    err_clear(&err);
    if (*key) { /* the object itself is gone from the bucket */
      uint8_t *o = NULL;
      size_t ol = 0;
      assert_int_equal(s3_get(blob_store_s3(bs), key, 1 << 20, &o, &ol, &err), -1);
      assert_string_equal(err.code, "s3_not_found");
      err_clear(&err);
    }
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
  OK(blob_put_file(bs, db, path, "original", &id, &err), &err);
  char kind_out[24];
  assert_int_equal(blob_kind(db, id, kind_out, &err), 0);
  assert_string_equal(kind_out, "original");
  uint8_t *back = NULL;
  size_t len = 0;
  OK(blob_get(bs, db, id, &back, &len, &err), &err);
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
  } else if (!strcmp(backend, "s3")) {
    /* The object as the server holds it: ciphertext, the plaintext nowhere; altered or cut short
     * in the bucket, it no longer decrypts. */
    char key[64];
    s3_object_key(db, id, key);
    s3_client *c = blob_store_s3(bs);
    uint8_t *o = NULL;
    size_t n = 0;
    OK(s3_get(c, key, 1 << 20, &o, &n, &err), &err);
    assert_true(n > 200000);
    assert_memory_equal(o, "TBL1", 4);
    assert_null(memmem(o, n, "SECRET-PHOTO-BYTES", 18));
    o[n / 2] ^= 1;
    OK(s3_put(c, key, o, n, &err), &err);
    assert_int_equal(blob_get(bs, db, id, &back, &len, &err), -1);
    assert_string_equal(err.code, "blob_corrupt");
    err_clear(&err);
    o[n / 2] ^= 1;
    OK(s3_put(c, key, o, 4 + 24 + 65536 + 17, &err), &err);
    assert_int_equal(blob_get(bs, db, id, &back, &len, &err), -1);
    assert_string_equal(err.code, "blob_corrupt");
    err_clear(&err);
    /* Longer than the row's size allows: refused while reading, never buffered whole. */
    uint8_t *big = calloc(1, n + 100000);
    memcpy(big, o, n);
    OK(s3_put(c, key, big, n + 100000, &err), &err);
    free(big);
    assert_int_equal(blob_get(bs, db, id, &back, &len, &err), -1);
    assert_string_equal(err.code, "blob_corrupt");
    err_clear(&err);
    /* Gone from the bucket behind our back: missing, not a crash. */
    OK(s3_delete(c, key, &err), &err);
    assert_int_equal(blob_get(bs, db, id, &back, &len, &err), -1);
    assert_string_equal(err.code, "blob_missing");
    err_clear(&err);
    free(o);
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

static void dir_backend_sqlite(void **s) {
  (void)s;
  run(TESTDB_SQLITE, "dir");
}
static void db_backend_sqlite(void **s) {
  (void)s;
  run(TESTDB_SQLITE, "db");
}
static void dir_backend_postgres(void **s) {
  (void)s;
  run(TESTDB_POSTGRES, "dir");
}
static void db_backend_postgres(void **s) {
  (void)s;
  run(TESTDB_POSTGRES, "db");
}
static void s3_backend_sqlite(void **s) {
  (void)s;
  run(TESTDB_SQLITE, "s3");
}
static void s3_backend_postgres(void **s) {
  (void)s;
  run(TESTDB_POSTGRES, "s3");
}

static void unknown_backend_refused(void **s) {
  (void)s;
  err_t err = {0};
  assert_null(blob_store_open("nfs", "/tmp", &err));
  assert_string_equal(err.code, "blob_backend");
  /* s3 without its settings: said at open, not at the first upload. */
  assert_null(blob_store_open("s3", "/tmp", &err));
  assert_string_equal(err.code, "blob_backend");
}

static long rows(db_t *db) {
  err_t err = {0};
  return (long)db_int(db, &err, -1, "SELECT COUNT(*) FROM blobs");
}

/* A wrong secret: the server refuses the signature; the error says so, names no secret, and no
 * row is left behind. */
static void s3_wrong_secret(void **s) {
  (void)s;
  store_t *st = testdb_open(TESTDB_SQLITE, NULL);
  char *dir = testdb_tmpdir();
  s3_opts o;
  tests3_opts(&o);
  char bad[1100];
  snprintf(bad, sizeof bad, "%s/wrong_secret", dir);
  FILE *f = fopen(bad, "w");
  fputs("not-the-secret-0123456789\n", f);
  fclose(f);
  o.secret_key_file = bad;
  err_t err = {0};
  blob_store *bs = blob_store_open_s3("s3", dir, &o, &err);
  assert_non_null(bs);
  db_t *db = store_get(st, &err);
  int64_t id = 0;
  assert_int_equal(blob_put(bs, db, "photo", 5, "original", &id, &err), -1);
  assert_string_equal(err.code, "s3_denied");
  assert_non_null(strstr(err.message, "SignatureDoesNotMatch"));
  assert_null(strstr(err.message, "not-the-secret"));
  assert_int_equal(rows(db), 0);
  err_clear(&err);
  assert_int_equal(s3_probe_bucket(blob_store_s3(bs), &err), -1);
  assert_string_equal(err.code, "s3_denied");
  store_put(st, db);
  blob_store_close(bs);
  store_close(st);
  free(dir);
}

/* A bucket that does not exist; then a server that does not answer at all: retried with pauses
 * (0.2 + 0.6 + 1.8 s), then 503 s3_unavailable, and still no row. */
static void s3_missing_bucket_and_unreachable(void **s) {
  (void)s;
  store_t *st = testdb_open(TESTDB_SQLITE, NULL);
  char *dir = testdb_tmpdir();
  s3_opts o;
  tests3_opts(&o);
  o.bucket = "no-such-bucket";
  err_t err = {0};
  blob_store *bs = blob_store_open_s3("s3", dir, &o, &err);
  assert_non_null(bs);
  assert_int_equal(s3_probe_bucket(blob_store_s3(bs), &err), -1);
  assert_string_equal(err.code, "s3_no_bucket");
  err_clear(&err);
  blob_store_close(bs);
  /* A loopback port that nobody listens on (bound, never listening). */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t al = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &al);
  char ep[64];
  snprintf(ep, sizeof ep, "http://127.0.0.1:%d", ntohs(a.sin_port));
  tests3_opts(&o);
  o.endpoint = ep;
  bs = blob_store_open_s3("s3", dir, &o, &err);
  assert_non_null(bs);
  db_t *db = store_get(st, &err);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int64_t id = 0;
  assert_int_equal(blob_put(bs, db, "photo", 5, "original", &id, &err), -1);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_string_equal(err.code, "s3_unavailable");
  assert_int_equal(err.status, 503);
  assert_non_null(strstr(err.message, "4 tries"));
  assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 2600);
  assert_int_equal(rows(db), 0);
  close(fd);
  store_put(st, db);
  blob_store_close(bs);
  store_close(st);
  free(dir);
}

/* Objects put on S3 stay readable after blob_store goes back to dir, as long as the S3 settings
 * stay; without them the error names what is missing. */
static void s3_switch_away_keeps_reading(void **s) {
  (void)s;
  store_t *st = testdb_open(TESTDB_SQLITE, NULL);
  char *dir = testdb_tmpdir();
  s3_opts o;
  tests3_opts(&o);
  err_t err = {0};
  blob_store *bs = blob_store_open_s3("s3", dir, &o, &err);
  db_t *db = store_get(st, &err);
  int64_t on_s3 = 0, on_dir = 0;
  OK(blob_put(bs, db, "on s3", 5, "original", &on_s3, &err), &err);
  blob_store_close(bs);
  bs = blob_store_open_s3("dir", dir, &o, &err);
  OK(blob_put(bs, db, "on dir", 6, "original", &on_dir, &err), &err);
  uint8_t *b = NULL;
  size_t n = 0;
  OK(blob_get(bs, db, on_s3, &b, &n, &err), &err);
  assert_int_equal(n, 5);
  assert_memory_equal(b, "on s3", 5);
  free(b);
  OK(blob_get(bs, db, on_dir, &b, &n, &err), &err);
  assert_memory_equal(b, "on dir", 6);
  free(b);
  blob_store_close(bs);
  bs = blob_store_open("dir", dir, &err);
  assert_int_equal(blob_get(bs, db, on_s3, &b, &n, &err), -1);
  assert_string_equal(err.code, "blob_s3_config");
  err_clear(&err);
  blob_store_close(bs);
  bs = blob_store_open_s3("dir", dir, &o, &err);
  OK(blob_delete(bs, db, on_s3, &err), &err);
  store_put(st, db);
  blob_store_close(bs);
  store_close(st);
  free(dir);
}

/* Virtual-hosted addressing (<bucket>.<host>, what OSS and COS want): the gateway knows its
 * name (rgw_dns_name = localhost) and curl takes any *.localhost to loopback. */
static void s3_virtual_hosted(void **s) {
  (void)s;
  s3_opts o;
  tests3_opts(&o);
  char ep[300];
  const char *port = strrchr(o.endpoint, ':');
  snprintf(ep, sizeof ep, "http://localhost%s", port);
  o.endpoint = ep;
  o.path_style = 0;
  err_t err = {0};
  curl_global_init(CURL_GLOBAL_DEFAULT);
  s3_client *c = s3_open(&o, &err);
  assert_non_null(c);
  OK(s3_probe_bucket(c, &err), &err);
  OK(s3_put(c, "vh/probe", (const uint8_t *)"virtual", 7, &err), &err);
  /* The same object seen path-style, through the endpoint as the fixture gives it. */
  s3_opts p;
  tests3_opts(&p);
  s3_client *ps = s3_open(&p, &err);
  uint8_t *b = NULL;
  size_t n = 0;
  OK(s3_get(ps, "vh/probe", 100, &b, &n, &err), &err);
  assert_int_equal(n, 7);
  assert_memory_equal(b, "virtual", 7);
  free(b);
  OK(s3_delete(c, "vh/probe", &err), &err);
  assert_int_equal(s3_get(ps, "vh/probe", 100, &b, &n, &err), -1);
  assert_string_equal(err.code, "s3_not_found");
  s3_close(ps);
  s3_close(c);
  curl_global_cleanup();
}

/* A gateway that stops answering for a while (SIGSTOP: connections are accepted by the kernel,
 * nothing answers): the first try runs into the 1 s timeout, a later one succeeds once the
 * gateway runs again; the caller sees only a slower success. */
static void *resume_later(void *arg) {
  usleep(1500 * 1000);
  kill(*(pid_t *)arg, SIGCONT);
  return NULL;
}

static void s3_timeout_retried(void **s) {
  (void)s;
  s3_opts o;
  tests3_opts(&o);
  o.timeout_s = 1;
  char pidfile[1100], buf[32] = "";
  snprintf(pidfile, sizeof pidfile, "%s/run/client.rgw.a.pid", getenv("TUCAI_S3_DIR"));
  FILE *f = fopen(pidfile, "r");
  assert_non_null(f);
  assert_non_null(fgets(buf, sizeof buf, f));
  fclose(f);
  pid_t gw = (pid_t)atoi(buf);
  assert_true(gw > 1);
  err_t err = {0};
  curl_global_init(CURL_GLOBAL_DEFAULT);
  s3_client *c = s3_open(&o, &err);
  assert_non_null(c);
  struct timespec t0, t1;
  pthread_t th;
  assert_int_equal(kill(gw, SIGSTOP), 0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(pthread_create(&th, NULL, resume_later, &gw), 0);
  int rc = s3_put(c, "retry/probe", (const uint8_t *)"patience", 8, &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  pthread_join(th, NULL);
  OK(rc, &err);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  assert_true(ms >= 1000); /* at least one try ran into its timeout */
  uint8_t *b = NULL;
  size_t n = 0;
  OK(s3_get(c, "retry/probe", 100, &b, &n, &err), &err);
  assert_int_equal(n, 8);
  assert_memory_equal(b, "patience", 8);
  free(b);
  OK(s3_delete(c, "retry/probe", &err), &err);
  s3_close(c);
  curl_global_cleanup();
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(dir_backend_sqlite),
                                     cmocka_unit_test(db_backend_sqlite),
                                     cmocka_unit_test(dir_backend_postgres),
                                     cmocka_unit_test(db_backend_postgres),
                                     cmocka_unit_test(s3_backend_sqlite),
                                     cmocka_unit_test(s3_backend_postgres),
                                     cmocka_unit_test(unknown_backend_refused),
                                     cmocka_unit_test(s3_wrong_secret),
                                     cmocka_unit_test(s3_missing_bucket_and_unreachable),
                                     cmocka_unit_test(s3_switch_away_keeps_reading),
                                     cmocka_unit_test(s3_virtual_hosted),
                                     cmocka_unit_test(s3_timeout_retried)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
