/* wx_jssdk: what a page inside WeChat needs to use the official account's JS-SDK (wx.config).
 *
 * Design. The JS-SDK (and with it the open tag <wx-open-subscribe> that asks a student to accept
 * subscription messages) only works on a page whose wx.config carries a signature WeChat checks:
 *   signature = hex SHA-1 of "jsapi_ticket=T&noncestr=N&timestamp=S&url=U"
 * with the keys in that (ASCII) order, the values raw (not URL-escaped), S in seconds, and U the
 * page's full URL up to but without the '#' part (WeChat's JS-SDK docs, appendix 1). The
 * jsapi_ticket comes from /cgi-bin/ticket/getticket?access_token=...&type=jsapi (7200 s) and its
 * fetches are limited per day like the access token's, so it is cached the same way: sealed in
 * wechat_jsapi_tickets, one node refreshing under the row's lease (wx_cached_get), and a call
 * answered 40001/42001 drops the access token and is retried once (wx_get_token).
 * We sign only our own pages: a URL that is not the public base URL (`wechat_public_url`) itself
 * or below it is refused (400), so the endpoint cannot be used to sign other sites' pages. */
#ifndef TUCAI_WECHAT_WX_JSSDK_H
#define TUCAI_WECHAT_WX_JSSDK_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "wechat/wx_api.h"

#define WX_PAGE_URL_MAX 2048

/* The app's live jsapi_ticket (shared by the nodes). Errors as wx_token_get, and 502
 * "wechat_ticket_refused" when WeChat will not hand one out. */
int wx_jsapi_ticket(const config *cfg, db_t *db, const wx_app *app, char out[WX_TOKEN_MAX], err_t *err);
/* The hex SHA-1 signature of the four values (url already without its '#' part). */
void wx_jssdk_sign(const char *ticket, const char *noncestr, int64_t timestamp, const char *url, char out[41]);
/* Copies url without its '#' part into out when it is one of our pages (wechat_public_url or
 * below it, printable ASCII, at most WX_PAGE_URL_MAX); 400 "page_url_invalid" otherwise. */
int wx_jssdk_page_url(const config *cfg, const char *url, char out[WX_PAGE_URL_MAX + 1], err_t *err);
/* {appId, timestamp, nonceStr, signature, jsApiList, openTagList} for wx.config on that page. */
int wx_jssdk_config(const config *cfg, db_t *db, const char *page_url, json_t **out, err_t *err);

#endif
