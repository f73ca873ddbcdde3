/* wx_subscribe: what each student answered to the offer of subscription messages.
 *
 * Design. WeChat delivers a subscription message only when the user accepted its template first
 * (the official account's open tag <wx-open-subscribe> on our page; wx.requestSubscribeMessage in
 * the mini program); otherwise the send is answered 43101. The page reports the student's answer
 * (POST /api/wechat/subscriptions), kept per WeChat identity and template in
 * wechat_subscriptions: 'accepted' or 'refused'. A 43101 from WeChat is recorded as 'refused' as
 * well. wx_message does not send a template the identity refused: asking WeChat again cannot
 * change the answer and only spends the app's daily quota. A later acceptance on the page lifts
 * that. No answer at all is not a refusal (the mini program's own prompt, or a long-term
 * subscription, may have been accepted without our page): those are tried, and WeChat decides.
 *
 * The mini program (its side is web/miniprogram/subscribe.js) asks with its own templates
 * (GET /api/wechat/mini/subscriptions) from a tap, wx.requestSubscribeMessage({tmplIds}), and
 * reports WeChat's answer as it came (POST /api/wechat/mini/subscriptions): 'accept' (or
 * 'acceptWith...') is recorded accepted, 'reject' and 'ban' (the student switched the messages off)
 * refused, 'filter' (WeChat dropped the template from the prompt) nothing; source 'mini'. */
#ifndef TUCAI_WECHAT_WX_SUBSCRIBE_H
#define TUCAI_WECHAT_WX_SUBSCRIBE_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* The WeChat identity the session came through (any app): its id, 0 when none, -1 on error. */
int64_t wx_session_identity(db_t *db, int64_t session_id, err_t *err);
/* Like wx_session_identity, with the identity's app kind ("mp" or "mini") in `kind`. */
int64_t wx_session_identity_kind(db_t *db, int64_t session_id, char kind[8], err_t *err);
/* Records the answer for (identity, template): status "accepted" or "refused"; source "page",
 * "mini" (the mini program's prompt) or "errcode". The newest answer wins. */
int wx_subscribe_record(db_t *db, int64_t identity_id, const char *template_id, const char *status, const char *source,
                        err_t *err);
/* Records a student's answers at once, in one transaction with its audit entry ("wechat.subscribe":
 * how many accepted and refused, and `source`): `answers` maps template ids to "accepted" or
 * "refused" (other values are skipped). 0 or -1 with err (nothing recorded). */
int wx_subscribe_record_answers(db_t *db, int64_t identity_id, int64_t account_id, const json_t *answers,
                                const char *source, err_t *err);
/* 1 when the identity's last answer for the template is a refusal, 0 when not, -1 on error. */
int wx_subscribe_refused(db_t *db, int64_t identity_id, const char *template_id, err_t *err);
/* {template_id: "accepted"|"refused"} of the identity (a new object). */
json_t *wx_subscribe_answers(db_t *db, int64_t identity_id, err_t *err);

#endif
