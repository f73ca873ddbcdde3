/* session: sign-in sessions for staff and students.
 *
 * A session is a 256-bit random token sent to the browser in the HttpOnly cookie `tucai_sid`;
 * the store keeps only its SHA-256 (a stolen database gives no usable cookie). Sessions expire
 * (sliding, `session_ttl` seconds, default 8 hours for staff and 7 days for students) and end at
 * logout. The HTTP server looks the cookie up for every request (through the lookup that
 * src/api/ gives it, which calls auth_session_lookup) and checks the route's roles before any
 * handler runs. */
#ifndef TUCAI_AUTH_SESSION_H
#define TUCAI_AUTH_SESSION_H

#include <stdint.h>

#include "auth/roles.h"
#include "store/store.h"

/* A live session, as the store keeps it. */
typedef struct auth_session {
  int64_t id;        /* sessions.id */
  int64_t user_id;   /* users.id (staff) or students' account id */
  int role;          /* one ROLE_* bit */
  int64_t school_id; /* staff bound to a school (0 = all) */
  char csrf[64];     /* the session's own CSRF token: state-changing requests must echo it */
} auth_session;

/* Creates a session for (role, user_id) and writes the cookie token (64 hex chars + NUL) into
 * token_out. school_id binds staff to one school (0 = all). */
int auth_session_create(db_t *db, int role, int64_t user_id, int64_t school_id, int64_t ttl_s, char token_out[65],
                        err_t *err);
/* Finds a live session by cookie token; returns 1 and fills *out, 0 when none or expired. */
int auth_session_lookup(db_t *db, const char *token, auth_session *out, err_t *err);
int auth_session_delete(db_t *db, const char *token, err_t *err);
/* Ends every session of one account (password change, disable). */
int auth_session_delete_user(db_t *db, int role, int64_t user_id, err_t *err);
const char *auth_role_name(int role);
int auth_role_from_name(const char *name); /* 0 when unknown */

#endif
