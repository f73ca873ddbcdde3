/* The subcommands of `tucai`. Each lives in src/cli/<name>.c as `int cli_<name>(int argc, char **argv)`
 * where argv[0] is the subcommand's name; it returns the process exit status. */
#ifndef TUCAI_CLI_COMMANDS_H
#define TUCAI_CLI_COMMANDS_H

typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} cli_command;

int cli_serve(int argc, char **argv);
int cli_worker(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_jobs(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_photo(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_pay(int argc, char **argv);
int cli_code(int argc, char **argv);
int cli_registry(int argc, char **argv);
int cli_doctor(int argc, char **argv);
int cli_keys(int argc, char **argv);
int cli_backup(int argc, char **argv);
int cli_restore(int argc, char **argv);
int cli_verify(int argc, char **argv);
/* Subcommands of `photo` (argv: the arguments after the subcommand's name). */
int cli_photo_check(int argc, char **argv);
int cli_photo_compare(int argc, char **argv);

/* The table, ending with {0}. */
extern const cli_command cli_commands[];

#endif
