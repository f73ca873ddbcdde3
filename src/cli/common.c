#include "cli/common.h"
#include "util/xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_fail(const err_t *err) {
  fprintf(stderr, "tucai: %s: %s\n", err->code, err->message);
  return err->status >= 400 && err->status < 500 ? 2 : 1;
}

int cli_open_app(app *a, int *argc, char **argv) {
  err_t err = {0};
  config *cfg = config_new();
  if (config_load(cfg, argc, argv, 1, &err) < 0 || app_open(a, cfg, &err) < 0) {
    cli_fail(&err);
    config_free(cfg);
    return -1;
  }
  return 0;
}

void cli_close_app(app *a) {
  config *cfg = a->cfg;
  app_close(a);
  config_free(cfg);
}

const char *cli_opt(int argc, char **argv, const char *name) {
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], name)) return argv[i + 1];
  return NULL;
}

int cli_has(int argc, char **argv, const char *name) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], name)) return 1;
  return 0;
}

const char *cli_arg(int argc, char **argv, int n, const char *const *bare) {
  int seen = 0;
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "--", 2)) {
      int is_bare = 0;
      for (const char *const *b = bare; b && *b; b++)
        if (!strcmp(*b, argv[i])) is_bare = 1;
      if (!is_bare) i++;
      continue;
    }
    if (seen++ == n) return argv[i];
  }
  return NULL;
}

int cli_read_file(const char *path, long limit, uint8_t **buf, size_t *len) {
  *buf = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  struct stat st;
  if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
    fclose(f);
    errno = EINVAL;
    return -1;
  }
  if (st.st_size > limit) {
    fclose(f);
    return 1;
  }
  uint8_t *b = xmalloc(st.st_size > 0 ? (size_t)st.st_size : 1);
  size_t n = fread(b, 1, (size_t)st.st_size, f);
  int bad = ferror(f) || n != (size_t)st.st_size;
  fclose(f);
  if (bad) {
    free(b);
    errno = EIO;
    return -1;
  }
  *buf = b;
  *len = n;
  return 0;
}
