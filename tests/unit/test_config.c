/* Settings: declared names read their values; an undeclared name is an error, never "". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child_abort.h"
#include "config/config.h"
#include "util/share.h"

static void declared_names_read_their_values(void **state) {
  (void)state;
  config *c = config_new();
  assert_string_equal(config_str(c, "listen"), "127.0.0.1:8080");
  assert_int_equal(config_int(c, "max_upload"), 20971520);
  err_t err = {0};
  assert_int_equal(config_set(c, "max_upload", "123", &err), 0);
  assert_int_equal(config_int(c, "max_upload"), 123);
  assert_int_equal(config_set(c, "max_uplaod", "123", &err), -1);
  assert_string_equal(err.code, "unknown_setting");
  config_free(c);
}

/* A binary in the build tree has no <prefix>/share/tucai beside it: its data defaults are the
 * source tree's files (the installed case is tests/e2e/ops_package.test.mjs). */
static void data_defaults_name_the_source_tree_in_a_build(void **state) {
  (void)state;
  assert_string_equal(share_dir(), TUCAI_SOURCE_DIR);
  config *c = config_new();
  assert_string_equal(config_str(c, "web_dir"), TUCAI_SOURCE_DIR "/web");
  assert_string_equal(config_str(c, "models"), TUCAI_SOURCE_DIR "/models");
  assert_string_equal(config_str(c, "calendar"), TUCAI_SOURCE_DIR "/data/calendar/cn.txt");
  assert_int_equal(access(config_str(c, "calendar"), R_OK), 0);
  config_free(c);
}

enum { AS_STR, AS_INT, AS_BOOL };

typedef struct read_setting {
  int how;
  const char *name;
} read_setting;

static void read_one(void *p) {
  const read_setting *r = p;
  config *c = config_new();
  if (r->how == AS_STR)
    printf("%s", config_str(c, r->name));
  else if (r->how == AS_INT)
    printf("%lld", (long long)config_int(c, r->name));
  else
    printf("%d", config_bool(c, r->name));
}

/* Reads `name` in a child process; returns 1 when the child died of SIGABRT, with its stderr. */
static int read_aborts(int how, const char *name, char *said, size_t cap) {
  read_setting r = {how, name};
  return child_aborts(read_one, &r, said, cap);
}

static void reading_an_undeclared_name_is_an_error_that_names_it(void **state) {
  (void)state;
  char said[1024];
  for (int how = AS_STR; how <= AS_BOOL; how++) {
    assert_true(read_aborts(how, "max_uplaod", said, sizeof said));
    assert_non_null(strstr(said, "unknown setting 'max_uplaod'"));
  }
  assert_false(read_aborts(AS_STR, "max_upload", said, sizeof said));
}

/* Every literal name the sources read is declared, so the abort above never fires in use. */
static int undeclared;
static int scan_file(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
  (void)sb, (void)ftw;
  size_t len = strlen(path);
  if (type != FTW_F || len < 2 || strcmp(path + len - 2, ".c")) return 0;
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    for (char *p = line; (p = strstr(p, "config_")); p++) {
      const char *q = p + 7;
      if (strncmp(q, "str(", 4) && strncmp(q, "int(", 4) && strncmp(q, "bool(", 5)) continue;
      const char *comma = strchr(q, ','), *close = strchr(q, ')');
      if (!comma || (close && close < comma)) continue;
      const char *open = comma + 1;
      while (*open == ' ') open++;
      if (*open != '"') continue;
      const char *end = strchr(open + 1, '"');
      if (!end) continue;
      char name[96];
      snprintf(name, sizeof name, "%.*s", (int)(end - open - 1), open + 1);
      if (!config_declared(name)) {
        print_error("%s reads undeclared setting '%s'\n", path, name);
        undeclared++;
      }
    }
  }
  fclose(f);
  return 0;
}

static void every_setting_the_sources_read_is_declared(void **state) {
  (void)state;
  const char *root = getenv("TUCAI_SOURCE");
  if (!root) root = TUCAI_SOURCE_DIR;
  char src[1024];
  snprintf(src, sizeof src, "%s/src", root);
  undeclared = 0;
  assert_int_equal(nftw(src, scan_file, 16, FTW_PHYS), 0);
  assert_int_equal(undeclared, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(declared_names_read_their_values),
      cmocka_unit_test(reading_an_undeclared_name_is_an_error_that_names_it),
      cmocka_unit_test(every_setting_the_sources_read_is_declared),
      cmocka_unit_test(data_defaults_name_the_source_tree_in_a_build),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
