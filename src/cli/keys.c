/* keys: `tucai keys init` creates the master key for data at rest when it does not exist yet.
 * The only way besides a dev/demo start (src/config/production.h) that a key is ever made: on a
 * production server a missing key is a lost key or a wrong path, never a reason for a new one. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "config/production.h"
#include "util/vault.h"

static const char *usage =
    "usage: tucai keys init [--config FILE] [--data DIR] [--master-key-file PATH]\n"
    "Creates the 32-byte master key (mode 0600) at master_key_file (default <data>/master.key) when it\n"
    "does not exist; an existing key is left as it is. Back the key up apart from the database.";

int cli_keys(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "init") || cli_has(argc, argv, "--help")) {
    fprintf(argc < 2 || cli_has(argc, argv, "--help") ? stdout : stderr, "%s\n", usage);
    return cli_has(argc, argv, "--help") ? 0 : 2;
  }
  err_t err = {0};
  config *cfg = config_new();
  int n = argc - 1;
  if (config_load(cfg, &n, argv + 1, 0, &err) < 0) {
    config_free(cfg);
    return cli_fail(&err);
  }
  char path[1024];
  config_master_key_path(cfg, path, sizeof path);
  if (access(path, F_OK) == 0) {
    printf("master key %s exists; left as it is\n", path);
    config_free(cfg);
    return 0;
  }
  /* The default path lives in the data directory, which may not exist yet. */
  if (!*config_str(cfg, "master_key_file")) mkdir(config_str(cfg, "data"), 0700);
  int rc = vault_init_file(path, 1, &err);
  config_free(cfg);
  if (rc < 0) return cli_fail(&err);
  printf("created master key %s (mode 0600): back it up apart from the database\n", path);
  return 0;
}
