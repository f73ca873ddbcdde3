#include "testdb.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/vault.h"

char *testdb_tmpdir(void) {
  char tmpl[] = "/tmp/tucai-test-XXXXXX";
  char *d = mkdtemp(tmpl);
  assert_non_null(d);
  return strdup(d);
}

const char *testdb_kind_name(enum testdb_kind kind) { return kind == TESTDB_SQLITE ? "sqlite" : "postgres"; }

char *testdb_url(enum testdb_kind kind) {
  static int counter;
  char buf[1024];
  if (kind == TESTDB_SQLITE) {
    char *dir = testdb_tmpdir();
    snprintf(buf, sizeof buf, "sqlite:%s/test.db", dir);
    free(dir);
    return strdup(buf);
  }
  const char *file = getenv("TUCAI_PG_URL_FILE");
  if (!file) fail_msg("TUCAI_PG_URL_FILE is not set: run through ctest (fixture `postgres`)");
  const char *src = getenv("TUCAI_SOURCE");
  char cmd[2048], name[64];
  snprintf(name, sizeof name, "t_%d_%d", (int)getpid(), counter++);
  char dir[1024];
  snprintf(dir, sizeof dir, "%s", file);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  snprintf(cmd, sizeof cmd, "%s/tests/support/pg.sh createdb '%s' %s", src ? src : ".", dir, name);
  FILE *p = popen(cmd, "r");
  if (!p || !fgets(buf, sizeof buf, p)) fail_msg("cannot create a PostgreSQL test database");
  pclose(p);
  buf[strcspn(buf, "\n")] = 0;
  return strdup(buf);
}

store_t *testdb_open(enum testdb_kind kind, char **url_out) {
  uint8_t key[VAULT_KEY_BYTES];
  memset(key, 7, sizeof key);
  vault_init(key);
  char *url = testdb_url(kind);
  err_t err = {0};
  store_t *st = store_open(url, 8, &err);
  if (!st) fail_msg("store_open(%s): %s", testdb_kind_name(kind), err.message);
  if (url_out)
    *url_out = url;
  else
    free(url);
  return st;
}
