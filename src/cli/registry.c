/* registry: the exchange with the national registry.
 *   tucai registry receive PACKAGE --key DIR [--profile NAME] [--profiles DIR] [--out DIR]
 *       plays the registry: verifies the operator's signature (trusted tucai-operator-ed25519 lines
 *       in DIR/NAME.pub), opens the package with DIR/seal.key, checks every file against the manifest
 *       and the photo standard, prints a receipt (JSON). Exit 0: accepted; 1: problems listed in
 *       the receipt; 2: the package cannot be verified or opened (reason on stderr).
 *   tucai registry operator-key [--data DIR]
 *       prints the operator's public signing key line for the registry (creates the key once).
 *   tucai registry export BATCH_ID -o FILE [--reexport] [--data DIR] [--db URL]
 *       builds a batch's package from the command line (the API does the same as a job). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "export/export.h"
#include "export/keys.h"
#include "export/receive.h"
#include "photo/photo.h"
#include "util/number.h"

static const char *usage =
    "usage: tucai registry receive PACKAGE --key DIR [--profile NAME] [--profiles DIR] [--out DIR]\n"
    "       tucai registry operator-key [--data DIR]\n"
    "       tucai registry export BATCH_ID -o FILE [--reexport] [--data DIR] [--db URL]\n";

static int cmd_receive(int argc, char **argv) {
  const char *pkg = cli_arg(argc, argv, 0, NULL), *key = cli_opt(argc, argv, "--key");
  if (!pkg || !key) {
    fputs(usage, stderr);
    return 2;
  }
  receive_opts o = {.key_dir = key,
                    .profiles_dir = cli_opt(argc, argv, "--profiles"),
                    .profile = cli_opt(argc, argv, "--profile"),
                    .out_dir = cli_opt(argc, argv, "--out")};
  if (!o.profiles_dir) o.profiles_dir = photo_default_profiles_dir();
  if (!o.profile) o.profile = "chsi-blue";
  err_t err = {0};
  json_t *r = registry_receive(pkg, &o, &err);
  if (!r) {
    fprintf(stderr, "tucai registry receive: refused: %s (%s)\n", err.message, err.code);
    printf("{\"ok\":false,\"error\":{\"code\":\"%s\"}}\n", err.code);
    return 2;
  }
  int ok = json_is_true(json_object_get(r, "ok"));
  char *s = json_dumps(r, JSON_INDENT(2));
  puts(s);
  free(s);
  json_decref(r);
  return ok ? 0 : 1;
}

static int cmd_operator_key(int argc, char **argv) {
  app a;
  if (cli_open_app(&a, &argc, argv) < 0) return 1;
  err_t err = {0};
  operator_key k;
  int rc = export_operator_key(&a.export, &k, &err);
  if (rc == 0) {
    char line[128];
    operator_key_pub_line(&k, line);
    puts(line);
  }
  sodium_memzero(&k, sizeof k);
  cli_close_app(&a);
  return rc ? cli_fail(&err) : 0;
}

static int cmd_export(int argc, char **argv) {
  app a;
  if (cli_open_app(&a, &argc, argv) < 0) return 1;
  const char *const bare[] = {"--reexport", NULL};
  const char *id = cli_arg(argc, argv, 0, bare), *out = cli_opt(argc, argv, "-o");
  int64_t batch_id = 0;
  if (!id || !out || parse_int64(id, 1, INT64_MAX, &batch_id)) {
    fputs(usage, stderr);
    cli_close_app(&a);
    return 2;
  }
  err_t err = {0};
  export_result res;
  int rc = export_batch_to(&a.export, batch_id, cli_has(argc, argv, "--reexport"), 0, 0, out, &res, &err);
  if (rc == 0)
    printf("{\"package_id\":%lld,\"photos\":%d,\"sha256\":\"%s\"}\n", (long long)res.package_id, res.photos,
           res.sha256);
  cli_close_app(&a);
  return rc ? cli_fail(&err) : 0;
}

int cli_registry(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return 2;
  }
  if (!strcmp(argv[1], "receive")) return cmd_receive(argc - 1, argv + 1);
  if (!strcmp(argv[1], "operator-key")) return cmd_operator_key(argc - 1, argv + 1);
  if (!strcmp(argv[1], "export")) return cmd_export(argc - 1, argv + 1);
  fputs(usage, stderr);
  return 2;
}
