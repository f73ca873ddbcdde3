/* users: staff accounts (reviewer, school_admin, operator) with Argon2id password hashes.
 * Students are not users: they sign in by phone (src/identity). Usernames are not personal data
 * in logs' sense but are still not logged; ids are. */
#ifndef TUCAI_AUTH_USERS_H
#define TUCAI_AUTH_USERS_H

#include <stdint.h>

#include "store/store.h"

typedef struct staff_user {
  int64_t id;
  char username[64];
  char display_name[128];
  int role;          /* ROLE_* bit */
  int64_t school_id; /* 0 = all schools */
  int disabled;
} staff_user;

/* Rules for new passwords: 10+ characters. Returns -1 with a message when too weak. */
int users_check_password(const char *password, err_t *err);
int64_t users_add(db_t *db, const char *username, const char *display_name, int role, int64_t school_id,
                  const char *password, err_t *err);
/* Verifies username + password; 1 and *out on success, 0 on wrong credentials (same answer for
 * an unknown user, and the same time spent, so usernames cannot be probed). */
int users_authenticate(db_t *db, const char *username, const char *password, staff_user *out, err_t *err);
/* The same in two steps, so that Argon2id (about 0.1 s and 64 MiB) runs without a pooled
 * connection held: read the account with the connection, give it back, then verify. */
typedef struct staff_credentials {
  staff_user user;
  int found;
  char hash[128]; /* crypto_pwhash_STRBYTES */
} staff_credentials;
int users_load_credentials(db_t *db, const char *username, staff_credentials *out, err_t *err);
/* 1 when the password is right and the account enabled; 0 otherwise, in the same time for an
 * unknown account (verifies against a dummy hash). */
int users_verify(const staff_credentials *c, const char *password);
int users_get(db_t *db, int64_t id, staff_user *out, err_t *err);
int users_set_password(db_t *db, int64_t id, const char *password, err_t *err);
int users_set_disabled(db_t *db, int64_t id, int disabled, err_t *err);
int64_t users_find(db_t *db, const char *username, err_t *err); /* id, 0 when none */

#endif
