/* consent.c: the stored acceptance of the privacy notice (see consent.h). */
#include "identity/consent.h"

#include <string.h>

#include "audit/audit.h"
#include "auth/roles.h"
#include "util/clock.h"

int64_t consent_accepted_at(db_t *db, int64_t account_id, const char *version, err_t *err) {
  int64_t at = db_int(
      db, err, 0, "SELECT COALESCE(MIN(accepted_at), 0) FROM privacy_consents WHERE account_id = $1 AND version = $2",
      DB_INT(account_id), DB_TEXT(version));
  return err_is_set(err) ? -1 : at;
}

int64_t consent_accept(db_t *db, int64_t account_id, const char *version, err_t *err) {
  if (!version || strcmp(version, CONSENT_VERSION) != 0)
    return err_set(err, 409, "consent_outdated", "隐私说明已更新，请刷新页面阅读新版后再同意");
  int64_t at = consent_accepted_at(db, account_id, version, err);
  if (at != 0) return at;
  at = clock_now_ms();
  if (db_begin(db, err) < 0) return -1;
  json_t *d = json_pack("{s:s}", "version", version);
  int ok = db_exec(db, err, "INSERT INTO privacy_consents (account_id, version, accepted_at) VALUES ($1, $2, $3)",
                   DB_INT(account_id), DB_TEXT(version), DB_INT(at)) == 1 &&
           audit_log(db, ROLE_STUDENT, account_id, "privacy.accept", "account", account_id, d, err) == 0 &&
           db_commit(db, err) == 0;
  json_decref(d);
  if (!ok) {
    db_rollback(db);
    return -1;
  }
  return at;
}

int consent_require(db_t *db, int64_t account_id, err_t *err) {
  int64_t at = consent_accepted_at(db, account_id, CONSENT_VERSION, err);
  if (at < 0) return -1;
  if (at == 0) return err_set(err, 409, "consent_required", "请先阅读并同意隐私说明，再上传采集码");
  return 0;
}
