/* blob.c: encrypt-then-store, three backends (see blob.h). The ciphertext format is
 *   "TBL1" | secretstream header (24) | chunks of up to CHUNK plaintext bytes + ABYTES each
 * and is the same for every backend. */
#include "blob/blob.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob/s3.h"
#include "util/clock.h"
#include "util/vault.h"
#include "util/xmalloc.h"

#define CHUNK 65536
#define MAGIC "TBL1"
#define HDR (4 + crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define CCHUNK (CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES)

enum backend { B_DIR, B_DB, B_S3 };
static const char *const BACKEND_NAME[] = {"dir", "db", "s3"};

struct blob_store {
  enum backend put_to; /* where new objects go */
  char dir[1024];      /* <data>/blobs */
  s3_client *s3;       /* NULL when no S3 endpoint is configured */
};

static int mkdir_p(const char *p) { return mkdir(p, 0700) == 0 || errno == EEXIST ? 0 : -1; }

blob_store *blob_store_open(const char *backend, const char *data_dir, err_t *err) {
  return blob_store_open_s3(backend, data_dir, NULL, err);
}

blob_store *blob_store_open_s3(const char *backend, const char *data_dir, const s3_opts *s3, err_t *err) {
  if (!backend || !*backend) backend = "dir";
  int b = !strcmp(backend, "dir") ? B_DIR : !strcmp(backend, "db") ? B_DB : !strcmp(backend, "s3") ? B_S3 : -1;
  if (b < 0) {
    err_set(err, 400, "blob_backend", "unknown blob backend '%s' (dir, db or s3)", backend);
    return NULL;
  }
  if (b == B_S3 && (!s3 || !s3->endpoint || !*s3->endpoint)) {
    err_set(err, 400, "blob_backend", "blob_store = s3 needs s3_endpoint, s3_bucket and the key files");
    return NULL;
  }
  if (!vault_ready()) {
    err_set(err, 0, "vault", "the vault is not initialised");
    return NULL;
  }
  blob_store *bs = xcalloc(1, sizeof *bs);
  bs->put_to = (enum backend)b;
  snprintf(bs->dir, sizeof bs->dir, "%s/blobs", data_dir);
  /* The client exists whenever S3 is configured, whatever the backend of new objects: objects
   * put there before a switch back to dir or db stay readable. */
  if (s3 && s3->endpoint && *s3->endpoint) {
    curl_global_init(CURL_GLOBAL_DEFAULT); /* reference-counted; at open, before any thread uses it */
    if (!(bs->s3 = s3_open(s3, err))) {
      free(bs);
      return NULL;
    }
  }
  if (b == B_DIR) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s/tmp", bs->dir);
    if (mkdir_p(bs->dir) < 0 || mkdir_p(tmp) < 0) {
      err_set(err, 0, "blob_dir", "cannot create the blob directory");
      blob_store_close(bs);
      return NULL;
    }
  }
  return bs;
}

void blob_store_close(blob_store *bs) {
  if (!bs) return;
  if (bs->s3) {
    s3_close(bs->s3);
    curl_global_cleanup();
  }
  free(bs);
}

/* The object key of a ref in the bucket: <2 hex>/<ref>, as on disk. */
static void s3_key(const char *ref, char *out, size_t n) { snprintf(out, n, "%.2s/%.40s", ref, ref); }

/* Ciphertext length of a plaintext of n bytes (encrypt_to: one chunk per CHUNK begun, at least
 * one): what a GET may bring back at most. */
static size_t cipher_len(uint64_t n) {
  uint64_t chunks = n ? (n + CHUNK - 1) / CHUNK : 1;
  return HDR + (size_t)chunks * crypto_secretstream_xchacha20poly1305_ABYTES + (size_t)n;
}

static void blob_path(const blob_store *bs, const char *ref, char *out, size_t n) {
  snprintf(out, n, "%s/%.2s/%s", bs->dir, ref, ref);
}

/* A growable buffer or a file: where the ciphertext goes. */
typedef struct sink {
  FILE *f;
  uint8_t *buf;
  size_t len, cap;
} sink;

static int sink_write(sink *s, const void *p, size_t n) {
  if (s->f) return fwrite(p, 1, n, s->f) == n ? 0 : -1;
  if (s->len + n > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 65536;
    while (cap < s->len + n) cap *= 2;
    s->buf = xrealloc(s->buf, cap), s->cap = cap;
  }
  memcpy(s->buf + s->len, p, n);
  s->len += n;
  return 0;
}

/* Encrypts from either memory (src) or a file (in) into the sink. */
static int encrypt_to(const uint8_t key[32], const uint8_t *src, size_t len, FILE *in, sink *out, size_t *plain_len) {
  crypto_secretstream_xchacha20poly1305_state st;
  uint8_t header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  crypto_secretstream_xchacha20poly1305_init_push(&st, header, key);
  if (sink_write(out, MAGIC, 4) < 0 || sink_write(out, header, sizeof header) < 0) return -1;
  uint8_t *plain = xmalloc(CHUNK), *cipher = xmalloc(CCHUNK);
  int rc = 0;
  size_t off = 0, total = 0;
  for (;;) {
    size_t n;
    int last;
    if (in) {
      n = fread(plain, 1, CHUNK, in);
      if (ferror(in)) {
        rc = -1;
        break;
      }
      int c = n == CHUNK ? fgetc(in) : EOF;
      last = c == EOF;
      if (c != EOF) ungetc(c, in);
    } else {
      n = len - off > CHUNK ? CHUNK : len - off;
      memcpy(plain, src + off, n);
      off += n;
      last = off >= len;
    }
    total += n;
    unsigned long long clen;
    crypto_secretstream_xchacha20poly1305_push(&st, cipher, &clen, plain, n, NULL, 0,
                                               last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
    if (sink_write(out, cipher, (size_t)clen) < 0) {
      rc = -1;
      break;
    }
    if (last) break;
  }
  sodium_memzero(plain, CHUNK);
  free(plain);
  free(cipher);
  *plain_len = total;
  return rc;
}

static int decrypt(const uint8_t key[32], const uint8_t *c, size_t clen, uint8_t **out, size_t *out_len) {
  if (clen < HDR || memcmp(c, MAGIC, 4) != 0) return -1;
  crypto_secretstream_xchacha20poly1305_state st;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&st, c + 4, key) != 0) return -1;
  size_t off = HDR, cap = clen, n = 0;
  uint8_t *buf = xmalloc(cap ? cap : 1);
  int final = 0;
  while (off < clen && !final) {
    size_t take = clen - off > CCHUNK ? CCHUNK : clen - off;
    unsigned long long mlen;
    unsigned char tag;
    if (crypto_secretstream_xchacha20poly1305_pull(&st, buf + n, &mlen, &tag, c + off, take, NULL, 0) != 0) break;
    n += (size_t)mlen;
    off += take;
    final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  }
  if (!final || off != clen) {
    sodium_memzero(buf, n);
    free(buf);
    return -1;
  }
  *out = buf;
  *out_len = n;
  return 0;
}

static int fsync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

/* An object encrypted and written, its row not yet inserted (blob_prepare_file). */
struct blob_pending {
  char ref[33];
  uint8_t wrapped[VAULT_WRAPPED_BYTES];
  size_t plain_len;
  uint8_t *buf; /* the ciphertext in memory, "db" and "s3" backends */
  size_t buf_len;
  char final[1200]; /* its file, "dir" backend */
};

/* Encrypts and writes the ciphertext (file: temp name, fsync, rename); no row yet. */
static blob_pending *prepare(blob_store *bs, const uint8_t *src, size_t len, const char *path, err_t *err) {
  blob_pending *p = xcalloc(1, sizeof *p);
  uint8_t key[32];
  crypto_secretstream_xchacha20poly1305_keygen(key);
  if (vault_wrap_key(key, p->wrapped) < 0) {
    sodium_memzero(key, sizeof key);
    free(p);
    err_set(err, 0, "vault", "cannot wrap the object key");
    return NULL;
  }
  uint8_t rnd[16];
  randombytes_buf(rnd, sizeof rnd);
  sodium_bin2hex(p->ref, sizeof p->ref, rnd, sizeof rnd);
  FILE *in = NULL;
  if (path && !(in = fopen(path, "rb"))) {
    sodium_memzero(key, sizeof key);
    free(p);
    err_set(err, 0, "blob_read", "cannot read the upload");
    return NULL;
  }
  sink s = {0};
  char tmp[1200], sub[1100];
  int rc = 0;
  if (bs->put_to == B_DIR) {
    snprintf(tmp, sizeof tmp, "%s/tmp/%s", bs->dir, p->ref);
    s.f = fopen(tmp, "wb");
    if (!s.f) rc = err_set(err, 0, "blob_write", "cannot write a blob");
  }
  if (rc == 0 && encrypt_to(key, src, len, in, &s, &p->plain_len) < 0)
    rc = err_set(err, 0, "blob_write", "cannot write a blob");
  sodium_memzero(key, sizeof key);
  if (in) fclose(in);
  if (bs->put_to == B_DIR && s.f) {
    if (rc == 0 && (fflush(s.f) != 0 || fsync(fileno(s.f)) != 0))
      rc = err_set(err, 0, "blob_write", "cannot sync a blob");
    if (fclose(s.f) != 0 && rc == 0) rc = err_set(err, 0, "blob_write", "cannot write a blob");
    if (rc == 0) {
      snprintf(sub, sizeof sub, "%s/%.2s", bs->dir, p->ref);
      blob_path(bs, p->ref, p->final, sizeof p->final);
      if (mkdir_p(sub) < 0 || rename(tmp, p->final) != 0 || fsync_dir(sub) != 0)
        rc = err_set(err, 0, "blob_write", "cannot place a blob");
    }
    if (rc < 0) unlink(tmp);
  }
  char key_name[64];
  s3_key(p->ref, key_name, sizeof key_name);
  /* S3: the object is complete in the bucket before the row names it, as a file would be. */
  if (rc == 0 && bs->put_to == B_S3 && s3_put(bs->s3, key_name, s.buf, s.len, err) < 0) rc = -1;
  if (rc < 0) {
    free(s.buf);
    free(p);
    return NULL;
  }
  p->buf = s.buf;
  p->buf_len = s.len;
  return p;
}

blob_pending *blob_prepare_file(blob_store *bs, const char *path, err_t *err) {
  return prepare(bs, NULL, 0, path, err);
}

int blob_commit(blob_store *bs, db_t *db, blob_pending *p, const char *kind, int64_t *id, err_t *err) {
  db_res *r =
      db_query(db, err,
               "INSERT INTO blobs (kind, backend, ref, wrapped_key, size, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
               "RETURNING id",
               DB_TEXT(kind), DB_TEXT(BACKEND_NAME[bs->put_to]), DB_TEXT(p->ref),
               DB_BLOB(p->wrapped, sizeof p->wrapped), DB_INT((int64_t)p->plain_len), DB_INT(clock_now_ms()));
  if (!r) return -1;
  *id = db_res_int_at(r, 0, "id");
  db_res_free(r);
  if (bs->put_to == B_DB && db_exec(db, err, "INSERT INTO blob_data (blob_id, data) VALUES ($1, $2)", DB_INT(*id),
                                    DB_BLOB(p->buf, p->buf_len)) < 0)
    return -1;
  return 0;
}

void blob_pending_done(blob_store *bs, blob_pending *p, int committed) {
  if (!p) return;
  /* Not committed: no row will name the file or object, so it goes now. */
  if (!committed && bs->put_to == B_DIR && p->final[0]) unlink(p->final);
  if (!committed && bs->put_to == B_S3) {
    char key_name[64];
    err_t ignored = {0};
    s3_key(p->ref, key_name, sizeof key_name);
    s3_delete(bs->s3, key_name, &ignored);
  }
  sodium_memzero(p->wrapped, sizeof p->wrapped);
  free(p->buf);
  free(p);
}

/* Writes the ciphertext, then inserts the row (see the crash-safety note in blob.h). */
static int put(blob_store *bs, db_t *db, const uint8_t *src, size_t len, const char *path, const char *kind,
               int64_t *id, err_t *err) {
  blob_pending *p = prepare(bs, src, len, path, err);
  if (!p) return -1;
  int rc = blob_commit(bs, db, p, kind, id, err);
  blob_pending_done(bs, p, rc == 0);
  return rc;
}

int blob_put(blob_store *bs, db_t *db, const void *bytes, size_t len, const char *kind, int64_t *id, err_t *err) {
  return put(bs, db, bytes, len, NULL, kind, id, err);
}

int blob_put_file(blob_store *bs, db_t *db, const char *path, const char *kind, int64_t *id, err_t *err) {
  return put(bs, db, NULL, 0, path, kind, id, err);
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0) {
    fclose(f);
    return NULL;
  }
  uint8_t *buf = xmalloc((size_t)sb.st_size + 1);
  size_t n = fread(buf, 1, (size_t)sb.st_size, f);
  fclose(f);
  if (n != (size_t)sb.st_size) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

int blob_get(blob_store *bs, db_t *db, int64_t id, uint8_t **bytes, size_t *len, err_t *err) {
  db_res *r = db_query(
      db, err, "SELECT backend, ref, wrapped_key, size FROM blobs WHERE id = $1 AND deleted_at IS NULL", DB_INT(id));
  if (!r) return -1;
  if (db_res_rows(r) == 0) {
    db_res_free(r);
    return err_set(err, 404, "blob_not_found", "照片不存在或已删除");
  }
  int in_db = !strcmp(db_res_text_at(r, 0, "backend"), "db"), in_s3 = !strcmp(db_res_text_at(r, 0, "backend"), "s3");
  char ref[64];
  snprintf(ref, sizeof ref, "%s", db_res_text_at(r, 0, "ref"));
  int64_t plain = db_res_int_at(r, 0, "size");
  size_t wl = 0;
  const void *w = db_res_blob_at(r, 0, "wrapped_key", &wl);
  uint8_t key[32];
  int ok = wl == VAULT_WRAPPED_BYTES && vault_unwrap_key(w, key) == 0;
  db_res_free(r);
  if (!ok) return err_set(err, 500, "blob_corrupt", "stored photo key cannot be opened");
  uint8_t *c = NULL;
  size_t clen = 0;
  if (in_s3) {
    char k[64];
    s3_key(ref, k, sizeof k);
    err_t e = {0};
    if (!bs->s3)
      err_set(&e, 0, "blob_s3_config", "this photo is stored on S3 but no s3_endpoint is configured");
    else
      s3_get(bs->s3, k, cipher_len(plain < 0 ? 0 : (uint64_t)plain), &c, &clen, &e);
    if (err_is_set(&e)) {
      sodium_memzero(key, sizeof key);
      if (!strcmp(e.code, "s3_not_found")) return err_set(err, 500, "blob_missing", "stored photo is missing (S3)");
      if (!strcmp(e.code, "s3_too_large"))
        return err_set(err, 500, "blob_corrupt", "stored photo failed authentication");
      if (err) *err = e;
      return -1;
    }
  } else if (in_db) {
    db_res *d = db_query(db, err, "SELECT data FROM blob_data WHERE blob_id = $1", DB_INT(id));
    if (!d) {
      sodium_memzero(key, sizeof key);
      return -1;
    }
    if (db_res_rows(d) == 1) {
      const void *p = db_res_blob_at(d, 0, "data", &clen);
      c = xmalloc(clen ? clen : 1);
      if (clen) memcpy(c, p, clen);
    }
    db_res_free(d);
  } else {
    char path[1200];
    blob_path(bs, ref, path, sizeof path);
    c = read_file(path, &clen);
  }
  int rc = 0;
  if (!c)
    rc = err_set(err, 500, "blob_missing", "stored photo is missing");
  else if (decrypt(key, c, clen, bytes, len) < 0)
    rc = err_set(err, 500, "blob_corrupt", "stored photo failed authentication");
  sodium_memzero(key, sizeof key);
  free(c);
  return rc;
}

int blob_delete(blob_store *bs, db_t *db, int64_t id, err_t *err) {
  db_res *r = db_query(db, err, "SELECT backend, ref FROM blobs WHERE id = $1 AND deleted_at IS NULL", DB_INT(id));
  if (!r) return -1;
  if (db_res_rows(r) == 0) {
    db_res_free(r);
    return err_set(err, 404, "blob_not_found", "照片不存在或已删除");
  }
  int in_db = !strcmp(db_res_text_at(r, 0, "backend"), "db"), in_s3 = !strcmp(db_res_text_at(r, 0, "backend"), "s3");
  char path[1200], k[64];
  blob_path(bs, db_res_text_at(r, 0, "ref"), path, sizeof path);
  s3_key(db_res_text_at(r, 0, "ref"), k, sizeof k);
  db_res_free(r);
  /* The key goes first: without it the ciphertext is noise even if the unlink is lost. */
  if (db_exec(db, err, "UPDATE blobs SET wrapped_key = NULL, deleted_at = $1 WHERE id = $2", DB_INT(clock_now_ms()),
              DB_INT(id)) < 0)
    return -1;
  if (in_db) return db_exec(db, err, "DELETE FROM blob_data WHERE blob_id = $1", DB_INT(id)) < 0 ? -1 : 0;
  /* S3: the key is already gone, so what a failed DELETE leaves in the bucket is noise; still an
   * error, so that the caller knows (inside its transaction it rolls back and can try again). */
  if (in_s3) {
    if (!bs->s3)
      return err_set(err, 0, "blob_s3_config", "this photo is stored on S3 but no s3_endpoint is configured");
    return s3_delete(bs->s3, k, err);
  }
  if (unlink(path) != 0 && errno != ENOENT) return err_set(err, 0, "blob_delete", "cannot remove a blob file");
  return 0;
}

int blob_kind(db_t *db, int64_t id, char out[24], err_t *err) {
  out[0] = 0;
  db_res *r = db_query(db, err, "SELECT kind FROM blobs WHERE id = $1", DB_INT(id));
  if (!r) return -1;
  if (db_res_rows(r)) snprintf(out, 24, "%s", db_res_text_at(r, 0, "kind"));
  db_res_free(r);
  return 0;
}

s3_client *blob_store_s3(blob_store *bs) { return bs->s3; }
