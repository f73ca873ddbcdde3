/* batch: schools and batches in the store, the window in Asia/Shanghai (see batch.h). */
#include "identity/batch.h"

#include "photo/photo.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

#define SHANGHAI_OFFSET_MS (8LL * 3600 * 1000) /* UTC+8 all year: China has no daylight saving */

int64_t shanghai_parse(const char *s, int end_of_day) {
  if (!s) return -1;
  int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
  size_t len = strlen(s);
  /* Each sscanf below is checked by its count and %n; the ranges are checked after. */
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return -1; // NOLINT(cert-err34-c)
  int plain = len == 10;
  if (!plain) {
    int m2 = 0;
    // NOLINTNEXTLINE(cert-err34-c)
    if ((s[10] != 'T' && s[10] != ' ') || sscanf(s + 11, "%2d:%2d%n", &h, &mi, &m2) != 2) return -1;
    const char *rest = s + 11 + m2;
    if (*rest == ':') {
      int m3 = 0;
      if (sscanf(rest + 1, "%2d%n", &sec, &m3) != 1 || m3 != 2) return -1; // NOLINT(cert-err34-c)
      rest += 3;
    }
    if (*rest) return -1;
  }
  if (y < 2000 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 || h < 0 ||
      mi < 0 || sec < 0)
    return -1;
  struct tm tm = {0};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  /* timegm normalises 02-31 to 03-03: refuse dates that do not exist. */
  struct tm back;
  gmtime_r(&t, &back);
  if (back.tm_mday != d || back.tm_mon != mo - 1) return -1;
  int64_t ms = (int64_t)t * 1000 - SHANGHAI_OFFSET_MS;
  if (plain && end_of_day) ms += 24LL * 3600 * 1000;
  return ms;
}

void shanghai_format(int64_t ms, char out[32]) {
  time_t t = (time_t)((ms + SHANGHAI_OFFSET_MS) / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%d %H:%M", &tm);
}

const batch_fee_item *batch_fee(const batch *b, const char *code) {
  for (int i = 0; i < b->n_fees; i++)
    if (strcmp(b->fees[i].code, code) == 0) return &b->fees[i];
  return NULL;
}

enum batch_window batch_window_at(const batch *b, int64_t now_ms) {
  if (now_ms < b->window_start_ms) return BATCH_BEFORE;
  if (now_ms >= b->window_end_ms) return BATCH_CLOSED;
  return BATCH_OPEN;
}

int batch_check_window(const batch *b, int64_t now_ms, err_t *err) {
  char when[32];
  switch (batch_window_at(b, now_ms)) {
    case BATCH_BEFORE:
      shanghai_format(b->window_start_ms, when);
      return err_set(err, 409, "window_not_open", "本批次采集尚未开始，将于 %s（北京时间）开放", when);
    case BATCH_CLOSED:
      shanghai_format(b->window_end_ms - 1, when);
      return err_set(err, 409, "window_closed", "本批次采集已于 %s（北京时间）结束", when);
    default:
      return 0;
  }
}

static int fees_from_json(const char *text, batch *b) {
  json_error_t je;
  json_t *a = json_loads(text, 0, &je);
  if (!json_is_array(a)) {
    json_decref(a);
    return -1;
  }
  size_t i;
  json_t *f;
  b->n_fees = 0;
  json_array_foreach(a, i, f) {
    if (b->n_fees >= BATCH_MAX_FEES) break;
    batch_fee_item *it = &b->fees[b->n_fees++];
    snprintf(it->code, sizeof it->code, "%s", json_string_value(json_object_get(f, "code")) ?: "");
    snprintf(it->name, sizeof it->name, "%s", json_string_value(json_object_get(f, "name")) ?: "");
    it->amount_fen = json_integer_value(json_object_get(f, "amount_fen"));
    it->required = json_is_true(json_object_get(f, "required"));
  }
  json_decref(a);
  return 0;
}

int batch_get(db_t *db, int64_t id, batch *out, err_t *err) {
  memset(out, 0, sizeof *out);
  db_res *r = db_query(
      db, err,
      "SELECT b.id, b.school_id, s.code, s.name AS school_name, b.name, b.window_start, b.window_end, b.fees, "
      "b.profile, b.eligibility, b.max_submissions, b.camera_only FROM batches b JOIN schools s ON s.id = b.school_id WHERE b.id = $1",
      DB_INT(id));
  if (!r) return -1;
  if (db_res_rows(r) == 0) {
    db_res_free(r);
    return err_set(err, 404, "batch_not_found", "采集批次不存在");
  }
  out->id = db_res_int_at(r, 0, "id");
  out->school_id = db_res_int_at(r, 0, "school_id");
  snprintf(out->school_code, sizeof out->school_code, "%s", db_res_text_at(r, 0, "code"));
  snprintf(out->school_name, sizeof out->school_name, "%s", db_res_text_at(r, 0, "school_name"));
  snprintf(out->name, sizeof out->name, "%s", db_res_text_at(r, 0, "name"));
  out->window_start_ms = db_res_int_at(r, 0, "window_start");
  out->window_end_ms = db_res_int_at(r, 0, "window_end");
  fees_from_json(db_res_text_at(r, 0, "fees"), out);
  snprintf(out->profile, sizeof out->profile, "%s", db_res_text_at(r, 0, "profile"));
  snprintf(out->eligibility, sizeof out->eligibility, "%s", db_res_text_at(r, 0, "eligibility"));
  out->max_submissions = (int)db_res_int_at(r, 0, "max_submissions");
  out->camera_only = db_res_int_at(r, 0, "camera_only") != 0;
  db_res_free(r);
  return 0;
}

int64_t school_create(db_t *db, const char *code, const char *name, err_t *err) {
  if (!code || !*code || strlen(code) > 20) return err_set(err, 400, "invalid_school_code", "学校代码无效");
  for (const char *c = code; *c; c++)
    if ((*c < '0' || *c > '9') && (*c < 'A' || *c > 'Z'))
      return err_set(err, 400, "invalid_school_code", "学校代码只能包含数字和大写字母");
  if (!name || !*name || strlen(name) > 120) return err_set(err, 400, "invalid_school_name", "学校名称无效");
  db_res *r = db_query(db, err, "INSERT INTO schools (code, name, created_at) VALUES ($1, $2, $3) RETURNING id",
                       DB_TEXT(code), DB_TEXT(name), DB_INT(clock_now_ms()));
  if (!r) {
    if (db_last_was_unique_violation(db)) return err_set(err, 409, "school_exists", "学校代码 %s 已存在", code);
    return -1;
  }
  int64_t id = db_res_int_at(r, 0, "id");
  db_res_free(r);
  return id;
}

int64_t batch_create(db_t *db, const batch *b, const char *profiles_dir, err_t *err) {
  err_clear(err); /* tested after db_int below */
  if (!b->name[0]) return err_set(err, 400, "invalid_batch_name", "批次名称不能为空");
  if (b->window_start_ms <= 0 || b->window_end_ms <= b->window_start_ms)
    return err_set(err, 400, "invalid_window", "采集时段无效：结束时间必须晚于开始时间");
  if (!b->profile[0]) return err_set(err, 400, "invalid_profile", "照片规格不能为空");
  /* A batch names a profile that exists: the engine never falls back to another one (a white
   * background instead of the blue the students were told about). */
  photo_profile *pr = photo_profile_load(profiles_dir, b->profile, err);
  if (!pr) return err_set(err, 400, "unknown_profile", "照片规格“%.40s”不存在，请从列表中选择", b->profile);
  photo_profile_free(pr);
  if (b->n_fees < 0 || b->n_fees > BATCH_MAX_FEES) return err_set(err, 400, "invalid_fees", "费用项目过多");
  json_t *fees = json_array();
  for (int i = 0; i < b->n_fees; i++) {
    const batch_fee_item *f = &b->fees[i];
    if (!f->code[0] || !f->name[0] || f->amount_fen < 0 || f->amount_fen > 10000000) {
      json_decref(fees);
      return err_set(err, 400, "invalid_fees", "费用项目 %d 无效：需要代码、名称和不小于 0 的金额（分）", i + 1);
    }
    for (int k = 0; k < i; k++)
      if (strcmp(b->fees[k].code, f->code) == 0) {
        json_decref(fees);
        return err_set(err, 400, "invalid_fees", "费用代码 %s 重复", f->code);
      }
    json_array_append_new(fees, json_pack("{s:s, s:s, s:I, s:b}", "code", f->code, "name", f->name, "amount_fen",
                                          (json_int_t)f->amount_fen, "required", f->required));
  }
  char *fees_text = json_dumps(fees, JSON_COMPACT);
  json_decref(fees);
  if (db_int(db, err, 0, "SELECT COUNT(*) FROM schools WHERE id = $1", DB_INT(b->school_id)) != 1) {
    free(fees_text);
    if (err_is_set(err)) return -1;
    return err_set(err, 404, "school_not_found", "学校不存在");
  }
  db_res *r = db_query(db, err,
                       "INSERT INTO batches (school_id, name, window_start, window_end, fees, profile, eligibility, "
                       "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                       DB_INT(b->school_id), DB_TEXT(b->name), DB_INT(b->window_start_ms), DB_INT(b->window_end_ms),
                       DB_TEXT(fees_text), DB_TEXT(b->profile), DB_TEXT(b->eligibility[0] ? b->eligibility : "{}"),
                       DB_INT(clock_now_ms()));
  free(fees_text);
  if (!r) return -1;
  int64_t id = db_res_int_at(r, 0, "id");
  db_res_free(r);
  return id;
}
