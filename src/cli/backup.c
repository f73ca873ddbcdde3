/* backup: `tucai backup -o FILE`, `tucai restore FILE --data DIR [--db URL]`, `tucai verify`.
 * The archive's design and what never goes into it: src/backup/backup.h. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "backup/backup.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "config/production.h"

static int wants_help(int argc, char **argv) { return cli_has(argc, argv, "--help") || cli_has(argc, argv, "-h"); }

int cli_backup(int argc, char **argv) {
  const char *out = cli_opt(argc, argv, "-o");
  if (wants_help(argc, argv) || !out) {
    fprintf(wants_help(argc, argv) ? stdout : stderr,
            "usage: tucai backup -o FILE [--config FILE] [--data DIR] [--db URL]\n"
            "A consistent copy while the server runs: the database (SQLite's online backup, or pg_dump),\n"
            "every photo object as stored (encrypted; S3 objects fetched from the bucket) and the rest of\n"
            "the data directory, with a manifest\n"
            "of SHA-256 checksums, in one tar file. Never the master key: back it up apart.\n");
    return wants_help(argc, argv) ? 0 : 2;
  }
  app a;
  if (cli_open_app(&a, &argc, argv) < 0) return 1;
  char key[1024];
  config_master_key_path(a.cfg, key, sizeof key);
  backup_counts n;
  err_t err = {0};
  int rc =
      backup_create(a.store, config_str(a.cfg, "db"), a.data_dir, key, blob_store_s3(a.blobs), out, stderr, &n, &err);
  cli_close_app(&a);
  if (rc < 0) return cli_fail(&err);
  printf("backup %s: %lld files, %lld photo objects, %lld bytes\n", out, (long long)n.files, (long long)n.blobs,
         (long long)n.bytes);
  fprintf(stderr,
          "\n*** THE MASTER KEY IS NOT IN THIS BACKUP ***\n"
          "*** Without %s every photo and ID number in it is unreadable: keep a copy of that key\n"
          "*** apart from the backups (another place, another person), and never together with them.\n\n",
          key);
  return 0;
}

int cli_restore(int argc, char **argv) {
  if (wants_help(argc, argv) || argc < 2) {
    fprintf(wants_help(argc, argv) ? stdout : stderr,
            "usage: tucai restore FILE --data DIR [--db postgres://...]\n"
            "Checks every file of the backup against its manifest and unpacks it into DIR, which must be\n"
            "empty or absent; a PostgreSQL backup is loaded into the (empty) database --db names; photo\n"
            "objects that were on S3 are put into the bucket the s3_* settings name.\n"
            "Then put the master key in place (master_key_file, default DIR/master.key) and start.\n");
    return wants_help(argc, argv) ? 0 : 2;
  }
  err_t err = {0};
  config *cfg = config_new();
  if (config_load(cfg, &argc, argv, 1, &err) < 0) {
    config_free(cfg);
    return cli_fail(&err);
  }
  const char *file = cli_arg(argc, argv, 0, NULL);
  int rc = -1;
  backup_counts n;
  s3_client *s3 = NULL;
  s3_opts so;
  blob_s3_opts_from_config(cfg, &so);
  if (!file || argc != 2)
    err_set(&err, 400, "usage", "usage: tucai restore FILE --data DIR [--db URL]");
  else if (*so.endpoint && (curl_global_init(CURL_GLOBAL_DEFAULT), !(s3 = s3_open(&so, &err))))
    rc = -1;
  else
    rc = backup_restore(file, config_str(cfg, "data"), config_str(cfg, "db"), s3, stdout, &n, &err);
  if (s3) s3_close(s3), curl_global_cleanup();
  config_free(cfg);
  return rc < 0 ? cli_fail(&err) : 0;
}

int cli_verify(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    puts(
        "usage: tucai verify [--config FILE] [--data DIR] [--db URL]\n"
        "Reads every stored photo object and checks that it decrypts with the master key; exit 0 when all do.");
    return 0;
  }
  app a;
  if (cli_open_app(&a, &argc, argv) < 0) return 1;
  backup_counts n;
  err_t err = {0};
  int rc = backup_verify(a.store, a.blobs, stderr, &n, &err);
  cli_close_app(&a);
  printf("verify: %lld objects, %lld readable (%lld bytes), %lld failed\n", (long long)n.blobs,
         (long long)(n.blobs - n.failed), (long long)n.bytes, (long long)n.failed);
  return rc < 0 ? cli_fail(&err) : 0;
}
