/* wx_auth: who a WeChat user is, from the one-time codes WeChat gives our pages.
 *
 *   wx_oauth_openid  official-account web authorisation (snsapi_base): the `code` WeChat appends
 *                    to our callback becomes the user's openid (/sns/oauth2/access_token).
 *   wx_mini_openid   mini program login: wx.login()'s code becomes the openid (/sns/jscode2session).
 *   wx_mini_phone    the mini program's phone-number button code becomes the phone number WeChat
 *                    has verified (/wxa/business/getuserphonenumber, with the app's access token).
 * Codes are single-use and short-lived at WeChat; a bad, used or expired one (40029, 40163) is the
 * student's 400, anything else WeChat says is our 502. The session_key jscode2session returns is
 * not kept: nothing here decrypts the client's data. */
#ifndef TUCAI_WECHAT_WX_AUTH_H
#define TUCAI_WECHAT_WX_AUTH_H

#include "store/store.h"
#include "wechat/wx_api.h"

int wx_oauth_openid(const config *cfg, const wx_app *mp, const char *code, char openid[WX_OPENID_MAX], err_t *err);
int wx_mini_openid(const config *cfg, const wx_app *mini, const char *code, char openid[WX_OPENID_MAX], err_t *err);
/* A mainland number (11 digits); 422 "phone_not_mainland" for others. */
int wx_mini_phone(const config *cfg, db_t *db, const wx_app *mini, const char *code, char phone[24], err_t *err);

#endif
