/* testdb: fresh, empty databases for tests, on both stores.
 * SQLite: a new file in a temporary directory. PostgreSQL: a new database in the suite's
 * throw-away cluster (started by the CTest fixture `postgres`, URL in $TUCAI_PG_URL_FILE).
 * The same test runs once per kind: see TESTDB_KINDS. */
#ifndef TUCAI_TESTS_TESTDB_H
#define TUCAI_TESTS_TESTDB_H

#include "store/store.h"

enum testdb_kind { TESTDB_SQLITE = 0, TESTDB_POSTGRES = 1 };
#define TESTDB_KINDS 2

/* Returns a malloc'd URL of a new empty database of that kind (aborts the test on failure). */
char *testdb_url(enum testdb_kind kind);
const char *testdb_kind_name(enum testdb_kind kind);
/* A new temporary directory (malloc'd path). */
char *testdb_tmpdir(void);
/* Opens a store on a fresh database with the vault initialised with a fixed test key. */
store_t *testdb_open(enum testdb_kind kind, char **url_out);

#endif
