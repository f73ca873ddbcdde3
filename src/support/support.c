/* support.c: messages in one table; "read" means read by the other side. */
#include "support/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/roles.h"
#include "blob/blob.h"
#include "identity/quota.h"
#include "notify/notify.h"
#include "util/clock.h"
#include "util/image_type.h"

/* Attachments are screenshots and photos: JPEG, PNG or WebP (no HEIC: browsers cannot show it). */
static const char *sniff(const char *path) {
  const char *mime = image_type_of_file(path);
  return mime && strcmp(mime, "image/heic") ? mime : NULL;
}

int support_post(const support_env *env, db_t *db, int64_t account_id, int from_role, int64_t author_id,
                 const char *body, const char *attachment_path, int64_t *id, err_t *err) {
  if (!body) body = "";
  if (!*body && !attachment_path) return err_set(err, 400, "empty_message", "请输入内容或添加图片");
  if (strlen(body) > 4000) return err_set(err, 400, "message_too_long", "消息太长（最多 4000 字节）");
  const char *mime = "";
  int64_t blob = 0;
  if (attachment_path) {
    mime = sniff(attachment_path);
    if (!mime) return err_set(err, 415, "not_an_image", "附件只能是 JPG、PNG 或 WebP 图片");
    if (blob_put_file(env->blobs, db, attachment_path, "attachment", &blob, err) < 0) return -1;
  }
  int64_t school = db_int(db, err, 0,
                          "SELECT r.school_id FROM student_links l JOIN roster_records r ON r.id = l.record_id "
                          "WHERE l.account_id = $1",
                          DB_INT(account_id));
  if (db_begin(db, err) < 0) goto fail;
  if (from_role == ROLE_STUDENT) {
    quota q = {env->per_hour, env->total};
    if (quota_check(db, QUOTA_SUPPORT, account_id, &q, clock_now_ms(), err) < 0) goto fail;
  }
  db_res *r = db_query(
      db, err,
      "INSERT INTO support_messages (account_id, school_id, from_role, author_id, body, attachment_blob, attachment_type, "
      "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
      DB_INT(account_id), DB_INT(school), DB_INT(from_role), DB_INT(author_id), DB_TEXT(body), DB_INT(blob),
      DB_TEXT(mime), DB_INT(clock_now_ms()));
  if (!r) goto fail;
  *id = db_res_int_at(r, 0, "id");
  db_res_free(r);
  if (from_role != ROLE_STUDENT) {
    /* A reply answers everything the student wrote before it: their messages are read now, so the
     * operators' unread count clears even when the reply came from another screen. */
    if (db_exec(db, err,
                "UPDATE support_messages SET read_at = $1 WHERE account_id = $2 AND from_role = $3 AND read_at = 0",
                DB_INT(clock_now_ms()), DB_INT(account_id), DB_INT(ROLE_STUDENT)) < 0)
      goto fail;
    char key[48];
    snprintf(key, sizeof key, "support:%lld", (long long)*id);
    json_t *d = json_pack("{s:I}", "message_id", (json_int_t)*id);
    int rc = notify_student(db, account_id, "support_reply", "客服回复", "客服回复了你的咨询，请查看。", d, key, err);
    json_decref(d);
    if (rc < 0) goto fail;
  }
  if (db_commit(db, err) == 0) return 0;
fail:
  db_rollback(db);
  if (blob) { /* the message was not stored: neither is its image */
    err_t ignore = {0};
    blob_delete(env->blobs, db, blob, &ignore);
  }
  return -1;
}

json_t *support_thread(db_t *db, int64_t account_id, int reader_role, err_t *err) {
  db_res *r =
      db_query(db, err,
               "SELECT id, from_role, author_id, body, attachment_blob, created_at, read_at FROM support_messages "
               "WHERE account_id = $1 ORDER BY id",
               DB_INT(account_id));
  if (!r) return NULL;
  json_t *a = json_array();
  for (int i = 0; i < db_res_rows(r); i++) {
    json_array_append_new(
        a, json_pack("{s:I, s:s, s:s, s:b, s:I, s:b}", "id", (json_int_t)db_res_int_at(r, i, "id"), "from",
                     db_res_int_at(r, i, "from_role") == ROLE_STUDENT ? "student" : "operator", "body",
                     db_res_text_at(r, i, "body"), "has_attachment", db_res_int_at(r, i, "attachment_blob") != 0,
                     "created_at", (json_int_t)db_res_int_at(r, i, "created_at"), "read",
                     db_res_int_at(r, i, "read_at") != 0));
  }
  db_res_free(r);
  const char *mark =
      reader_role == ROLE_STUDENT
          ? "UPDATE support_messages SET read_at = $1 WHERE account_id = $2 AND from_role <> 1 AND read_at = 0"
          : "UPDATE support_messages SET read_at = $1 WHERE account_id = $2 AND from_role = 1 AND read_at = 0";
  if (db_exec(db, err, mark, DB_INT(clock_now_ms()), DB_INT(account_id)) < 0) {
    json_decref(a);
    return NULL;
  }
  return a;
}

json_t *support_threads(db_t *db, err_t *err) {
  db_res *r = db_query(
      db, err,
      "SELECT account_id, MAX(created_at) AS last_at, SUM(CASE WHEN from_role = 1 AND read_at = 0 THEN 1 ELSE 0 END) AS unread, COUNT(*) AS messages "
      "FROM support_messages GROUP BY account_id ORDER BY MAX(created_at) DESC LIMIT 500");
  if (!r) return NULL;
  json_t *a = json_array();
  for (int i = 0; i < db_res_rows(r); i++)
    json_array_append_new(
        a, json_pack("{s:I, s:I, s:I, s:I}", "account_id", (json_int_t)db_res_int_at(r, i, "account_id"), "last_at",
                     (json_int_t)db_res_int_at(r, i, "last_at"), "unread", (json_int_t)db_res_int_at(r, i, "unread"),
                     "messages", (json_int_t)db_res_int_at(r, i, "messages")));
  db_res_free(r);
  return a;
}

int support_attachment(struct blob_store *blobs, db_t *db, int64_t message_id, int64_t account_id, uint8_t **bytes,
                       size_t *len, char mime[32], err_t *err) {
  db_res *r =
      db_query(db, err, "SELECT account_id, attachment_blob, attachment_type FROM support_messages WHERE id = $1",
               DB_INT(message_id));
  if (!r) return -1;
  int ok = db_res_rows(r) == 1 && db_res_int_at(r, 0, "attachment_blob") &&
           (!account_id || db_res_int_at(r, 0, "account_id") == account_id);
  int64_t blob = ok ? db_res_int_at(r, 0, "attachment_blob") : 0;
  if (ok) snprintf(mime, 32, "%s", db_res_text_at(r, 0, "attachment_type"));
  db_res_free(r);
  if (!ok) return err_set(err, 404, "attachment_not_found", "附件不存在");
  return blob_get(blobs, db, blob, bytes, len, err);
}
