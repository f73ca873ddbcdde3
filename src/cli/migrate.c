/* migrate: applies pending schema migrations (serve does it too) and prints the version. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"

int cli_migrate(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    puts("usage: tucai migrate [--data DIR] [--db URL] [--config FILE]");
    return 0;
  }
  app a;
  if (cli_open_app(&a, &argc, argv) < 0) return 1;
  printf("schema version %d (%s)\n", store_schema_version(a.store),
         store_dialect(a.store) == DB_SQLITE ? "sqlite" : "postgres");
  cli_close_app(&a);
  return 0;
}
