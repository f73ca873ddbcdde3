#include "auth/users.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth/session.h"
#include "util/clock.h"

/* Interactive-strength Argon2id: ~0.1 s and 64 MiB per sign-in on a small server. */
#define OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

int users_check_password(const char *password, err_t *err) {
  size_t n = password ? strlen(password) : 0;
  if (n < 10) return err_set(err, 400, "weak_password", "password must have at least 10 characters");
  if (n > 256) return err_set(err, 400, "weak_password", "password must have at most 256 characters");
  return 0;
}

/* At most one Argon2 run per core at a time. Every connection has its own thread, and each run
 * takes 64 MiB for its duration: fifty sign-ins at once (a class of staff on Monday morning, or
 * someone guessing passwords) would otherwise hold 3 GiB together and push the process out of
 * memory, while they cannot finish sooner than one core each allows anyway. The others wait
 * their turn on a condition variable (a thread parked, no memory held). */
static pthread_mutex_t kdf_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t kdf_free = PTHREAD_COND_INITIALIZER;
static int kdf_running, kdf_max;

static void kdf_enter(void) {
  pthread_mutex_lock(&kdf_lock);
  if (!kdf_max) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    kdf_max = n < 1 ? 1 : n > 16 ? 16 : (int)n;
  }
  while (kdf_running >= kdf_max) pthread_cond_wait(&kdf_free, &kdf_lock);
  kdf_running++;
  pthread_mutex_unlock(&kdf_lock);
}

static void kdf_leave(void) {
  pthread_mutex_lock(&kdf_lock);
  kdf_running--;
  pthread_cond_signal(&kdf_free);
  pthread_mutex_unlock(&kdf_lock);
}

static int hash_password(const char *password, char out[crypto_pwhash_STRBYTES], err_t *err) {
  kdf_enter();
  int rc = crypto_pwhash_str(out, password, strlen(password), OPS, MEM);
  kdf_leave();
  if (rc != 0) return err_set(err, 0, "out_of_memory", "password hashing failed");
  return 0;
}

int64_t users_add(db_t *db, const char *username, const char *display_name, int role, int64_t school_id,
                  const char *password, err_t *err) {
  if (!username || !*username || strlen(username) > 60)
    return err_set(err, 400, "invalid_username", "username must have 1 to 60 characters");
  for (const char *p = username; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
      return err_set(err, 400, "invalid_username", "username may use a-z, 0-9, '.', '_' and '-'");
  if (role != ROLE_REVIEWER && role != ROLE_SCHOOL_ADMIN && role != ROLE_OPERATOR)
    return err_set(err, 400, "invalid_role", "role must be reviewer, school_admin or operator");
  if (users_check_password(password, err) < 0) return -1;
  char hash[crypto_pwhash_STRBYTES];
  if (hash_password(password, hash, err) < 0) return -1;
  int64_t now = clock_now_ms();
  db_res *r = db_query(db, err,
                       "INSERT INTO users (username, display_name, role, school_id, password_hash, created_at, "
                       "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                       DB_TEXT(username), DB_TEXT(display_name ? display_name : ""), DB_TEXT(auth_role_name(role)),
                       DB_INT(school_id), DB_TEXT(hash), DB_INT(now));
  if (!r) {
    if (db_last_was_unique_violation(db)) err_set(err, 409, "user_exists", "user '%s' exists already", username);
    return -1;
  }
  int64_t id = db_res_int_at(r, 0, "id");
  db_res_free(r);
  return id;
}

static void fill(db_res *r, staff_user *u) {
  memset(u, 0, sizeof *u);
  u->id = db_res_int_at(r, 0, "id");
  snprintf(u->username, sizeof u->username, "%s", db_res_text_at(r, 0, "username"));
  snprintf(u->display_name, sizeof u->display_name, "%s", db_res_text_at(r, 0, "display_name"));
  u->role = auth_role_from_name(db_res_text_at(r, 0, "role"));
  u->school_id = db_res_int_at(r, 0, "school_id");
  u->disabled = (int)db_res_int_at(r, 0, "disabled");
}

#define USER_COLS "id, username, display_name, role, school_id, disabled, password_hash"

/* A hash to verify against when the user is unknown, so that both answers cost the same time. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy_hash(void) {
  kdf_enter();
  if (crypto_pwhash_str(dummy_hash, "not a password", 14, OPS, MEM) != 0) dummy_hash[0] = 0; /* verify then fails */
  kdf_leave();
}

int users_load_credentials(db_t *db, const char *username, staff_credentials *out, err_t *err) {
  memset(out, 0, sizeof *out);
  db_res *r = db_query(db, err, "SELECT " USER_COLS " FROM users WHERE username = $1", DB_TEXT(username));
  if (!r) return -1;
  out->found = db_res_rows(r) == 1;
  if (out->found) {
    fill(r, &out->user);
    snprintf(out->hash, sizeof out->hash, "%s", db_res_text_at(r, 0, "password_hash"));
  }
  db_res_free(r);
  return 0;
}

int users_verify(const staff_credentials *c, const char *password) {
  pthread_once(&dummy_once, make_dummy_hash);
  const char *hash = c->found ? c->hash : dummy_hash;
  kdf_enter();
  int ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
  kdf_leave();
  return c->found && ok && !c->user.disabled;
}

int users_authenticate(db_t *db, const char *username, const char *password, staff_user *out, err_t *err) {
  staff_credentials c;
  if (users_load_credentials(db, username, &c, err) < 0) return -1;
  int ok = users_verify(&c, password);
  if (ok) *out = c.user;
  sodium_memzero(c.hash, sizeof c.hash);
  return ok;
}

int users_get(db_t *db, int64_t id, staff_user *out, err_t *err) {
  db_res *r = db_query(db, err, "SELECT " USER_COLS " FROM users WHERE id = $1", DB_INT(id));
  if (!r) return -1;
  int found = db_res_rows(r) == 1;
  if (found) fill(r, out);
  db_res_free(r);
  return found;
}

int64_t users_find(db_t *db, const char *username, err_t *err) {
  return db_int(db, err, 0, "SELECT id FROM users WHERE username = $1", DB_TEXT(username));
}

int users_set_password(db_t *db, int64_t id, const char *password, err_t *err) {
  if (users_check_password(password, err) < 0) return -1;
  char hash[crypto_pwhash_STRBYTES];
  if (hash_password(password, hash, err) < 0) return -1;
  int64_t n = db_exec(db, err, "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3", DB_TEXT(hash),
                      DB_INT(clock_now_ms()), DB_INT(id));
  if (n <= 0) return n < 0 ? -1 : err_set(err, 404, "not_found", "no such user");
  staff_user u;
  if (users_get(db, id, &u, err) == 1) auth_session_delete_user(db, u.role, id, err);
  return 0;
}

int users_set_disabled(db_t *db, int64_t id, int disabled, err_t *err) {
  staff_user u;
  if (users_get(db, id, &u, err) != 1) return err_set(err, 404, "not_found", "no such user");
  if (db_exec(db, err, "UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3", DB_INT(disabled),
              DB_INT(clock_now_ms()), DB_INT(id)) < 0)
    return -1;
  return disabled ? auth_session_delete_user(db, u.role, id, err) : 0;
}
