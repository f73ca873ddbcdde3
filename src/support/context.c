/* context.c: the student beside a support thread (see context.h). */
#include "support/context.h"

#include <sodium.h>

#include "identity/student.h"
#include "pay/orders.h"

json_t *support_context(db_t *db, int64_t account_id, err_t *err) {
  student_record s;
  if (student_current(db, account_id, &s, err) < 0) {
    if (err->status == 404) err_set(err, 404, "thread_not_found", "thread not found");
    return NULL;
  }
  json_t *o = json_object();
  json_object_set_new(o, "student",
                      s.record_id ? json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", s.name, "student_no", s.student_no,
                                              "college", s.college, "major", s.major, "degree", s.degree)
                                  : json_null());
  sodium_memzero(&s, sizeof s);
  db_res *r = db_query(db, err, "SELECT phone_masked FROM student_accounts WHERE id = $1", DB_INT(account_id));
  if (!r) goto fail;
  json_object_set_new(o, "phone_masked", json_string(db_res_rows(r) ? db_res_text_at(r, 0, "phone_masked") : ""));
  db_res_free(r);
  int64_t order =
      db_int(db, err, 0, "SELECT COALESCE(MAX(id), 0) FROM pay_orders WHERE account_id = $1", DB_INT(account_id));
  if (err_is_set(err)) goto fail;
  json_t *oj = json_null();
  if (order) {
    pay_order po;
    if (pay_order_get(db, order, &po, err) < 0) goto fail;
    oj = pay_order_json(&po);
  }
  json_object_set_new(o, "order", oj);
  return o;
fail:
  json_decref(o);
  return NULL;
}
