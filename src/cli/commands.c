#include "cli/commands.h"

const cli_command cli_commands[] = {
    {"serve", cli_serve, "run the web server (and job workers)"},
    {"worker", cli_worker, "run job workers only"},
    {"user", cli_user, "manage staff accounts (add, list, passwd, disable)"},
    {"jobs", cli_jobs, "inspect and manage the job queue"},
    {"migrate", cli_migrate, "apply schema migrations and print the version"},
    {"photo", cli_photo, "standardize, check and print photos"},
    {"code", cli_code, "collection codes: keygen, issue, verify (the issuer tool)"},
    {"pay", cli_pay, "payment tools (sign-request: the exact WeChat Pay v3 signature)"},
    {"registry", cli_registry, "registry exchange: receive (verify a package), operator-key, export"},
    {"audit", cli_audit, "read the audit log (decisions, settings, staff views of photos)"},
    {"doctor", cli_doctor, "check a configuration for production (keys, payment, SMS, database, models)"},
    {"keys", cli_keys, "keys init: create the master key for data at rest; keys rotate: replace it"},
    {"backup", cli_backup, "a consistent copy of the database and photos while the server runs (never the master key)"},
    {"restore", cli_restore, "unpack a backup into an empty data directory, checking every checksum"},
    {"verify", cli_verify, "read every stored photo and check that it decrypts"},
    {0, 0, 0},
};
