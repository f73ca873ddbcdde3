/* wx_subscribe: the students' answers to subscription offers (see wx_subscribe.h). */
#include "wechat/wx_subscribe.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/roles.h"
#include "util/clock.h"

int64_t wx_session_identity(db_t *db, int64_t session_id, err_t *err) {
  db_res *r = db_query(db, err, "SELECT identity_id FROM wechat_sessions WHERE session_id = $1", DB_INT(session_id));
  if (!r) return -1;
  int64_t id = db_res_rows(r) ? db_res_int_at(r, 0, "identity_id") : 0;
  db_res_free(r);
  return id;
}

int64_t wx_session_identity_kind(db_t *db, int64_t session_id, char kind[8], err_t *err) {
  kind[0] = 0;
  db_res *r = db_query(db, err,
                       "SELECT s.identity_id, i.app_kind FROM wechat_sessions s JOIN wechat_identities i ON i.id = "
                       "s.identity_id WHERE s.session_id = $1",
                       DB_INT(session_id));
  if (!r) return -1;
  int64_t id = 0;
  if (db_res_rows(r)) {
    id = db_res_int_at(r, 0, "identity_id");
    snprintf(kind, 8, "%s", db_res_text_at(r, 0, "app_kind"));
  }
  db_res_free(r);
  return id;
}

int wx_subscribe_record(db_t *db, int64_t identity_id, const char *template_id, const char *status, const char *source,
                        err_t *err) {
  return db_exec(
             db, err,
             "INSERT INTO wechat_subscriptions (identity_id, template_id, status, source, at) VALUES ($1, $2, $3, $4, $5) "
             "ON CONFLICT (identity_id, template_id) DO UPDATE SET status = excluded.status, source = excluded.source, "
             "at = excluded.at",
             DB_INT(identity_id), DB_TEXT(template_id), DB_TEXT(status), DB_TEXT(source), DB_INT(clock_now_ms())) < 0
             ? -1
             : 0;
}

int wx_subscribe_refused(db_t *db, int64_t identity_id, const char *template_id, err_t *err) {
  db_res *r = db_query(db, err, "SELECT status FROM wechat_subscriptions WHERE identity_id = $1 AND template_id = $2",
                       DB_INT(identity_id), DB_TEXT(template_id));
  if (!r) return -1;
  int refused = db_res_rows(r) && strcmp(db_res_text_at(r, 0, "status"), "refused") == 0;
  db_res_free(r);
  return refused;
}

json_t *wx_subscribe_answers(db_t *db, int64_t identity_id, err_t *err) {
  db_res *r =
      db_query(db, err, "SELECT template_id, status FROM wechat_subscriptions WHERE identity_id = $1 ORDER BY id",
               DB_INT(identity_id));
  if (!r) return NULL;
  json_t *o = json_object();
  for (int i = 0; i < db_res_rows(r); i++)
    json_object_set_new(o, db_res_text_at(r, i, "template_id"), json_string(db_res_text_at(r, i, "status")));
  db_res_free(r);
  return o;
}

int wx_subscribe_record_answers(db_t *db, int64_t identity_id, int64_t account_id, const json_t *answers,
                                const char *source, err_t *err) {
  if (db_begin(db, err) < 0) return -1;
  int rc = 0, accepted = 0, refused = 0;
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)answers, key, v) {
    const char *a = json_string_value(v);
    if (rc < 0 || !a || (strcmp(a, "accepted") && strcmp(a, "refused"))) continue;
    accepted += !strcmp(a, "accepted");
    refused += !strcmp(a, "refused");
    rc = wx_subscribe_record(db, identity_id, key, a, source, err);
  }
  json_t *d = json_pack("{s:i, s:i, s:s}", "accepted", accepted, "refused", refused, "via", source);
  if (rc == 0) rc = audit_log(db, ROLE_STUDENT, account_id, "wechat.subscribe", "student_account", account_id, d, err);
  json_decref(d);
  if (rc == 0) rc = db_commit(db, err);
  if (rc < 0) db_rollback(db);
  return rc;
}
