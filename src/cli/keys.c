/* keys: `tucai keys init` creates the master key for data at rest when it does not exist yet;
 * `tucai keys rotate` replaces it (src/backup/rotate.h).
 * The only way besides a dev/demo start (src/config/production.h) that a key is ever made: on a
 * production server a missing key is a lost key or a wrong path, never a reason for a new one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "backup/rotate.h"
#include "cli/common.h"
#include "config/production.h"
#include "util/vault.h"
#include "util/number.h"

static const char *usage =
    "usage: tucai keys init [--config FILE] [--data DIR] [--master-key-file PATH]\n"
    "       tucai keys rotate [--config FILE] [--data DIR] [--db URL] [--batch N]\n"
    "init creates the 32-byte master key (mode 0600) at master_key_file (default <data>/master.key) when\n"
    "it does not exist; an existing key is left as it is. Back the key up apart from the database.\n"
    "rotate (every node stopped) puts a new key in its place: photo keys re-wrapped (no photo\n"
    "re-encrypted), sealed fields re-sealed, lookup hashes remade, N rows per transaction (500). The new\n"
    "key is <key>.new until the end; a crash or kill: run it again, it goes on. The old key is left as\n"
    "<key>.old for the backups made before.";

static int rotate(int argc, char **argv) {
  const char *b = cli_opt(argc, argv, "--batch");
  int batch = 500;
  if (b && parse_int(b, 1, 1000000, &batch)) {
    fprintf(stderr, "%s\n", usage);
    return 2;
  }
  app a;
  if (cli_open_app(&a, &argc, argv) < 0) return 1;
  char path[1024];
  config_master_key_path(a.cfg, path, sizeof path);
  err_t err = {0};
  int rc = keys_rotate(a.store, a.blobs, path, batch, stdout, &err);
  cli_close_app(&a);
  return rc < 0 ? cli_fail(&err) : 0;
}

int cli_keys(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "rotate") && !cli_has(argc, argv, "--help")) return rotate(argc - 1, argv + 1);
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
