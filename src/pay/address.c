#include "pay/address.h"

#include <stdlib.h>
#include <string.h>

#include "pay/regions.h"
#include "util/clock.h"
#include "util/vault.h"

int pay_mobile_valid(const char *s) {
  if (!s || strlen(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9') return 0;
  for (int i = 0; i < 11; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

/* Counts UTF-8 code points; -1 on invalid UTF-8 or control characters. */
static int text_len(const char *s) {
  int n = 0;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
    if (extra < 0 || (*p < 0x20) || *p == 0x7F) return -1;
    p++;
    for (int i = 0; i < extra; i++, p++)
      if ((*p & 0xC0) != 0x80) return -1;
    n++;
  }
  return n;
}

int64_t pay_address_save(db_t *db, int64_t account_id, const pay_address_in *a, err_t *err) {
  int rl = a->recipient ? text_len(a->recipient) : -1;
  if (rl < 1 || rl > 30) return err_set(err, 400, "invalid_recipient", "收件人姓名应为 1 到 30 个字");
  if (!pay_mobile_valid(a->mobile)) return err_set(err, 400, "invalid_mobile", "手机号码应为 11 位中国大陆手机号");
  int sl = a->street ? text_len(a->street) : -1;
  if (sl < 2 || sl > 100) return err_set(err, 400, "invalid_street", "详细地址应为 2 到 100 个字");
  char names[256];
  if (regions_resolve(a->region_code, names, sizeof names, err) < 0) return -1;
  char *r = vault_seal_text(a->recipient, err), *m = r ? vault_seal_text(a->mobile, err) : NULL,
       *s = m ? vault_seal_text(a->street, err) : NULL;
  int64_t id = -1;
  if (s) {
    db_res *res =
        db_query(db, err,
                 "INSERT INTO pay_addresses (account_id, recipient, mobile, region_code, region_names, street, "
                 "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                 DB_INT(account_id), DB_TEXT(r), DB_TEXT(m), DB_TEXT(a->region_code), DB_TEXT(names), DB_TEXT(s),
                 DB_INT(clock_now_ms()));
    if (res) id = db_res_int_at(res, 0, "id");
    db_res_free(res);
  }
  free(r), free(m), free(s);
  return id;
}

json_t *pay_address_json(db_t *db, int64_t id, int64_t owner, err_t *err) {
  db_res *r = db_query(db, err,
                       "SELECT account_id, recipient, mobile, region_code, region_names, street FROM pay_addresses "
                       "WHERE id = $1",
                       DB_INT(id));
  if (!r) return NULL;
  if (db_res_rows(r) == 0 || (owner && db_res_int_at(r, 0, "account_id") != owner)) {
    db_res_free(r);
    err_set(err, 404, "address_not_found", "地址不存在");
    return NULL;
  }
  char *rec = vault_open_text(db_res_text_at(r, 0, "recipient"), err),
       *mob = rec ? vault_open_text(db_res_text_at(r, 0, "mobile"), err) : NULL,
       *st = mob ? vault_open_text(db_res_text_at(r, 0, "street"), err) : NULL;
  json_t *j = st ? json_pack("{s:s, s:s, s:s, s:s, s:s}", "recipient", rec, "mobile", mob, "region_code",
                             db_res_text_at(r, 0, "region_code"), "region_names", db_res_text_at(r, 0, "region_names"),
                             "street", st)
                 : NULL;
  free(rec), free(mob), free(st);
  db_res_free(r);
  return j;
}
