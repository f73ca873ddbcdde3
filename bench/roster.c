/* Roster import speed: writes a 20 000-row CSV (UTF-8; a second run in GBK), parses it and imports
 * it into a fresh SQLite store, then imports it again (all updates). Prints seconds per stage.
 *   bench_roster [ROWS] [postgres://...]   (default 20000 rows, SQLite in a temporary directory) */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photo/photo.h"
#include "identity/batch.h"
#include "identity/idcard.h"
#include "identity/roster.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/vault.h"
#include "util/xmalloc.h"

static const char *surnames[] = {"张", "李", "王", "赵", "刘", "陈", "杨", "黄", "周", "吴"};
static const char *given[] = {"伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "涛"};
static const char *colleges[] = {"化工学院", "机械工程学院", "软件学院", "管理与经济学部", "数学科学学院"};

static char *make_csv(int rows, size_t *len) {
  size_t cap = (size_t)rows * 160 + 256;
  char *buf = xmalloc(cap);
  size_t n = (size_t)snprintf(buf, cap, "学号,姓名,身份证号,学院,专业,学历层次,毕业年份\n");
  for (int i = 0; i < rows; i++) {
    char body[24], id[26];
    snprintf(body, sizeof body, "210203%04d%02d%02d%03d", 1990 + i % 10, 1 + i % 12, 1 + i % 28, i % 1000);
    snprintf(id, sizeof id, "%s%c", body, idcard_check_char(body));
    n +=
        (size_t)snprintf(buf + n, cap - n, "2022%06d,%s%s%s,%s,%s,专业%d,%s,2025\n", i, surnames[i % 10], given[i % 12],
                         given[(i / 12) % 12], id, colleges[i % 5], i % 37, i % 7 == 0 ? "博士" : "硕士");
  }
  *len = n;
  return buf;
}

static char *to_gbk(const char *in, size_t n, size_t *out_len) {
  iconv_t cd = iconv_open("GBK", "UTF-8");
  char *out = xmalloc(n + 1), *ip = (char *)in, *op = out;
  size_t il = n, ol = n;
  iconv(cd, &ip, &il, &op, &ol);
  iconv_close(cd);
  *out_len = (size_t)(op - out);
  return out;
}

static int run(store_t *st, const char *label, const char *data, size_t len, int64_t batch_id) {
  err_t err = {0};
  roster_parsed p;
  double t0 = clock_mono_s();
  if (roster_parse_csv(data, len, &p, &err) != 0) {
    fprintf(stderr, "parse: %s\n", err.message);
    return -1;
  }
  double t1 = clock_mono_s();
  db_t *db = store_get(st, &err);
  roster_import_result res;
  int rc = roster_import(db, batch_id, &p, &res, &err);
  store_put(st, db);
  double t2 = clock_mono_s();
  if (rc != 0) {
    fprintf(stderr, "import: %s\n", err.message);
    roster_parsed_free(&p);
    return -1;
  }
  printf("%-22s rows=%d parse=%.3fs import=%.3fs total=%.3fs inserted=%d updated=%d rejected=%d\n", label, p.n_rows,
         t1 - t0, t2 - t1, t2 - t0, res.inserted, res.updated, p.n_errors_total);
  roster_parsed_free(&p);
  return 0;
}

int main(int argc, char **argv) {
  int rows = argc > 1 ? atoi(argv[1]) : 20000;
  uint8_t key[VAULT_KEY_BYTES];
  memset(key, 3, sizeof key);
  vault_init(key);
  char dir[] = "/tmp/tucai-bench-roster-XXXXXX", url[256];
  if (argc > 2)
    snprintf(url, sizeof url, "%s", argv[2]);
  else {
    if (!mkdtemp(dir)) return 1;
    snprintf(url, sizeof url, "sqlite:%s/bench.db", dir);
  }
  err_t err = {0};
  store_t *st = store_open(url, 2, &err);
  if (!st) {
    fprintf(stderr, "store: %s\n", err.message);
    return 1;
  }
  db_t *db = store_get(st, &err);
  int64_t school = school_create(db, "90001", "基准大学", &err);
  batch b = {0};
  b.school_id = school;
  snprintf(b.name, sizeof b.name, "bench");
  b.window_start_ms = 1;
  b.window_end_ms = clock_now_ms() * 2;
  snprintf(b.profile, sizeof b.profile, "chsi-blue");
  int64_t b1 = batch_create(db, &b, photo_default_profiles_dir(), &err),
          b2 = batch_create(db, &b, photo_default_profiles_dir(), &err);
  store_put(st, db);
  if (b1 <= 0 || b2 <= 0) {
    fprintf(stderr, "batch: %s\n", err.message);
    return 1;
  }
  size_t len = 0, glen = 0;
  char *csv = make_csv(rows, &len);
  char *gbk = to_gbk(csv, len, &glen);
  printf("roster import benchmark: %d rows, %.1f MB UTF-8, store %s\n", rows, (double)len / 1e6,
         argc > 2 ? "postgres" : "sqlite");
  int rc = run(st, "utf-8, new batch", csv, len, b1) || run(st, "utf-8, re-import", csv, len, b1) ||
           run(st, "gbk, new batch", gbk, glen, b2);
  free(csv);
  free(gbk);
  store_close(st);
  if (argc <= 2) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) rc = 1;
  }
  return rc ? 1 : 0;
}
