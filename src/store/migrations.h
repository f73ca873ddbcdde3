/* The schema migrations compiled into the binary, ordered by version, ending with {0,0,0}.
 * Each module owns its own files in src/store/migrations/, named NNNN_module_what.sql. */
#ifndef TUCAI_STORE_MIGRATIONS_H
#define TUCAI_STORE_MIGRATIONS_H

typedef struct store_migration {
  int version;
  const char *name;
  const char *sql;
} store_migration;

extern const store_migration store_migrations[];

#endif
