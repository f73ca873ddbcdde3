/* wx_auth: codes to openids and phone numbers (see wx_auth.h). */
#include "wechat/wx_auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/otp.h"
#include "util/log.h"
#include "wechat/wx_token.h"
#include "util/xmalloc.h"

/* The student-facing meaning of a WeChat errcode on a code exchange. */
static int code_failure(const char *call, long code, err_t *err) {
  char c[24];
  snprintf(c, sizeof c, "%ld", code);
  log_warn("wechat_code_refused", "call", call, "errcode", c, NULL);
  switch (code) {
    case 40029: /* invalid code */
    case 40163: /* code been used */
    case 41008: /* missing code */
      return err_set(err, 400, "wechat_code_invalid", "微信授权已失效，请重新进入页面");
    case 40226: /* high risk user */
      return err_set(err, 403, "wechat_user_risky", "微信提示本次登录存在风险，请稍后再试或改用手机号登录");
    case 45011: /* api minute-quota reach limit */
    case 45009:
      return err_set(err, 429, "wechat_busy", "微信登录过于频繁，请稍后再试");
    default:
      return err_set(err, 502, "wechat_refused", "微信服务暂时不可用，请稍后再试（%ld）", code);
  }
}

static int exchange(const config *cfg, const wx_app *app, const char *path, const char *code_param, const char *code,
                    char openid[WX_OPENID_MAX], err_t *err) {
  if (!wx_plain_token(code, 256)) return err_set(err, 400, "wechat_code_invalid", "微信授权已失效，请重新进入页面");
  char *id = wx_escape(app->appid), *sec = wx_escape(app->secret), *cd = wx_escape(code);
  size_t n = strlen(path) + 128 + (id ? strlen(id) : 0) + (sec ? strlen(sec) : 0) + (cd ? strlen(cd) : 0);
  char *q = xmalloc(n);
  if (q)
    snprintf(q, n, "%s?appid=%s&secret=%s&%s=%s&grant_type=authorization_code", path, id ? id : "", sec ? sec : "",
             code_param, cd ? cd : "");
  if (sec) sodium_memzero(sec, strlen(sec));
  free(id);
  free(sec);
  free(cd);
  if (!q) return err_set(err, 0, "oom", "out of memory");
  json_t *j = NULL;
  int rc = wx_call(cfg, "GET", q, NULL, &j, err);
  sodium_memzero(q, strlen(q));
  free(q);
  if (rc < 0) return -1;
  long ec = wx_errcode(j);
  const char *oid = json_string_value(json_object_get(j, "openid"));
  if (ec)
    rc = code_failure(path, ec, err);
  else if (!wx_plain_token(oid, WX_OPENID_MAX - 1))
    rc = err_set(err, 502, "wechat_bad_answer", "微信服务暂时不可用，请稍后再试");
  else
    snprintf(openid, WX_OPENID_MAX, "%s", oid);
  json_decref(j);
  return rc;
}

int wx_oauth_openid(const config *cfg, const wx_app *mp, const char *code, char openid[WX_OPENID_MAX], err_t *err) {
  return exchange(cfg, mp, "/sns/oauth2/access_token", "code", code, openid, err);
}

int wx_mini_openid(const config *cfg, const wx_app *mini, const char *code, char openid[WX_OPENID_MAX], err_t *err) {
  return exchange(cfg, mini, "/sns/jscode2session", "js_code", code, openid, err);
}

int wx_mini_phone(const config *cfg, db_t *db, const wx_app *mini, const char *code, char phone[24], err_t *err) {
  if (!wx_plain_token(code, 256)) return err_set(err, 400, "wechat_code_invalid", "微信授权已失效，请重新进入页面");
  json_t *body = json_pack("{s:s}", "code", code), *j = NULL;
  int rc = wx_call_token(cfg, db, mini, "/wxa/business/getuserphonenumber", body, &j, err);
  json_decref(body);
  if (rc < 0) return -1;
  long ec = wx_errcode(j);
  json_t *info = json_object_get(j, "phone_info");
  const char *pure = json_string_value(json_object_get(info, "purePhoneNumber"));
  const char *cc = json_string_value(json_object_get(info, "countryCode"));
  const char *wm = json_string_value(json_object_get(json_object_get(info, "watermark"), "appid"));
  if (ec)
    rc = code_failure("/wxa/business/getuserphonenumber", ec, err);
  else if (!pure || !cc || !wm || strcmp(wm, mini->appid) != 0)
    rc = err_set(err, 502, "wechat_bad_answer", "微信服务暂时不可用，请稍后再试");
  else if (strcmp(cc, "86") != 0 || !otp_phone_valid(pure))
    rc = err_set(err, 422, "phone_not_mainland",
                 "请使用中国大陆手机号（微信绑定的手机号不是大陆号码时，请改用短信验证码登录）");
  else
    snprintf(phone, 24, "%s", pure);
  json_decref(j);
  return rc;
}
