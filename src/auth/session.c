#include "auth/session.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/clock.h"

static void token_hash(const char *token, char out[65]) {
  uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const uint8_t *)token, strlen(token));
  sodium_bin2hex(out, 65, h, sizeof h);
}

int auth_session_create(db_t *db, int role, int64_t user_id, int64_t school_id, int64_t ttl_s, char token_out[65],
                        err_t *err) {
  uint8_t raw[32], csrf_raw[16];
  randombytes_buf(raw, sizeof raw);
  randombytes_buf(csrf_raw, sizeof csrf_raw);
  sodium_bin2hex(token_out, 65, raw, sizeof raw);
  char hash[65], csrf[33];
  token_hash(token_out, hash);
  sodium_bin2hex(csrf, sizeof csrf, csrf_raw, sizeof csrf_raw);
  int64_t now = clock_now_ms();
  return db_exec(db, err,
                 "INSERT INTO sessions (token_hash, role, user_id, school_id, csrf, created_at, last_seen_at, "
                 "expires_at, ttl_ms) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)",
                 DB_TEXT(hash), DB_INT(role), DB_INT(user_id), DB_INT(school_id), DB_TEXT(csrf), DB_INT(now),
                 DB_INT(now + ttl_s * 1000), DB_INT(ttl_s * 1000)) < 0
             ? -1
             : 0;
}

int auth_session_lookup(db_t *db, const char *token, auth_session *out, err_t *err) {
  char hash[65];
  token_hash(token, hash);
  int64_t now = clock_now_ms();
  db_res *r = db_query(db, err,
                       "SELECT id, role, user_id, school_id, csrf, last_seen_at, ttl_ms FROM sessions "
                       "WHERE token_hash = $1 AND expires_at > $2",
                       DB_TEXT(hash), DB_INT(now));
  if (!r) return -1;
  if (db_res_rows(r) == 0) {
    db_res_free(r);
    return 0;
  }
  memset(out, 0, sizeof *out);
  out->id = db_res_int_at(r, 0, "id");
  out->role = (int)db_res_int_at(r, 0, "role");
  out->user_id = db_res_int_at(r, 0, "user_id");
  out->school_id = db_res_int_at(r, 0, "school_id");
  snprintf(out->csrf, sizeof out->csrf, "%s", db_res_text_at(r, 0, "csrf"));
  int64_t last = db_res_int_at(r, 0, "last_seen_at"), ttl = db_res_int_at(r, 0, "ttl_ms");
  db_res_free(r);
  /* Sliding expiry, written at most once a minute per session to keep reads cheap. */
  if (now - last > 60000) {
    err_t ignored = {0};
    db_exec(db, &ignored, "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3", DB_INT(now),
            DB_INT(now + ttl), DB_INT(out->id));
  }
  return 1;
}

int auth_session_delete(db_t *db, const char *token, err_t *err) {
  char hash[65];
  token_hash(token, hash);
  return db_exec(db, err, "DELETE FROM sessions WHERE token_hash = $1", DB_TEXT(hash)) < 0 ? -1 : 0;
}

int auth_session_delete_user(db_t *db, int role, int64_t user_id, err_t *err) {
  return db_exec(db, err, "DELETE FROM sessions WHERE role = $1 AND user_id = $2", DB_INT(role), DB_INT(user_id)) < 0
             ? -1
             : 0;
}

static const struct {
  int role;
  const char *name;
} roles[] = {{ROLE_STUDENT, "student"},
             {ROLE_REVIEWER, "reviewer"},
             {ROLE_SCHOOL_ADMIN, "school_admin"},
             {ROLE_OPERATOR, "operator"}};

const char *auth_role_name(int role) {
  for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
    if (roles[i].role == role) return roles[i].name;
  return "none";
}

int auth_role_from_name(const char *name) {
  for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
    if (name && !strcmp(roles[i].name, name)) return roles[i].role;
  return 0;
}
