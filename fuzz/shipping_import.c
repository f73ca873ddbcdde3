/* shipping_import: a school office's tracking-number CSV (POST /api/office/batches/:id/tracking
 * hands the raw body to shipping_import) against a real store: SQLite with every migration, in
 * the harness's private directory. No order matches, so rows end as row errors; the parsing and
 * every row check before the database runs on the fuzzer's bytes. */
#include "fuzz.h"
#include "office/shipping.h"
#include "store/store.h"
#include "util/log.h"
#include "util/vault.h"

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
    if (!db) {
      fprintf(stderr, "shipping_import: store: %s\n", err.message);
      abort();
    }
  }
  char *csv = malloc(n ? n : 1); /* exact size: the importer takes a length */
  if (!csv) abort();
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
