/* roster: importing parsed roster rows into a batch, and listing them masked.
 *
 * An import runs in one transaction: every good row is inserted or, when the batch already has
 * that student number, updated (a re-import never duplicates). A student number twice in one file
 * is an error on the later line. Names and ID numbers are sealed; the ID number also gets a keyed
 * hash and a mask. */
#ifndef TUCAI_IDENTITY_ROSTER_H
#define TUCAI_IDENTITY_ROSTER_H

#include <jansson.h>
#include <stdint.h>

#include "identity/roster_parse.h"
#include "store/store.h"

typedef struct roster_import_result {
  int inserted;
  int updated;
} roster_import_result;

int roster_import(db_t *db, int64_t batch_id, roster_parsed *p, roster_import_result *res, err_t *err);
/* The same, calling `then` inside the import's transaction once every row is in (the reference
 * photos, identity/reference.h): when it fails, nothing of the import stays. */
typedef int (*roster_import_hook)(db_t *db, int64_t batch_id, int64_t school_id, void *ctx, err_t *err);
int roster_import_then(db_t *db, int64_t batch_id, roster_parsed *p, roster_import_hook then, void *ctx,
                       roster_import_result *res, err_t *err);
/* The import answer as JSON: {inserted, updated, rejected, errors:[{line, reason}]}. */
json_t *roster_result_json(const roster_parsed *p, const roster_import_result *res);
/* One page of a batch's roster, masked: [{id, student_no, name_masked, id_masked, college, major,
 * degree, grad_year, linked, approved}]. */
json_t *roster_list(db_t *db, int64_t batch_id, int64_t offset, int64_t limit, err_t *err);

#endif
