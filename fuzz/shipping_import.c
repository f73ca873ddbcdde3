/* shipping_import: a school office's tracking-number CSV (POST /api/office/batches/:id/tracking
 * hands the raw body to shipping_import) against a real store: SQLite with every migration, in
 * the harness's private directory, holding one batch with two paid orders: student 2023001 (order
 * TC20241106abcdef) paid postage, 2023002 (TC20241106ghijkl) did not. Neither photo is approved,
 * so a matching row goes through the order lookup and the shipped mark to a row error, and the
 * store never changes; the parsing and every row check run on the fuzzer's bytes. */
#include "fuzz.h"
#include "office/shipping.h"
#include "store/store.h"
#include "util/log.h"
#include "util/vault.h"
#include "util/xmalloc.h"

static const char SEED[] =
    "INSERT INTO schools (id, code, name, created_at) VALUES (1, '10001', '示例大学', 0);"
    "INSERT INTO batches (id, school_id, name, window_start, window_end, profile, created_at) "
    "VALUES (1, 1, '2025 届', 0, 4102444800000, 'chsi-blue', 0);"
    "INSERT INTO student_accounts (id, phone_hash, phone_sealed, phone_masked, created_at, last_login_at) "
    "VALUES (1, 'h1', 'v1:x', '138****0000', 0, 0), (2, 'h2', 'v1:y', '139****0000', 0, 0);"
    "INSERT INTO roster_records (id, batch_id, school_id, student_no, name_sealed, name_masked, id_sealed, id_hash, "
    "id_masked, college, major, degree, grad_year, created_at, updated_at) VALUES "
    "(1, 1, 1, '2023001', 'v1:a', '张*', 'v1:b', 'i1', '1101****2X', '计算机学院', '软件工程', '硕士', 2025, 0, 0),"
    "(2, 1, 1, '2023002', 'v1:c', '李*', 'v1:d', 'i2', '1101****2X', '数学学院', '统计学', '博士', 2025, 0, 0);"
    "INSERT INTO pay_orders (id, out_trade_no, account_id, record_id, batch_id, items, amount_fen, provider, state, "
    "created_at, expires_at, paid_at, updated_at) VALUES "
    "(1, 'TC20241106abcdef', 1, 1, 1, '[{\"code\":\"photo\"},{\"code\":\"post\"}]', 4000, 'mock', 'paid', 0, 1, 0, 0),"
    "(2, 'TC20241106ghijkl', 2, 2, 1, '[{\"code\":\"photo\"}]', 3000, 'mock', 'paid', 0, 1, 0, 0);";

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static store_t *st;
  static db_t *db;
  if (!st) {
    log_set_level(LOG_ERROR);
    uint8_t key[VAULT_KEY_BYTES] = {1};
    vault_init(key);
    char path[300], url[320];
    fuzz_path(path, sizeof path, "store.db");
    snprintf(url, sizeof url, "sqlite:%s", path);
    err_t err = {0};
    st = store_open(url, 1, &err);
    db = st ? store_get(st, &err) : NULL;
    if (!db || db_exec_script(db, &err, SEED) != 0) {
      fprintf(stderr, "shipping_import: store: %s\n", err.message);
      abort();
    }
  }
  char *csv = xmalloc(n ? n : 1); /* exact size: the importer takes a length */
  memcpy(csv, d, n);
  err_t err = {0};
  json_t *r = shipping_import(db, 1, csv, n, 4, 1, &err);
  if (r) {
    if (!json_is_array(json_object_get(r, "errors"))) abort();
    json_decref(r);
  } else if (err.status != 400) {
    fprintf(stderr, "shipping_import: %d %s %s\n", err.status, err.code, err.message);
    abort(); /* only the header check may refuse the whole file; anything else is ours */
  }
  free(csv);
  return 0;
}
