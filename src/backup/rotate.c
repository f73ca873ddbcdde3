/* rotate.c: see rotate.h. */
#include "backup/rotate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/backup.h"
#include "util/vault.h"
#include "util/xmalloc.h"

typedef struct run {
  store_t *st;
  db_t *db;
  const vault_keys *k;
  int batch;
  FILE *say;
  err_t *err;
} run;

static int begin(run *r) { return db_begin(r->db, r->err); }

static int commit(run *r, const char *what, long long done, long long total) {
  if (db_commit(r->db, r->err) < 0) return -1;
  fprintf(r->say, "keys rotate: %s %lld/%lld\n", what, done, total);
  fflush(r->say);
  return 0;
}

/* 1. Object keys. */
static int rotate_objects(run *r) {
  long long total = db_int(r->db, r->err, 0, "SELECT COUNT(*) FROM blobs WHERE wrapped_key IS NOT NULL"), done = 0;
  if (err_is_set(r->err)) return -1;
  int64_t last = 0;
  for (;;) {
    db_res *q =
        db_query(r->db, r->err,
                 "SELECT id, wrapped_key FROM blobs WHERE wrapped_key IS NOT NULL AND id > $1 ORDER BY id LIMIT $2",
                 DB_INT(last), DB_INT(r->batch));
    if (!q) return -1;
    int rows = db_res_rows(q), rc = rows ? begin(r) : 0;
    for (int i = 0; i < rows && rc == 0; i++) {
      last = db_res_int_at(q, i, "id");
      size_t len;
      const void *w = db_res_blob_at(q, i, "wrapped_key", &len);
      uint8_t wrapped[VAULT_WRAPPED_BYTES];
      if (len != VAULT_WRAPPED_BYTES) {
        rc = err_set(r->err, 500, "rotate_object", "object %lld has a damaged key", (long long)last);
        break;
      }
      memcpy(wrapped, w, len);
      int v = vault_rewrap_key(r->k, wrapped);
      if (v < 0)
        rc = err_set(r->err, 500, "rotate_object", "object %lld opens with neither key", (long long)last);
      else if (v == 0 && db_exec(r->db, r->err, "UPDATE blobs SET wrapped_key = $1 WHERE id = $2",
                                 DB_BLOB(wrapped, sizeof wrapped), DB_INT(last)) < 0)
        rc = -1;
      done++;
    }
    db_res_free(q);
    if (rc < 0) {
      db_rollback(r->db);
      return -1;
    }
    if (rows && commit(r, "objects", done, total) < 0) return -1;
    if (rows < r->batch) return 0;
  }
}

/* 2. A sealed field and the keyed hash made from it, together. */
static int rotate_hashed(run *r, const char *table, const char *sealed, const char *hash, const char *purpose) {
  char count_sql[256], select_sql[512], update_sql[512], what[96];
  snprintf(count_sql, sizeof count_sql, "SELECT COUNT(*) FROM %s", table);
  snprintf(select_sql, sizeof select_sql,
           "SELECT id, %s AS sealed, %s AS lookup_hash FROM %s WHERE id > $1 ORDER BY id LIMIT $2", sealed, hash,
           table);
  snprintf(update_sql, sizeof update_sql, "UPDATE %s SET %s = $1, %s = $2 WHERE id = $3", table, sealed, hash);
  snprintf(what, sizeof what, "%s.%s", table, sealed);
  long long total = db_int(r->db, r->err, 0, count_sql), done = 0;
  if (err_is_set(r->err)) return -1;
  int64_t last = 0;
  for (;;) {
    db_res *q = db_query(r->db, r->err, select_sql, DB_INT(last), DB_INT(r->batch));
    if (!q) return -1;
    int rows = db_res_rows(q), rc = rows ? begin(r) : 0;
    for (int i = 0; i < rows && rc == 0; i++) {
      last = db_res_int_at(q, i, "id");
      int under_new;
      char *plain = vault_open_text_any(r->k, db_res_text_at(q, i, "sealed"), &under_new, r->err);
      if (!plain) {
        rc = err_set(r->err, 500, "rotate_field", "%s of row %lld opens with neither key", what, (long long)last);
        break;
      }
      char h[65];
      vault_lookup_hash_with(r->k, purpose, plain, h);
      if (!under_new || strcmp(h, db_res_text_at(q, i, "lookup_hash"))) {
        char *resealed =
            under_new ? xstrdup(db_res_text_at(q, i, "sealed")) : vault_seal_text_with(r->k, plain, r->err);
        if (!resealed || db_exec(r->db, r->err, update_sql, DB_TEXT(resealed), DB_TEXT(h), DB_INT(last)) < 0) rc = -1;
        free(resealed);
      }
      free(plain);
      done++;
    }
    db_res_free(q);
    if (rc < 0) {
      db_rollback(r->db);
      return -1;
    }
    if (rows && commit(r, what, done, total) < 0) return -1;
    if (rows < r->batch) return 0;
  }
}

static int plain_ident(const char *s) {
  if (!*s || strlen(s) > 63) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
  return 1;
}

/* 3. Every other sealed text, by the value itself (sealed values are unique: random nonces). */
static int rotate_column(run *r, const char *table, const char *col) {
  char sel[256], upd[256], what[160];
  snprintf(sel, sizeof sel, "SELECT %s AS sealed FROM %s WHERE %s LIKE 'v1:%%'", col, table, col);
  snprintf(upd, sizeof upd, "UPDATE %s SET %s = $1 WHERE %s = $2", table, col, col);
  snprintf(what, sizeof what, "%s.%s", table, col);
  db_res *q = db_query(r->db, r->err, sel);
  if (!q) return -1;
  int rows = db_res_rows(q), rc = 0, open = 0;
  long long done = 0, changed = 0;
  for (int i = 0; i < rows && rc == 0; i++) {
    int under_new;
    err_t e = {0};
    const char *old = db_res_text_at(q, i, "sealed");
    char *plain = vault_open_text_any(r->k, old, &under_new, &e);
    done++;
    if (!plain) continue; /* text that only looks sealed: not ours to touch */
    if (!under_new) {
      char *resealed = vault_seal_text_with(r->k, plain, r->err);
      if (!open && (rc = begin(r)) == 0) open = 1;
      if (rc == 0 && (!resealed || db_exec(r->db, r->err, upd, DB_TEXT(resealed), DB_TEXT(old)) < 0)) rc = -1;
      free(resealed);
      changed++;
    }
    free(plain);
    if (rc == 0 && open && (changed % r->batch == 0 || i == rows - 1)) {
      rc = commit(r, what, done, rows);
      open = 0;
    }
  }
  db_res_free(q);
  if (rc < 0)
    db_rollback(r->db);
  else if (open)
    rc = commit(r, what, done, rows);
  return rc;
}

static int rotate_sealed_columns(run *r) {
  const char *sql =
      db_dialect(r->db) == DB_SQLITE
          ? "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m JOIN pragma_table_info(m.name) p "
            "WHERE m.type = 'table' AND upper(p.type) = 'TEXT' ORDER BY 1, 2"
          : "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'text' ORDER BY 1, 2";
  db_res *cols = db_query(r->db, r->err, sql);
  if (!cols) return -1;
  int rc = 0;
  for (int i = 0; i < db_res_rows(cols) && rc == 0; i++) {
    const char *t = db_res_text_at(cols, i, "table_name"), *c = db_res_text_at(cols, i, "column_name");
    if (plain_ident(t) && plain_ident(c)) rc = rotate_column(r, t, c);
  }
  db_res_free(cols);
  return rc;
}

static int same_file_content(const char *a, const char *b) {
  uint8_t x[64], y[64];
  int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
  ssize_t na = fa >= 0 ? read(fa, x, sizeof x) : -1, nb = fb >= 0 ? read(fb, y, sizeof y) : -1;
  if (fa >= 0) close(fa);
  if (fb >= 0) close(fb);
  return na >= 0 && na == nb && !memcmp(x, y, (size_t)na);
}

int keys_rotate(store_t *st, blob_store *bs, const char *key_path, int batch, FILE *say, err_t *err) {
  char next[PATH_MAX], old[PATH_MAX];
  snprintf(next, sizeof next, "%s.new", key_path);
  snprintf(old, sizeof old, "%s.old", key_path);
  int resuming = access(next, F_OK) == 0;
  if (!resuming && access(old, F_OK) == 0)
    return err_set(err, 409, "rotate_old_key",
                   "%s is still there from an earlier rotation: move it to safe keeping (backups made before "
                   "that rotation need it), then rotate again",
                   old);
  vault_keys *k = vault_keys_from_file(next, 1, err);
  if (!k) return -1;
  if (vault_keys_same(k)) {
    vault_keys_free(k);
    return err_set(err, 409, "rotate_same_key", "%s holds the current key", next);
  }
  fprintf(say, resuming ? "keys rotate: resuming with the new key %s\n" : "keys rotate: new key %s\n", next);
  run r = {st, store_get(st, err), k, batch > 0 ? batch : 500, say, err};
  int rc = r.db ? 0 : -1;
  if (rc == 0) rc = rotate_objects(&r);
  if (rc == 0) rc = rotate_hashed(&r, "roster_records", "id_sealed", "id_hash", "id_number");
  if (rc == 0) rc = rotate_hashed(&r, "student_accounts", "phone_sealed", "phone_hash", "phone");
  if (rc == 0) rc = rotate_hashed(&r, "wechat_identities", "openid_sealed", "openid_hash", "wechat_openid");
  if (rc == 0) rc = rotate_sealed_columns(&r);
  if (rc == 0 &&
      (db_exec(r.db, err, "DELETE FROM otp_codes") < 0 || db_exec(r.db, err, "DELETE FROM auth_throttle") < 0))
    rc = -1;
  if (r.db) store_put(st, r.db);
  if (rc == 0) {
    /* Every object must open with the new key before it becomes the key. */
    vault_use(k);
    backup_counts n;
    rc = backup_verify(st, bs, say, &n, err);
    if (rc == 0) fprintf(say, "keys rotate: %lld objects decrypt with the new key\n", (long long)n.blobs);
  }
  vault_keys_free(k);
  if (rc < 0) return -1;
  if (link(key_path, old) != 0 && !(errno == EEXIST && same_file_content(key_path, old)))
    return err_set(err, 0, "rotate_files", "cannot keep the old key as %s: %s", old, strerror(errno));
  if (rename(next, key_path) != 0)
    return err_set(err, 0, "rotate_files", "cannot move %s to %s: %s", next, key_path, strerror(errno));
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", key_path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
  if (fd >= 0) fsync(fd), close(fd);
  fprintf(say,
          "keys rotate: done; %s is the new key. The old key is now %s: backups made before this rotation\n"
          "need it; destroy it when none of them may be restored.\n",
          key_path, old);
  return 0;
}
