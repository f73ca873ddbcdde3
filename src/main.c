/* tucai: one binary, many subcommands (see src/cli/commands.c). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "util/malloc_policy.h"

static void usage(FILE *out) {
  fprintf(out, "usage: tucai <command> [options]\n\ncommands:\n");
  for (const cli_command *c = cli_commands; c->name; c++) fprintf(out, "  %-10s %s\n", c->name, c->summary);
  fprintf(out, "\n`tucai <command> --help` describes each.\n");
}

int main(int argc, char **argv) {
  malloc_policy_apply();
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  for (const cli_command *c = cli_commands; c->name; c++)
    if (!strcmp(argv[1], c->name)) return c->run(argc - 1, argv + 1);
  fprintf(stderr, "tucai: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
