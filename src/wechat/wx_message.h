/* wx_message: a student's notification as a WeChat subscription message.
 *
 * Design. Four of the inbox's kinds go out through WeChat when the operator has chosen a template
 * for them (settings wechat_tmpl_<kind>): payment_received, approved, rejected (with the first
 * reason, or the reviewer's note) and window_closing (with the deadline); the school office's
 * reminder ("reminder") goes out with window_closing's template and deadline. Each is sent to every
 * WeChat identity the account has: through the official account's subscription notice
 * (/cgi-bin/message/subscribe/bizsend, opening our page) or the mini program's subscription
 * message (/cgi-bin/message/subscribe/send). Every template the operator picks has the same keys:
 *   thing1  what happened (the inbox title; 20 characters at most, WeChat's limit for "thing")
 *   thing2  what to do, or the rejection's reason (20 characters at most, cut with an ellipsis)
 *   time3   when (the deadline for window_closing), "YYYY-MM-DD HH:MM" in China's time
 * The outcome of each (inbox message, identity) is kept in wechat_messages, so a retried deliver
 * job sends nothing twice. 43101 (the user did not accept, or has no subscription left) is
 * recorded and not retried: asking again cannot change the user's mind; it also counts as the
 * student's refusal of that template (wx_subscribe.h), and a template the student refused is not
 * sent at all (recorded 'refused' with errcode 0) until the student accepts it on the page.
 * Other permanent refusals
 * (40003 bad openid, 40037 bad template, 47003 bad data) are recorded likewise and logged for the
 * operator; anything else fails the job, which the queue retries with backoff. The access token
 * comes from wx_token (shared by the nodes; on 42001 refreshed once and retried).
 *
 * The mini program has templates of its own (WeChat registers templates per app: the official
 * account's ids are unknown to the mini program), wechat_mini_tmpl_<kind>; its messages open
 * wechat_mini_page in the version wechat_mini_state (formal, trial, developer). */
#ifndef TUCAI_WECHAT_WX_MESSAGE_H
#define TUCAI_WECHAT_WX_MESSAGE_H

#include <jansson.h>

#include "store/store.h"
#include "wechat/wx_api.h"

/* message: the inbox row as notify's deliver job builds it ({id, account_id, kind, title, body,
 * data, created_at}). 0 when done (sent, refused or nothing to send), -1 to retry. */
int wx_message_deliver(const config *cfg, db_t *db, const json_t *message, err_t *err);
/* The template id set for messages of `kind` (payment_received, approved, rejected,
 * window_closing) through the app of `app_kind` ("mp" or "mini"): "" when none. */
const char *wx_template_of(const config *cfg, const char *app_kind, const char *kind);
/* The first `max` characters (not bytes) of UTF-8 text, with "…" when cut (malloc'd). */
char *wx_clip_utf8(const char *s, int max);

#endif
