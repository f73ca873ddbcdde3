/* demo: demo data for `tucai serve --demo`: a school, an open batch with the notice's fees, a small
 * roster, issuer keys (trusted by the server) and a ready collection-code PNG for one student. */
#ifndef TUCAI_IDENTITY_DEMO_H
#define TUCAI_IDENTITY_DEMO_H

#include "store/store.h"
#include "util/err.h"

/* Idempotent: a second call finds the demo school and does nothing. Writes under data_dir:
 *   code-keys/ (issuer signing pair, sealing pair; the default trusted key dir)
 *   demo/collection-code-<student_no>.png, demo/README.txt (what to type in). */
int identity_seed_demo(db_t *db, const char *data_dir, const char *profiles_dir, err_t *err);

#endif
