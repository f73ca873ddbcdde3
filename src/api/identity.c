/* identity: the student's first steps — phone sign-in with a one-time code, uploading the
 * collection code, confirming the roster record behind it — and "who am I" for students.
 *   POST /api/student/otp       {phone}                 send a sign-in code
 *   POST /api/student/login     {phone, code}           sign in (creates the account once)
 *   GET  /api/student/me                                account, linked record, batch
 *   GET  /api/student/privacy                           the notice (version, sections), when this account accepted it
 *   POST /api/student/privacy   {version}               accept the privacy notice (before the code step)
 *   POST /api/identity/code     multipart school_id + id_last4 + code (image)   read and check the code
 *   POST /api/identity/confirm  {claim_id}              link the account to the record shown
 * Every refusal has its own code and a Chinese message (see the refusal list in code.h/qr.h and
 * below). Nothing personal is logged; links and claims are audited by id. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/number.h"
#include "app.h"
#include "audit/audit.h"
#include "auth/session.h"
#include "auth/throttle.h"
#include "identity/batch.h"
#include "identity/code.h"
#include "identity/consent.h"
#include "identity/link.h"
#include "identity/otp.h"
#include "identity/qr.h"
#include "identity/qr_pool.h"
#include "identity/sms.h"
#include "identity/student.h"
#include "photo/photo.h"
#include "util/clock.h"
#include "util/vault.h"

#define CLAIM_TTL_MS (30LL * 60 * 1000)

static otp_limits limits(const app *a) {
  otp_limits l = {
      .ttl_ms = config_int(a->cfg, "otp_ttl") * 1000,
      .max_tries = (int)config_int(a->cfg, "otp_max_tries"),
      .resend_ms = config_int(a->cfg, "otp_resend") * 1000,
      .per_phone_hour = (int)config_int(a->cfg, "otp_phone_per_hour"),
      .per_ip_hour = (int)config_int(a->cfg, "otp_ip_per_hour"),
  };
  return l;
}

static int send_otp(http_req *req, http_resp *resp) {
  const char *phone = json_field_str(req, "phone", 1, 20);
  if (err_is_set(&req->err)) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  otp_limits lim = limits(api_app(req));
  char code[7];
  int rc = otp_issue(db, &lim, phone, req->client_ip, code, &req->err);
  api_db_put(req, db);
  if (rc != 0) return -1;
  char outbox[1024];
  const char *ob = config_str(api_app(req)->cfg, "sms_outbox");
  if (!*ob) {
    snprintf(outbox, sizeof outbox, "%s/sms-outbox.jsonl", api_app(req)->data_dir);
    ob = outbox;
  }
  sms_sender s = {config_str(api_app(req)->cfg, "sms_sender"), config_str(api_app(req)->cfg, "sms_http_url"),
                  config_str(api_app(req)->cfg, "sms_http_token_file"), ob};
  rc = sms_send_code(&s, phone, code, &req->err);
  memset(code, 0, sizeof code);
  if (rc != 0) return -1;
  return resp_json(resp, 200,
                   json_pack("{s:b, s:I, s:I}", "sent", 1, "expires_in", (json_int_t)(lim.ttl_ms / 1000), "resend_in",
                             (json_int_t)(lim.resend_ms / 1000)));
}

static int login(http_req *req, http_resp *resp) {
  const char *phone = json_field_str(req, "phone", 1, 20);
  const char *code = json_field_str(req, "code", 1, 12);
  if (err_is_set(&req->err)) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  otp_limits lim = limits(api_app(req));
  /* Besides each code's own tries: wrong codes per phone across codes and per client address,
   * counted before the check (auth/throttle.h), so that new codes do not mean new guesses. */
  throttle_rule by_phone, by_ip;
  api_throttle_rule(req, "otp_verify", &by_phone);
  api_throttle_rule(req, "otp_verify_ip", &by_ip);
  const char *ip = req->client_ip ? req->client_ip : "";
  int64_t retry = 0, now = clock_now_ms();
  int t = throttle_take(db, "otp_ip", ip, &by_ip, now, &retry, &req->err);
  if (t == 0) {
    t = throttle_take(db, "otp_phone", phone, &by_phone, now, &retry, &req->err);
    if (t == 1) throttle_forgive(db, "otp_ip", ip, &by_ip, 0, &req->err);
  }
  if (t != 0) {
    api_db_put(req, db);
    return t < 0 ? -1 : api_too_many_attempts(resp, retry, "验证码错误次数过多");
  }
  int rc = otp_check(db, &lim, phone, code, &req->err);
  if (rc == 0) rc = throttle_forgive(db, "otp_phone", phone, &by_phone, 1, &req->err);
  if (rc == 0) rc = throttle_forgive(db, "otp_ip", ip, &by_ip, 0, &req->err);
  int64_t account = rc == 0 ? student_account_for_phone(db, phone, &req->err) : -1;
  char token[65];
  int64_t ttl = config_int(api_app(req)->cfg, "student_session_ttl");
  if (account > 0)
    rc = auth_session_create(db, ROLE_STUDENT, account, 0, ttl, token, &req->err);
  else
    rc = -1;
  if (rc == 0) audit_log(db, ROLE_STUDENT, account, "student.login", "student_account", account, NULL, &req->err);
  /* Signed in inside WeChat for the first time: this confirmed phone is what the openid binds to. */
  int wx = rc == 0 ? api_wechat_bind_after_login(req, resp, db, account, token) : 0;
  api_db_put(req, db);
  if (rc != 0) return -1;
  err_clear(&req->err);
  resp_set_session_cookie(resp, req, token, (int)ttl);
  json_t *out = json_pack("{s:I, s:s}", "account_id", (json_int_t)account, "role", "student");
  if (wx)
    json_object_set_new(out, "wechat", json_string(wx == 1 ? "bound" : wx == 409 ? "bound_elsewhere" : "not_bound"));
  return resp_json(resp, 200, out);
}

static json_t *record_json(const student_record *r, const batch *b) {
  return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "record_id", (json_int_t)r->record_id,
                   "student_no", r->student_no, "name", r->name, "name_masked", r->name_masked, "id_masked",
                   r->id_masked, "college", r->college, "major", r->major, "degree", r->degree, "grad_year",
                   r->grad_year, "school_code", b->school_code, "school_name", b->school_name);
}

/* The batch for its student, with the photo it asks for (the profile's title, size and background
 * colour: what the rules page tells the student, from the same file the engine reads). */
static json_t *batch_json(const batch *b, const char *profiles_dir) {
  json_t *fees = json_array();
  for (int i = 0; i < b->n_fees; i++)
    json_array_append_new(
        fees, json_pack("{s:s, s:s, s:I, s:b}", "code", b->fees[i].code, "name", b->fees[i].name, "amount_fen",
                        (json_int_t)b->fees[i].amount_fen, "required", b->fees[i].required));
  const char *state = batch_window_at(b, clock_now_ms()) == BATCH_OPEN     ? "open"
                      : batch_window_at(b, clock_now_ms()) == BATCH_BEFORE ? "not_open"
                                                                           : "closed";
  json_t *o =
      json_pack("{s:I, s:I, s:s, s:I, s:I, s:s, s:o, s:s}", "id", (json_int_t)b->id, "school_id",
                (json_int_t)b->school_id, "name", b->name, "window_start", (json_int_t)b->window_start_ms, "window_end",
                (json_int_t)b->window_end_ms, "window", state, "fees", fees, "profile", b->profile);
  json_object_set_new(o, "max_submissions", json_integer(b->max_submissions));
  json_object_set_new(o, "camera_only", json_boolean(b->camera_only));
  err_t e = {0};
  photo_profile *p = photo_profile_load(profiles_dir, b->profile, &e);
  if (p) {
    json_object_set_new(o, "photo",
                        json_pack("{s:s, s:i, s:i, s:[i,i,i]}", "title", p->title, "width", p->width, "height",
                                  p->height, "background", p->background[0], p->background[1], p->background[2]));
    photo_profile_free(p);
  }
  return o;
}

static int me(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  student_record r;
  batch b;
  int rc = student_current(db, api_session(req)->user_id, &r, &req->err);
  if (rc == 0 && r.record_id) rc = batch_get(db, r.batch_id, &b, &req->err);
  api_db_put(req, db);
  if (rc != 0) return -1;
  static const char *names[] = {"unlinked", "linked", "approved"};
  json_t *o = json_pack("{s:I, s:s}", "account_id", (json_int_t)r.account_id, "status", names[r.status]);
  if (r.record_id) {
    json_object_set_new(o, "record", record_json(&r, &b));
    json_object_set_new(o, "batch", batch_json(&b, config_str(api_app(req)->cfg, "profiles")));
  } else {
    json_object_set_new(o, "record", json_null());
  }
  return resp_json(resp, 200, o);
}

static const char *pub_dir(const app *a, char *buf, size_t n) {
  const char *d = config_str(a->cfg, "code_pub_dir");
  if (*d) return d;
  snprintf(buf, n, "%s/code-keys", a->data_dir);
  return buf;
}

/* Whether the record's ID number ends with `want4`; 422 "id_last4_mismatch" when not. The number is
 * opened from its sealed form only for this comparison and wiped at once. */
static int id_last4_matches(db_t *db, int64_t record_id, const char want4[5], err_t *err) {
  db_res *r = db_query(db, err, "SELECT id_sealed FROM roster_records WHERE id = $1", DB_INT(record_id));
  if (!r) return -1;
  char *id = db_res_rows(r) ? vault_open_text(db_res_text_at(r, 0, "id_sealed"), err) : NULL;
  db_res_free(r);
  if (!id) return err_is_set(err) ? -1 : err_set(err, 404, "unknown_student", "没有找到该学生的学籍记录");
  size_t n = strlen(id);
  int same = n >= 4;
  for (size_t i = 0; same && i < 4; i++) {
    char ch = id[n - 4 + i];
    same = (ch == 'x' ? 'X' : ch) == want4[i];
  }
  memset(id, 0, n);
  free(id);
  if (!same)
    return err_set(err, 422, "id_last4_mismatch", "身份证号后 4 位与采集码对应的学籍信息不一致，请核对后重新填写");
  return 0;
}

static int privacy_get(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t at = consent_accepted_at(db, api_session(req)->user_id, CONSENT_VERSION, &req->err);
  api_db_put(req, db);
  if (at < 0) return -1;
  return resp_json(resp, 200,
                   json_pack("{s:s, s:o, s:o}", "version", CONSENT_VERSION, "sections", consent_notice_sections(),
                             "accepted_at", at ? json_integer(at) : json_null()));
}

static int privacy_accept(http_req *req, http_resp *resp) {
  const char *version = json_field_str(req, "version", 1, 40);
  if (err_is_set(&req->err)) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t at = consent_accept(db, api_session(req)->user_id, version, &req->err);
  api_db_put(req, db);
  if (at < 0) return -1;
  return resp_json(resp, 200, json_pack("{s:s, s:I}", "version", CONSENT_VERSION, "accepted_at", (json_int_t)at));
}

/* The last 4 characters of the ID number (form field id_last4), as the national service asks with
 * the code: a code found or forwarded is not enough to claim someone's record. Digits, and X (or
 * x) last; into want4 upper-cased. */
static int form_id_last4(http_req *req, char want4[5]) {
  const char *last4 = req_form(req, "id_last4");
  if (!last4 || strlen(last4) != 4) return err_set(&req->err, 400, "invalid_id_last4", "请填写身份证号的后 4 位");
  for (int i = 0; i < 4; i++) {
    char ch = last4[i];
    if (ch == 'x') ch = 'X';
    if (!((ch >= '0' && ch <= '9') || (ch == 'X' && i == 3)))
      return err_set(&req->err, 400, "invalid_id_last4", "身份证号后 4 位只能是数字（最后一位可以是 X）");
    want4[i] = ch;
  }
  return 0;
}

static int upload_code(http_req *req, http_resp *resp) {
  int64_t account = api_session(req)->user_id;
  const char *sid = req_form(req, "school_id");
  int64_t school_id;
  if (!sid || parse_int64(sid, 1, INT64_MAX, &school_id) < 0)
    return err_set(&req->err, 400, "invalid_school", "请先选择学校");
  char want4[5] = {0};
  if (form_id_last4(req, want4) != 0) return -1;
  const http_upload *up = req_upload(req, "code");
  if (!up || up->size <= 0) return err_set(&req->err, 400, "missing_code_image", "请上传采集码图片");

  /* The image work comes first, without holding a database connection, in one of the QR pool's
   * slots: when all are taken for longer than qr_wait_ms the student is told to retry. */
  char *text = NULL;
  qr_pool *pool = api_app(req)->qr;
  if (qr_pool_read_file(pool, up->path, CODE_PREFIX, &text, &req->err) != 0) {
    if (req->err.status != 503) return -1;
    /* Busy is an answer, not a failure: the student's message and Retry-After go out as they are
     * (an err left set would be logged and turned into the generic 500-class answer). */
    err_t busy = req->err;
    err_clear(&req->err);
    char after[16];
    snprintf(after, sizeof after, "%d", qr_pool_retry_after_s(pool));
    resp_header(resp, "Retry-After", after);
    return resp_error(resp, 503, busy.code, busy.message);
  }
  char kbuf[1024];
  code_keyring ring;
  if (code_keyring_load(pub_dir(api_app(req), kbuf, sizeof kbuf), &ring, &req->err) != 0) {
    free(text);
    err_clear(&req->err);
    return err_set(&req->err, 503, "no_issuer_keys", "系统尚未配置采集码公钥，请联系管理员");
  }
  code_payload p;
  if (code_verify(text, &ring, clock_now_ms(), &p, &req->err) != 0) {
    free(text);
    return -1;
  }

  db_t *db = api_db(req);
  if (!db) {
    free(text);
    return -1;
  }
  int rc = -1;
  student_record cur, r;
  batch b;
  db_res *sch = NULL, *found = NULL;
  if (consent_require(db, account, &req->err) != 0) goto done;
  if (student_current(db, account, &cur, &req->err) != 0) goto done;
  if (cur.record_id) {
    err_set(&req->err, 409, "already_linked", "当前账号已绑定学籍记录，无需重复上传采集码");
    goto done;
  }
  sch = db_query(db, &req->err, "SELECT code, name FROM schools WHERE id = $1", DB_INT(school_id));
  if (!sch) goto done;
  if (db_res_rows(sch) == 0) {
    err_set(&req->err, 404, "school_not_found", "所选学校不存在");
    goto done;
  }
  if (strcmp(p.school_code, db_res_text_at(sch, 0, "code")) != 0) {
    err_set(&req->err, 422, "other_school", "该采集码属于%s，不是所选的%s，请确认学校", p.school_name,
            db_res_text_at(sch, 0, "name"));
    goto done;
  }
  /* The student's record in this school's rosters; the newest batch first. The masked name and ID
   * in the code must match the roster too: a code is bound to one enrollment record. */
  found = db_query(db, &req->err,
                   "SELECT r.id FROM roster_records r JOIN batches b ON b.id = r.batch_id "
                   "WHERE r.school_id = $1 AND r.student_no = $2 AND r.name_masked = $3 AND r.id_masked = $4 "
                   "ORDER BY b.window_end DESC, r.id DESC LIMIT 1",
                   DB_INT(school_id), DB_TEXT(p.student_no), DB_TEXT(p.name_masked), DB_TEXT(p.id_masked));
  if (!found) goto done;
  if (db_res_rows(found) == 0) {
    err_set(&req->err, 404, "unknown_student", "在%s的采集名单中没有找到该学生，请联系学院核实名单",
            db_res_text_at(sch, 0, "name"));
    goto done;
  }
  if (student_record_get(db, db_res_int_at(found, 0, "id"), &r, &req->err) != 0) goto done;
  if (id_last4_matches(db, r.record_id, want4, &req->err) != 0) goto done;
  if (batch_get(db, r.batch_id, &b, &req->err) != 0) goto done;
  if (identity_check_collectable(&b, &r, account, clock_now_ms(), &req->err) != 0) goto done;
  char *sealed = vault_seal_text(text, &req->err);
  if (!sealed) goto done;
  int64_t now = clock_now_ms();
  db_exec(db, &req->err, "DELETE FROM identity_claims WHERE account_id = $1 OR expires_at < $2", DB_INT(account),
          DB_INT(now));
  db_res *ins = db_query(db, &req->err,
                         "INSERT INTO identity_claims (account_id, record_id, code_sealed, issuer_kid, seal_kid, "
                         "created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                         DB_INT(account), DB_INT(r.record_id), DB_TEXT(sealed), DB_TEXT(p.kid), DB_TEXT(p.seal_kid),
                         DB_INT(now), DB_INT(now + CLAIM_TTL_MS));
  free(sealed);
  if (!ins) goto done;
  int64_t claim = db_res_int_at(ins, 0, "id");
  db_res_free(ins);
  json_t *d = json_pack("{s:I, s:s}", "record_id", (json_int_t)r.record_id, "issuer_kid", p.kid);
  audit_log(db, ROLE_STUDENT, account, "identity.claim", "identity_claim", claim, d, &req->err);
  json_decref(d);
  err_clear(&req->err);
  rc = resp_json(resp, 200,
                 json_pack("{s:I, s:o, s:o, s:I}", "claim_id", (json_int_t)claim, "record", record_json(&r, &b),
                           "batch", batch_json(&b, config_str(api_app(req)->cfg, "profiles")), "code_expires_at",
                           (json_int_t)p.expires_at_ms));
done:
  db_res_free(sch);
  db_res_free(found);
  free(text);
  api_db_put(req, db);
  return rc;
}

static int confirm(http_req *req, http_resp *resp) {
  int64_t account = api_session(req)->user_id, claim_id = 0;
  if (json_field_int(req, "claim_id", 1, 1, INT64_MAX, &claim_id) < 0) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  int rc = -1;
  db_res *c = NULL;
  student_record r;
  batch b;
  if (db_begin(db, &req->err) != 0) goto done;
  c = db_query(db, &req->err,
               "SELECT record_id, code_sealed, issuer_kid, seal_kid, expires_at FROM identity_claims "
               "WHERE id = $1 AND account_id = $2",
               DB_INT(claim_id), DB_INT(account));
  if (!c) goto done;
  if (db_res_rows(c) == 0 || db_res_int_at(c, 0, "expires_at") <= clock_now_ms()) {
    err_set(&req->err, 404, "claim_not_found", "确认信息已失效，请重新上传采集码");
    goto done;
  }
  if (student_record_get(db, db_res_int_at(c, 0, "record_id"), &r, &req->err) != 0) goto done;
  if (batch_get(db, r.batch_id, &b, &req->err) != 0) goto done;
  if (identity_check_collectable(&b, &r, account, clock_now_ms(), &req->err) != 0) goto done;
  if (db_exec(db, &req->err,
              "INSERT INTO student_links (account_id, record_id, code_sealed, issuer_kid, seal_kid, linked_at) "
              "VALUES ($1, $2, $3, $4, $5, $6)",
              DB_INT(account), DB_INT(r.record_id), DB_TEXT(db_res_text_at(c, 0, "code_sealed")),
              DB_TEXT(db_res_text_at(c, 0, "issuer_kid")), DB_TEXT(db_res_text_at(c, 0, "seal_kid")),
              DB_INT(clock_now_ms())) < 0) {
    if (db_last_was_unique_violation(db)) {
      err_clear(&req->err);
      err_set(&req->err, 409, "record_taken", "该学籍记录已绑定其他手机号，或当前账号已绑定其他记录");
    }
    goto done;
  }
  if (db_exec(db, &req->err, "DELETE FROM identity_claims WHERE account_id = $1", DB_INT(account)) < 0) goto done;
  json_t *d = json_pack("{s:I}", "record_id", (json_int_t)r.record_id);
  int arc = audit_log(db, ROLE_STUDENT, account, "identity.link", "roster_record", r.record_id, d, &req->err);
  json_decref(d);
  if (arc != 0 || db_commit(db, &req->err) != 0) goto done;
  r.account_id = account;
  r.status = STUDENT_LINKED;
  rc = resp_json(resp, 200,
                 json_pack("{s:s, s:o, s:o}", "status", "linked", "record", record_json(&r, &b), "batch",
                           batch_json(&b, config_str(api_app(req)->cfg, "profiles"))));
done:
  if (rc != 0) db_rollback(db);
  db_res_free(c);
  api_db_put(req, db);
  return rc;
}

void api_identity_routes(http_router *r) {
  static const http_route routes[] = {
      {"POST", "/api/student/otp", send_otp, 0, HTTP_BODY_JSON},
      {"POST", "/api/student/login", login, 0, HTTP_BODY_JSON},
      {"GET", "/api/student/me", me, ROLE_STUDENT, 0},
      {"GET", "/api/student/privacy", privacy_get, ROLE_STUDENT, 0},
      {"POST", "/api/student/privacy", privacy_accept, ROLE_STUDENT, HTTP_BODY_JSON},
      {"POST", "/api/identity/code", upload_code, ROLE_STUDENT, HTTP_BODY_MULTIPART},
      {"POST", "/api/identity/confirm", confirm, ROLE_STUDENT, HTTP_BODY_JSON},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}
