/* export: building a batch's package for the registry from the approved photos (server side).
 *
 * For every approved record of the batch (and, on a re-export, those already exported) the
 * approved standardized JPEG is taken from the blob store as it is (the engine already made it
 * 480x640, 300 dpi, in the byte range) and named by the student's number; the manifest (CSV with
 * BOM and XLSX: number, masked name, college, file name, SHA-256) and package.json (batch, count,
 * the manifests' SHA-256) follow; the archive is sealed to the registry's key and signed with the
 * operator's (export/package.h). Then, in one transaction: the package row is done, its items
 * recorded, the records marked 已导出 (collect_mark_exported) and the export audited. A re-export
 * is the same with reexport=1, audited as such.
 *
 * Settings: export_sign_key (default <data>/operator.key, made on first use), export_seal_kid
 * (default: the only registry sealing key in code_pub_dir, or the one the batch's codes name).
 * Packages are written to <data>/exports/.
 *
 * Job kind "export.package" {package_id}: the API queues a row and the job builds it. */
#ifndef TUCAI_EXPORT_EXPORT_H
#define TUCAI_EXPORT_EXPORT_H

#include <stdint.h>

#include "export/keys.h"
#include "store/store.h"

typedef struct export_result {
  int64_t package_id;
  int photos;
  char sha256[65];
  char path[1024];
} export_result;

/* What export uses of its process, wired by src/app.c (the settings as read at start). */
struct blob_store;
typedef struct export_env {
  store_t *store;           /* export_batch_to takes its own connection */
  struct blob_store *blobs; /* the approved photos (blob/blob.h) */
  const char *data_dir;     /* <data>/exports, <data>/tmp, and the defaults below */
  const char *sign_key;     /* setting export_sign_key ("": <data>/operator.key) */
  const char *seal_kid;     /* setting export_seal_kid ("": the key the batch's codes name) */
  const char *code_pub_dir; /* setting code_pub_dir ("": <data>/code-keys) */
} export_env;

int export_operator_key(const export_env *env, operator_key *k, err_t *err);
/* Builds a package now into out_path (NULL: <data>/exports/...). package_id 0 creates the row. */
int export_batch_to(const export_env *env, int64_t batch_id, int reexport, int actor_role, int64_t actor_id,
                    const char *out_path, export_result *res, err_t *err);
/* Queues an export (row 'queued' + job). Returns the package id. Refuses (409 nothing_to_export)
 * when the batch has no approved photo not yet exported and reexport is 0. */
int64_t export_request(db_t *db, int64_t batch_id, int reexport, int actor_role, int64_t actor_id, err_t *err);
/* The job kind; its handler builds with `env` (borrowed for the process's life). */
void export_jobs_register(export_env *env);

#endif
