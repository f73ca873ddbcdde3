/* Photo store speed per backend: put and get of objects of a student photo's sizes (300 KB, a
 * phone's 3 MB) on dir, db (SQLite) and, when TUCAI_S3_DIR names a running S3 server
 * (tests/support/s3_server.sh; bench/blob.sh starts one), s3. Prints ms per put and per get
 * (median of ROUNDS) and MB/s. Encryption is included: it is what every backend pays.
 *   bench_blob [ROUNDS]   (default 20) */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blob/blob.h"
#include "store/store.h"
#include "tests3.h"
#include "util/vault.h"
#include "util/xmalloc.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void bench(const char *name, blob_store *bs, db_t *db, size_t size, int rounds) {
  uint8_t *p = xmalloc(size);
  randombytes_buf(p, size);
  double *put = xcalloc((size_t)rounds, sizeof *put), *get = xcalloc((size_t)rounds, sizeof *get);
  err_t err = {0};
  for (int i = 0; i < rounds; i++) {
    int64_t id;
    double t0 = now_ms();
    if (blob_put(bs, db, p, size, "original", &id, &err) < 0) {
      printf("%-4s %8zu B: put failed: %s\n", name, size, err.message);
      goto out;
    }
    double t1 = now_ms();
    uint8_t *back;
    size_t len;
    if (blob_get(bs, db, id, &back, &len, &err) < 0) {
      printf("%-4s %8zu B: get failed: %s\n", name, size, err.message);
      goto out;
    }
    double t2 = now_ms();
    free(back);
    blob_delete(bs, db, id, &err);
    put[i] = t1 - t0, get[i] = t2 - t1;
  }
  qsort(put, (size_t)rounds, sizeof *put, cmp);
  qsort(get, (size_t)rounds, sizeof *get, cmp);
  double pm = put[rounds / 2], gm = get[rounds / 2];
  printf("%-4s %8zu B: put %7.2f ms (%6.1f MB/s)   get %7.2f ms (%6.1f MB/s)\n", name, size, pm, size / pm / 1e3, gm,
         size / gm / 1e3);
out:
  free(p);
  free(put);
  free(get);
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 20;
  if (rounds < 1) rounds = 1;
  if (sodium_init() < 0) return 1;
  uint8_t key[32];
  randombytes_buf(key, sizeof key);
  vault_init(key);
  char dir[] = "/tmp/bench-blob-XXXXXX", url[64];
  if (!mkdtemp(dir)) return 1;
  snprintf(url, sizeof url, "sqlite:%s/b.db", dir);
  err_t err = {0};
  store_t *st = store_open(url, 2, &err);
  if (!st) return fprintf(stderr, "%s\n", err.message), 1;
  db_t *db = store_get(st, &err);
  const char *s3dir = getenv("TUCAI_S3_DIR");
  const char *names[] = {"dir", "db", "s3"};
  size_t sizes[] = {300 * 1024, 3 * 1024 * 1024};
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (int b = 0; b < 3; b++) {
    if (b == 2 && (!s3dir || !*s3dir)) {
      printf("s3: not measured (TUCAI_S3_DIR unset: bench/blob.sh starts a server)\n");
      break;
    }
    s3_opts o;
    if (b == 2) tests3_opts(&o);
    blob_store *bs = blob_store_open_s3(names[b], dir, b == 2 ? &o : NULL, &err);
    if (!bs) return fprintf(stderr, "%s\n", err.message), 1;
    for (size_t k = 0; k < 2; k++) bench(names[b], bs, db, sizes[k], rounds);
    blob_store_close(bs);
  }
  curl_global_cleanup();
  store_put(st, db);
  store_close(st);
  char rm[128];
  snprintf(rm, sizeof rm, "rm -rf %s", dir);
  return system(rm) == 0 ? 0 : 1;
}
