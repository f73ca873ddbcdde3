-- WeChat JS-SDK and subscriptions (src/wechat/wx_jssdk.c, wx_subscribe.c): the official account's
-- jsapi_ticket, shared by every node like the access token (same columns, same refresh lease),
-- and what each student answered when the page offered the subscription messages: per WeChat
-- identity and template, 'accepted' or 'refused' (a 43101 from WeChat is recorded as 'refused'
-- too), so that a kind the student refused is not sent again until they accept it.

CREATE TABLE wechat_jsapi_tickets (
  appid TEXT PRIMARY KEY,
  token_sealed TEXT NOT NULL DEFAULT '',         -- the jsapi_ticket, sealed (util/vault)
  expires_at BIGINT NOT NULL DEFAULT 0,
  lock_until BIGINT NOT NULL DEFAULT 0,
  lock_owner TEXT NOT NULL DEFAULT '',
  refreshed_at BIGINT NOT NULL DEFAULT 0,
  refreshes BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE wechat_subscriptions (
  id {{ID}},
  identity_id BIGINT NOT NULL,                   -- wechat_identities.id
  template_id TEXT NOT NULL,
  status TEXT NOT NULL,                          -- 'accepted' | 'refused'
  source TEXT NOT NULL,                          -- 'page' (the student's answer) | 'errcode' (43101)
  at BIGINT NOT NULL,
  UNIQUE (identity_id, template_id)
);
