/* link: see link.h. */
#include "identity/link.h"

#include <jansson.h>
#include <string.h>

int identity_eligible(const batch *b, const student_record *r) {
  json_t *rule = json_loads(b->eligibility, 0, NULL);
  int ok = json_is_object(rule); /* a corrupt rule admits nobody: fail closed, loudly */
  json_t *gy = json_object_get(rule, "grad_year");
  if (json_is_integer(gy) && json_integer_value(gy) != r->grad_year) ok = 0;
  json_t *degs = json_object_get(rule, "degrees");
  if (ok && json_is_array(degs) && json_array_size(degs) > 0) {
    ok = 0;
    size_t i;
    json_t *d;
    json_array_foreach(degs, i, d) if (json_is_string(d) && strcmp(json_string_value(d), r->degree) == 0) ok = 1;
  }
  json_decref(rule);
  return ok;
}

int identity_check_collectable(const batch *b, const student_record *r, int64_t account, int64_t now_ms, err_t *err) {
  if (r->status == STUDENT_APPROVED)
    return err_set(err, 409, "already_collected", "该学生的图像已采集并审核通过，不能重复采集");
  if (r->account_id && r->account_id != account)
    return err_set(err, 409, "record_taken", "该学籍记录已绑定其他手机号，如非本人操作请联系学校");
  if (!identity_eligible(b, r)) return err_set(err, 403, "not_eligible", "该学生不在本批次的采集范围内（%s）", b->name);
  return batch_check_window(b, now_ms, err);
}
