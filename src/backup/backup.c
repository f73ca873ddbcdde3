/* backup.c: see backup.h. */
#include "backup/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backup/archive.h"
#include "export/tar.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#define FORMAT "tucai-backup/1"
#define MANIFEST "manifest.json"
#define MAX_MANIFEST (256L * 1024 * 1024)

static void hex(const uint8_t sha[32], char out[65]) { sodium_bin2hex(out, 65, sha, 32); }

static int is_postgres(const char *url) {
  return url && (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13));
}

/* Runs argv (a tool of PostgreSQL's) and waits; its stderr is ours. */
static int run_tool(char *const argv[], err_t *err) {
  pid_t pid = fork();
  if (pid < 0) return err_set(err, 0, "backup_tool", "fork: %s", strerror(errno));
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 1);
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return err_set(err, 0, "backup_tool", "waitpid: %s", strerror(errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  return err_set(err, 0, "backup_tool", "%s failed (%s %d)%s", argv[0], WIFEXITED(status) ? "exit" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                 WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ": not installed (Debian postgresql-client)" : "");
}

/* ---- writing ---------------------------------------------------------------------------- */

typedef struct writer {
  FILE *out;
  json_t *files;
  backup_counts *n;
  FILE *say;
  const char *data_dir, *master_key;
  err_t *err;
  dev_t out_dev; /* the archive being written, when it lies inside the data directory */
  ino_t out_ino;
} writer;

static int add_file(writer *w, const char *name, const char *path, int is_blob) {
  uint8_t sha[32];
  uint64_t size;
  if (archive_put_file(w->out, name, path, sha, &size, w->err) < 0) return -1;
  char h[65];
  hex(sha, h);
  json_array_append_new(w->files, json_pack("{s:s, s:I, s:s}", "path", name, "size", (json_int_t)size, "sha256", h));
  w->n->files++;
  w->n->bytes += (int64_t)size;
  if (is_blob) w->n->blobs++;
  return 0;
}

static int has_suffix(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcmp(s + a - b, suf);
}

/* Adds every regular file under dir/rel (recursively) as prefix/rel/..., leaving out what never
 * goes into a backup. Top level of the data directory: rel = "". */
static int add_tree(writer *w, const char *dir, const char *rel, const char *prefix, int is_blob) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel);
  DIR *d = opendir(path);
  if (!d) return errno == ENOENT ? 0 : err_set(w->err, 0, "backup_read", "reading %s: %s", path, strerror(errno));
  struct dirent **list;
  closedir(d);
  int count = scandir(path, &list, NULL, alphasort);
  if (count < 0) return err_set(w->err, 0, "backup_read", "reading %s: %s", path, strerror(errno));
  int rc = 0;
  for (int i = 0; i < count; i++) {
    const char *nm = list[i]->d_name;
    char sub[PATH_MAX], full[PATH_MAX + 8], name[PATH_MAX + 16];
    if (!strcmp(nm, ".") || !strcmp(nm, "..") || rc < 0) continue;
    snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", nm);
    snprintf(full, sizeof full, "%s/%s", dir, sub);
    struct stat st;
    if (lstat(full, &st) < 0) continue; /* gone meanwhile (a temp file) */
    int top = !*rel;
    if (!is_blob && top && (!strcmp(nm, "blobs") || !strcmp(nm, "tmp") || !strncmp(nm, "tucai.db", 8))) continue;
    if (is_blob && top && !strcmp(nm, "tmp")) continue;
    if (S_ISDIR(st.st_mode)) {
      rc = add_tree(w, dir, sub, prefix, is_blob);
      continue;
    }
    if (!S_ISREG(st.st_mode) || (st.st_dev == w->out_dev && st.st_ino == w->out_ino)) continue;
    char real[PATH_MAX], key_real[PATH_MAX];
    if (w->master_key && realpath(full, real) && realpath(w->master_key, key_real) && !strcmp(real, key_real)) continue;
    /* Keys, and a rotation's new and old master keys (backup/rotate.h). */
    if (has_suffix(nm, ".key") || has_suffix(nm, ".key.new") || has_suffix(nm, ".key.old")) {
      fprintf(w->say, "backup: left out %s (a private key: keep it apart from backups)\n", full);
      continue;
    }
    snprintf(name, sizeof name, "%s/%s", prefix, sub);
    if (strlen(name) > ARCHIVE_NAME_MAX || !tar_name_ok(name)) {
      fprintf(w->say, "backup: left out %s (a name the archive does not take: A-Z a-z 0-9 . _ - /, 99 bytes)\n", full);
      continue;
    }
    rc = add_file(w, name, full, is_blob);
    /* A blob removed by a purge after the database copy: its row in the copy is marked deleted
     * or will be purged again; nothing to keep. */
    if (rc < 0 && w->err->status == 404 && is_blob) rc = 0, fprintf(w->say, "backup: %s was deleted meanwhile\n", full);
  }
  for (int i = 0; i < count; i++) free(list[i]);
  free(list);
  return rc;
}

static int fsync_path(const char *path, int dir) {
  int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

static void parent_of(const char *path, char *out, size_t n) {
  snprintf(out, n, "%s", path);
  char *s = strrchr(out, '/');
  if (!s)
    snprintf(out, n, ".");
  else if (s == out)
    out[1] = 0;
  else
    *s = 0;
}

/* The live S3 objects, in pages of ids, each fetched and appended as s3/<xx>/<ref>. */
static int add_s3_objects(writer *w, store_t *st, s3_client *s3) {
  db_t *db = store_get(st, w->err);
  if (!db) return -1;
  int64_t last = 0;
  int rc = 0;
  while (rc == 0) {
    db_res *r = db_query(db, w->err,
                         "SELECT id, ref, size FROM blobs WHERE backend = 's3' AND wrapped_key IS NOT NULL AND id > $1 "
                         "ORDER BY id LIMIT 200",
                         DB_INT(last));
    if (!r) {
      rc = -1;
      break;
    }
    int rows = db_res_rows(r);
    if (rows && !s3)
      rc = err_set(w->err, 400, "backup_s3", "the store has photo objects on S3 but no s3_endpoint is configured");
    for (int i = 0; i < rows && rc == 0; i++) {
      last = db_res_int_at(r, i, "id");
      char key[64], name[80];
      snprintf(key, sizeof key, "%.2s/%.40s", db_res_text_at(r, i, "ref"), db_res_text_at(r, i, "ref"));
      snprintf(name, sizeof name, "s3/%s", key);
      /* Plaintext size + one tag per 64 KiB chunk and the header: a generous bound. */
      size_t max = (size_t)db_res_int_at(r, i, "size") + (size_t)db_res_int_at(r, i, "size") / 1024 + 4096;
      uint8_t *bytes = NULL, sha[32];
      size_t len = 0;
      err_t e = {0};
      if (s3_get(s3, key, max, &bytes, &len, &e) < 0) {
        /* Gone because a purge deleted it after the database copy: nothing to keep. Gone while
         * its row is live: a lost photo, and a backup that says it is whole must not skip it. */
        int64_t live =
            !strcmp(e.code, "s3_not_found")
                ? db_int(db, w->err, -1, "SELECT COUNT(*) FROM blobs WHERE id = $1 AND wrapped_key IS NOT NULL",
                         DB_INT(last))
                : -1;
        if (live == 0)
          fprintf(w->say, "backup: S3 object of photo %lld was deleted meanwhile\n", (long long)last);
        else if (!strcmp(e.code, "s3_not_found"))
          rc = err_set(w->err, 500, "backup_s3_missing", "photo object %lld is missing from the bucket (%s)",
                       (long long)last, s3_where(s3));
        else
          *w->err = e, rc = -1;
        continue;
      }
      crypto_hash_sha256(sha, bytes, len);
      rc = archive_put_bytes(w->out, name, bytes, len, w->err);
      free(bytes);
      if (rc < 0) break;
      char h[65];
      hex(sha, h);
      json_array_append_new(w->files, json_pack("{s:s, s:I, s:s}", "path", name, "size", (json_int_t)len, "sha256", h));
      w->n->files++;
      w->n->blobs++;
      w->n->bytes += (int64_t)len;
    }
    db_res_free(r);
    if (rows < 200) break;
  }
  store_put(st, db);
  return rc;
}

int backup_create(store_t *st, const char *db_url, const char *data_dir, const char *master_key_path, s3_client *s3,
                  const char *out_path, FILE *say, backup_counts *n, err_t *err) {
  memset(n, 0, sizeof *n);
  char part[PATH_MAX], snap[PATH_MAX];
  snprintf(part, sizeof part, "%s.part", out_path);
  int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!out) return err_set(err, 0, "backup_write", "cannot write %s: %s", part, strerror(errno));
  writer w = {out, json_array(), n, say, data_dir, master_key_path, err, 0, 0};
  struct stat ost;
  if (fstat(fd, &ost) == 0) w.out_dev = ost.st_dev, w.out_ino = ost.st_ino;
  int pg = is_postgres(db_url);
  /* The database first (see backup.h), into the data directory's tmp/ (same disk). */
  snprintf(snap, sizeof snap, "%s/tmp/backup-%d-%lld.%s", data_dir, (int)getpid(), (long long)clock_now_ms(),
           pg ? "pgdump" : "db");
  int rc;
  if (pg) {
    char file_arg[PATH_MAX + 16], db_arg[4200];
    snprintf(file_arg, sizeof file_arg, "--file=%s", snap);
    snprintf(db_arg, sizeof db_arg, "--dbname=%s", db_url);
    char *argv[] = {"pg_dump", "--format=custom", "--no-owner", "--no-privileges", file_arg, db_arg, NULL};
    rc = run_tool(argv, err);
  } else if (db_url && *db_url && strncmp(db_url, "sqlite:", 7))
    rc = err_set(err, 400, "backup_db", "cannot back up this database URL");
  else
    rc = store_snapshot(st, snap, err);
  if (rc == 0) rc = add_file(&w, pg ? "db/tucai.pgdump" : "db/tucai.db", snap, 0);
  unlink(snap);
  char blobs[PATH_MAX];
  snprintf(blobs, sizeof blobs, "%s/blobs", data_dir);
  if (rc == 0) rc = add_tree(&w, blobs, "", "blobs", 1);
  if (rc == 0) rc = add_s3_objects(&w, st, s3);
  if (rc == 0) rc = add_tree(&w, data_dir, "", "files", 0);
  if (rc == 0) {
    json_t *m = json_pack("{s:s, s:I, s:i, s:s, s:b, s:o}", "format", FORMAT, "created_at", (json_int_t)clock_now_ms(),
                          "schema_version", store_schema_version(st), "database", pg ? "postgres" : "sqlite",
                          "master_key_included", 0, "files", w.files);
    w.files = NULL;
    char *text = json_dumps(m, JSON_INDENT(1));
    json_decref(m);
    rc = archive_put_bytes(out, MANIFEST, text, strlen(text), err);
    free(text);
  }
  json_decref(w.files);
  if (rc == 0) rc = archive_finish(out, err);
  if (fflush(out) != 0 || fsync(fileno(out)) != 0)
    rc = rc ? rc : err_set(err, 0, "backup_write", "writing %s: %s", part, strerror(errno));
  fclose(out);
  if (rc == 0 && rename(part, out_path) != 0)
    rc = err_set(err, 0, "backup_write", "rename to %s: %s", out_path, strerror(errno));
  if (rc < 0) {
    unlink(part);
    return -1;
  }
  char dir[PATH_MAX];
  parent_of(out_path, dir, sizeof dir);
  fsync_path(dir, 1);
  return 0;
}

/* ---- restoring -------------------------------------------------------------------------- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(p);
}

static void rm_tree(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static int dir_is_empty_or_absent(const char *dir, int *exists) {
  DIR *d = opendir(dir);
  *exists = d != NULL;
  if (!d) return errno == ENOENT;
  struct dirent *e;
  int empty = 1;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
  closedir(d);
  return empty;
}

static int mkdirs_for(const char *file) {
  char p[PATH_MAX + 128];
  snprintf(p, sizeof p, "%s", file);
  for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
    *s = 0;
    if (mkdir(p, 0700) != 0 && errno != EEXIST) return -1;
    *s = '/';
  }
  return 0;
}

/* Where an archive entry lands under the new directory ("" = not a name of ours). */
static int target_of(const char *name, const char *tmp, char *out, size_t n) {
  if (!strcmp(name, "db/tucai.db"))
    snprintf(out, n, "%s/tucai.db", tmp);
  else if (!strcmp(name, "db/tucai.pgdump"))
    snprintf(out, n, "%s/tmp/restore.pgdump", tmp);
  else if (!strncmp(name, "blobs/", 6) && strncmp(name, "blobs/tmp/", 10))
    snprintf(out, n, "%s/%s", tmp, name);
  else if (!strncmp(name, "s3/", 3))
    snprintf(out, n, "%s/tmp/restore-%s", tmp, name); /* uploaded, then removed */
  else if (!strncmp(name, "files/", 6) && strncmp(name, "files/blobs/", 12) && strncmp(name, "files/tmp/", 10) &&
           strncmp(name, "files/tucai.db", 14))
    snprintf(out, n, "%s/%s", tmp, name + 6);
  else
    return -1;
  return 0;
}

typedef struct seen {
  char name[ARCHIVE_NAME_MAX + 1];
  uint64_t size;
  char sha[65];
} seen;

static int check_manifest(const json_t *m, seen *got, size_t ngot, err_t *err) {
  const char *format = json_string_value(json_object_get(m, "format"));
  if (!format || strcmp(format, FORMAT)) return err_set(err, 400, "backup_format", "not a Tucai backup (%s)", FORMAT);
  json_t *files = json_object_get(m, "files");
  if (!json_is_array(files) || json_array_size(files) != ngot)
    return err_set(err, 400, "backup_corrupt", "the backup holds %zu files, its manifest lists %zu", ngot,
                   json_array_size(files));
  for (size_t i = 0; i < json_array_size(files); i++) {
    json_t *f = json_array_get(files, i);
    const char *p = json_string_value(json_object_get(f, "path")), *h = json_string_value(json_object_get(f, "sha256"));
    json_int_t size = json_integer_value(json_object_get(f, "size"));
    size_t k = 0;
    while (k < ngot && (!p || strcmp(got[k].name, p))) k++;
    if (k == ngot)
      return err_set(err, 400, "backup_corrupt", "%s is in the manifest but not in the backup", p ? p : "?");
    if (!h || strcmp(got[k].sha, h) || (json_int_t)got[k].size != size)
      return err_set(err, 400, "backup_corrupt", "%s does not match its checksum: the backup is damaged or altered", p);
  }
  return 0;
}

/* Reads a whole restored file (an S3 object: one photo's ciphertext). */
static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct stat sb;
  uint8_t *buf = NULL;
  if (fstat(fileno(f), &sb) == 0 && sb.st_size >= 0 && (buf = xmalloc((size_t)sb.st_size + 1)) &&
      fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) *len = (size_t)sb.st_size;
  return buf;
}

/* Puts the backup's s3/ objects (checked against the manifest already) into the bucket under
 * their own names, then removes the unpacked copies. */
static int put_s3_objects(const seen *got, size_t ngot, const char *tmp, s3_client *s3, FILE *say, err_t *err) {
  size_t count = 0;
  for (size_t k = 0; k < ngot; k++) count += !strncmp(got[k].name, "s3/", 3);
  if (!count) return 0;
  if (!s3)
    return err_set(err, 400, "restore_s3",
                   "this backup holds %zu photo objects from S3 storage: give the S3 settings (s3_endpoint, s3_bucket, "
                   "the key files; the old bucket or a new one) so that restore can put them there",
                   count);
  for (size_t k = 0; k < ngot; k++) {
    if (strncmp(got[k].name, "s3/", 3)) continue;
    char path[PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/tmp/restore-%s", tmp, got[k].name);
    size_t len = 0;
    uint8_t *bytes = slurp(path, &len);
    if (!bytes) return err_set(err, 0, "restore_read", "cannot read back %s", path);
    int rc = s3_put(s3, got[k].name + 3, bytes, len, err);
    free(bytes);
    if (rc < 0) return -1;
  }
  char dir[PATH_MAX + 32];
  snprintf(dir, sizeof dir, "%s/tmp/restore-s3", tmp);
  rm_tree(dir);
  fprintf(say, "restore: %zu photo objects put into %s\n", count, s3_where(s3));
  return 0;
}

int backup_restore(const char *file, const char *data_dir, const char *db_url, s3_client *s3, FILE *say,
                   backup_counts *n, err_t *err) {
  memset(n, 0, sizeof *n);
  int exists;
  if (!dir_is_empty_or_absent(data_dir, &exists))
    return err_set(err, 409, "restore_not_empty", "%s is not empty: restore goes into an empty or new directory",
                   data_dir);
  FILE *in = fopen(file, "rb");
  if (!in) return err_set(err, 404, "restore_read", "cannot read %s: %s", file, strerror(errno));
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.restore-XXXXXX", data_dir);
  if (!mkdtemp(tmp)) {
    fclose(in);
    return err_set(err, 0, "restore_write", "cannot create %s: %s", tmp, strerror(errno));
  }
  size_t ngot = 0, cap = 1024;
  seen *got = xmalloc(cap * sizeof *got);
  char *manifest = NULL, dump[PATH_MAX + 128] = "";
  int rc = 0, has_sqlite = 0;
  for (;;) {
    char name[ARCHIVE_NAME_MAX + 1], path[PATH_MAX + 128];
    uint64_t size;
    int r = archive_next(in, name, &size, err);
    if (r <= 0) {
      rc = r;
      break;
    }
    uint8_t sha[32];
    if (!strcmp(name, MANIFEST)) {
      if (manifest || size > MAX_MANIFEST) {
        rc = err_set(err, 400, "backup_corrupt", "the backup's manifest is not one of ours");
        break;
      }
      manifest = xcalloc(1, (size_t)size + 1);
      FILE *mem = fmemopen(manifest, (size_t)size + 1, "w");
      rc = archive_read_body(in, size, mem, sha, err);
      fclose(mem);
      if (rc < 0) break;
      continue;
    }
    if (target_of(name, tmp, path, sizeof path) < 0) {
      rc = err_set(err, 400, "backup_corrupt", "the backup holds %s, which is not a name of ours", name);
      break;
    }
    for (size_t k = 0; k < ngot; k++)
      if (!strcmp(got[k].name, name)) rc = err_set(err, 400, "backup_corrupt", "%s appears twice in the backup", name);
    if (rc < 0) break;
    FILE *to = mkdirs_for(path) == 0 ? fopen(path, "wbx") : NULL;
    if (!to) {
      rc = err_set(err, 0, "restore_write", "cannot write %s: %s", path, strerror(errno));
      break;
    }
    rc = archive_read_body(in, size, to, sha, err);
    if (fflush(to) != 0 || fsync(fileno(to)) != 0) rc = rc ? rc : err_set(err, 0, "restore_write", "writing %s", path);
    fclose(to);
    if (rc < 0) break;
    if (ngot == cap) got = xrealloc(got, (cap *= 2) * sizeof *got);
    snprintf(got[ngot].name, sizeof got[ngot].name, "%s", name);
    got[ngot].size = size;
    hex(sha, got[ngot].sha);
    ngot++;
    n->files++;
    n->bytes += (int64_t)size;
    if (!strncmp(name, "blobs/", 6) || !strncmp(name, "s3/", 3)) n->blobs++;
    if (!strcmp(name, "db/tucai.pgdump")) snprintf(dump, sizeof dump, "%s", path);
    if (!strcmp(name, "db/tucai.db")) has_sqlite = 1;
  }
  fclose(in);
  if (rc == 0 && !manifest) rc = err_set(err, 400, "backup_corrupt", "the backup has no manifest");
  if (rc == 0) {
    json_error_t je;
    json_t *m = json_loads(manifest, 0, &je);
    rc = m ? check_manifest(m, got, ngot, err)
           : err_set(err, 400, "backup_corrupt", "the manifest is not JSON: %s", je.text);
    json_decref(m);
  }
  free(manifest);
  if (rc == 0 && !*dump && !has_sqlite) rc = err_set(err, 400, "backup_corrupt", "the backup holds no database");
  if (rc == 0 && *dump && !is_postgres(db_url))
    rc = err_set(err, 400, "restore_db",
                 "this backup holds a PostgreSQL dump: name an empty database with --db postgres://...");
  if (rc == 0 && has_sqlite && db_url && *db_url)
    rc = err_set(err, 400, "restore_db", "this backup holds an SQLite database: restore it without --db");
  if (rc == 0) rc = put_s3_objects(got, ngot, tmp, s3, say, err);
  free(got);
  if (rc == 0 && *dump) {
    char db_arg[4200];
    snprintf(db_arg, sizeof db_arg, "--dbname=%s", db_url);
    char *argv[] = {
        "pg_restore", "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges", db_arg, dump, NULL};
    rc = run_tool(argv, err);
    unlink(dump);
  }
  if (rc == 0 && exists && rmdir(data_dir) != 0)
    rc = err_set(err, 0, "restore_write", "cannot replace the empty %s: %s", data_dir, strerror(errno));
  if (rc == 0 && rename(tmp, data_dir) != 0)
    rc = err_set(err, 0, "restore_write", "cannot move %s into place: %s", tmp, strerror(errno));
  if (rc < 0) {
    rm_tree(tmp);
    if (exists) mkdir(data_dir, 0700);
    return -1;
  }
  char parent[PATH_MAX];
  parent_of(data_dir, parent, sizeof parent);
  fsync_path(parent, 1);
  fprintf(say, "restore: %lld files (%lld photo objects) into %s; put the master key in place before starting\n",
          (long long)n->files, (long long)n->blobs, data_dir);
  return 0;
}

/* ---- verifying -------------------------------------------------------------------------- */

int backup_verify(store_t *st, blob_store *bs, FILE *say, backup_counts *n, err_t *err) {
  memset(n, 0, sizeof *n);
  db_t *db = store_get(st, err);
  if (!db) return -1;
  int64_t last = 0;
  int rc = 0;
  /* Pages of ids, so that a large store is never read into memory at once. */
  for (;;) {
    db_res *r = db_query(
        db, err, "SELECT id FROM blobs WHERE wrapped_key IS NOT NULL AND id > $1 ORDER BY id LIMIT 500", DB_INT(last));
    if (!r) {
      rc = -1;
      break;
    }
    int rows = db_res_rows(r);
    for (int i = 0; i < rows; i++) {
      last = db_res_int_at(r, i, "id");
      uint8_t *bytes = NULL;
      size_t len = 0;
      err_t e = {0};
      n->blobs++;
      if (blob_get(bs, db, last, &bytes, &len, &e) < 0) {
        n->failed++;
        fprintf(say, "verify: object %lld: %s (%s)\n", (long long)last, e.code, e.message);
      } else
        n->bytes += (int64_t)len;
      free(bytes);
    }
    db_res_free(r);
    if (rows < 500) break;
  }
  store_put(st, db);
  if (rc == 0 && n->failed)
    rc = err_set(err, 500, "verify_failed", "%lld of %lld objects do not decrypt", (long long)n->failed,
                 (long long)n->blobs);
  return rc;
}
