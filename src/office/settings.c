/* settings.c: audited changes of a batch's settings (see settings.h). */
#include "office/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "identity/batch.h"

static int64_t when(const json_t *v, int end, const char *name, err_t *err) {
  if (json_is_integer(v) && json_integer_value(v) > 0) return json_integer_value(v);
  int64_t ms = json_is_string(v) ? shanghai_parse(json_string_value(v), end) : -1;
  if (ms < 0) err_set(err, 400, "invalid_field", "字段 %s 应为日期（YYYY-MM-DD，北京时间）或毫秒时间戳", name);
  return ms;
}

static int profile_ok(const char *s, const char *dir) {
  size_t n = strlen(s);
  if (n == 0 || n > 60) return 0;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) return 0;
  char path[1200];
  snprintf(path, sizeof path, "%s/%s.json", dir, s);
  return access(path, R_OK) == 0;
}

/* Checks a fee list like batch_create does and returns it as canonical JSON text (malloc'd). */
static char *fees_text(const json_t *fees, err_t *err) {
  if (!json_is_array(fees) || json_array_size(fees) > BATCH_MAX_FEES) {
    err_set(err, 400, "invalid_fees", "fees 应为费用项目数组（最多 %d 项）", BATCH_MAX_FEES);
    return NULL;
  }
  json_t *out = json_array();
  size_t i;
  json_t *f;
  json_array_foreach(fees, i, f) {
    const char *code = json_string_value(json_object_get(f, "code"));
    const char *name = json_string_value(json_object_get(f, "name"));
    json_t *amt = json_object_get(f, "amount_fen");
    json_t *req = json_object_get(f, "required");
    if (!code || !name || !*code || !*name || strlen(code) >= 32 || strlen(name) >= 64 || !json_is_integer(amt) ||
        json_integer_value(amt) < 0 || json_integer_value(amt) > 10000000 || (req && !json_is_boolean(req))) {
      json_decref(out);
      err_set(err, 400, "invalid_fees", "费用项目 %zu 需要 code、name 和不小于 0 的整数金额 amount_fen（分）", i + 1);
      return NULL;
    }
    for (size_t k = 0; k < i; k++)
      if (!strcmp(json_string_value(json_object_get(json_array_get(fees, k), "code")), code)) {
        json_decref(out);
        err_set(err, 400, "invalid_fees", "费用代码 %s 重复", code);
        return NULL;
      }
    json_array_append_new(out, json_pack("{s:s,s:s,s:I,s:b}", "code", code, "name", name, "amount_fen",
                                         (json_int_t)json_integer_value(amt), "required", json_is_true(req)));
  }
  char *t = json_dumps(out, JSON_COMPACT);
  json_decref(out);
  if (!t) err_set(err, 0, "oom", "out of memory");
  return t;
}

json_t *office_batch_update(db_t *db, int64_t batch_id, const json_t *change, const char *profiles_dir, int actor_role,
                            int64_t actor_id, err_t *err) {
  static const char *const known[] = {"window_start", "window_end",      "fees",        "profile",
                                      "eligibility",  "max_submissions", "camera_only", NULL};
  if (!json_is_object(change) || json_object_size(change) == 0) {
    err_set(err, 400, "empty_change", "请至少修改一项设置");
    return NULL;
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)change, key, v) {
    int ok = 0;
    for (int i = 0; known[i] && !ok; i++) ok = !strcmp(known[i], key);
    if (!ok) {
      err_set(
          err, 400, "unknown_field",
          "不能修改字段 %.40s（可修改：window_start、window_end、fees、profile、eligibility、max_submissions、camera_only）",
          key);
      return NULL;
    }
  }
  batch b;
  if (batch_get(db, batch_id, &b, err) < 0) return NULL;
  int64_t ws = b.window_start_ms, we = b.window_end_ms;
  if ((v = json_object_get(change, "window_start")) && (ws = when(v, 0, "window_start", err)) < 0) return NULL;
  if ((v = json_object_get(change, "window_end")) && (we = when(v, 1, "window_end", err)) < 0) return NULL;
  if (we <= ws) {
    err_set(err, 400, "invalid_window", "采集时段无效：结束时间必须晚于开始时间");
    return NULL;
  }
  const char *profile = b.profile;
  if ((v = json_object_get(change, "profile"))) {
    profile = json_string_value(v);
    if (!profile || !profile_ok(profile, profiles_dir)) {
      err_set(err, 400, "invalid_profile", "照片规格不存在");
      return NULL;
    }
  }
  /* How many submissions a student may make (0 = no limit; a handful at most: some services allow 3),
   * and whether the student page offers the camera only. */
  int max_sub = b.max_submissions, cam_only = b.camera_only;
  if ((v = json_object_get(change, "max_submissions"))) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 20) {
      err_set(err, 400, "invalid_max_submissions", "最多提交次数应为 0 到 20 的整数（0 表示不限）");
      return NULL;
    }
    max_sub = (int)json_integer_value(v);
  }
  if ((v = json_object_get(change, "camera_only"))) {
    if (!json_is_boolean(v)) {
      err_set(err, 400, "invalid_camera_only", "“只允许现场拍摄”应为是或否");
      return NULL;
    }
    cam_only = json_is_true(v);
  }
  char *elig = NULL, *fees = NULL;
  if ((v = json_object_get(change, "eligibility"))) {
    elig = json_is_object(v) ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!elig || strlen(elig) >= sizeof b.eligibility) {
      free(elig);
      err_set(err, 400, "invalid_eligibility", "eligibility 应为对象且不能过长");
      return NULL;
    }
  }
  if ((v = json_object_get(change, "fees")) && !(fees = fees_text(v, err))) {
    free(elig);
    return NULL;
  }
  /* What changed, old and new, for the audit log. */
  json_t *changed = json_array(), *detail = json_object();
  json_t *old_fees = json_array();
  for (int i = 0; i < b.n_fees; i++)
    json_array_append_new(old_fees,
                          json_pack("{s:s,s:s,s:I,s:b}", "code", b.fees[i].code, "name", b.fees[i].name, "amount_fen",
                                    (json_int_t)b.fees[i].amount_fen, "required", b.fees[i].required));
  struct {
    const char *field;
    json_t *old, *new_;
  } diffs[] = {
      {"window_start", json_integer(b.window_start_ms), json_integer(ws)},
      {"window_end", json_integer(b.window_end_ms), json_integer(we)},
      {"profile", json_string(b.profile), json_string(profile)},
      {"eligibility", json_loads(b.eligibility[0] ? b.eligibility : "{}", 0, NULL),
       elig ? json_loads(elig, 0, NULL) : json_loads(b.eligibility[0] ? b.eligibility : "{}", 0, NULL)},
      {"fees", old_fees, fees ? json_loads(fees, 0, NULL) : json_incref(old_fees)},
      {"max_submissions", json_integer(b.max_submissions), json_integer(max_sub)},
      {"camera_only", json_boolean(b.camera_only), json_boolean(cam_only)},
  };
  for (size_t i = 0; i < sizeof diffs / sizeof diffs[0]; i++) {
    if (!json_equal(diffs[i].old, diffs[i].new_)) {
      json_array_append_new(changed, json_string(diffs[i].field));
      json_object_set_new(detail, diffs[i].field, json_pack("{s:O,s:O}", "old", diffs[i].old, "new", diffs[i].new_));
    }
    json_decref(diffs[i].old);
    json_decref(diffs[i].new_);
  }
  int rc = 0;
  if (json_array_size(changed) > 0) {
    rc = db_begin(db, err);
    if (!rc && db_exec(db, err,
                       "UPDATE batches SET window_start = $1, window_end = $2, profile = $3, "
                       "eligibility = COALESCE($4, eligibility), fees = COALESCE($5, fees), max_submissions = $6, "
                       "camera_only = $7 WHERE id = $8",
                       DB_INT(ws), DB_INT(we), DB_TEXT(profile), elig ? DB_TEXT(elig) : DB_NULL,
                       fees ? DB_TEXT(fees) : DB_NULL, DB_INT(max_sub), DB_INT(cam_only), DB_INT(batch_id)) != 1)
      rc = err_is_set(err) ? -1 : err_set(err, 404, "batch_not_found", "批次不存在");
    if (!rc) rc = audit_log(db, actor_role, actor_id, "batch.settings", "batch", batch_id, detail, err);
    if (!rc) rc = db_commit(db, err);
    if (rc) db_rollback(db);
  }
  free(elig);
  free(fees);
  json_decref(detail);
  if (rc) {
    json_decref(changed);
    return NULL;
  }
  return json_pack("{s:o}", "changed", changed);
}
