-- WeChat (src/wechat/): the openids bound to student accounts, the OAuth states and the bind
-- tickets of a sign-in in progress, which session came through which WeChat identity (JSAPI pays
-- with that openid and no other), the access tokens every node shares, and what each WeChat
-- message send came to. Openids are sealed (util/vault) and found by keyed hash; tokens and
-- tickets are kept as SHA-256 only, like session cookies.

CREATE TABLE wechat_identities (
  id {{ID}},
  app_kind TEXT NOT NULL,                        -- 'mp' (official account web) | 'mini' (mini program)
  appid TEXT NOT NULL,
  openid_hash TEXT NOT NULL,                     -- vault_lookup_hash("wechat_openid", openid)
  openid_sealed TEXT NOT NULL,
  account_id BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  last_login_at BIGINT NOT NULL,
  UNIQUE (appid, openid_hash),
  UNIQUE (appid, account_id)
);
CREATE INDEX wechat_identities_account ON wechat_identities (account_id);

CREATE TABLE wechat_oauth_states (
  id {{ID}},
  state_hash TEXT NOT NULL UNIQUE,               -- SHA-256 of the state sent to WeChat
  binder_hash TEXT NOT NULL,                     -- SHA-256 of the browser's tucai_wxstate cookie
  session_id BIGINT NOT NULL DEFAULT 0,          -- the student session that started it (0: none)
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE wechat_bind_tickets (
  id {{ID}},
  token_hash TEXT NOT NULL UNIQUE,               -- SHA-256 of the tucai_wxbind cookie
  app_kind TEXT NOT NULL,
  appid TEXT NOT NULL,
  openid_sealed TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE wechat_sessions (
  session_id BIGINT PRIMARY KEY,                 -- sessions.id
  identity_id BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE wechat_tokens (
  appid TEXT PRIMARY KEY,
  token_sealed TEXT NOT NULL DEFAULT '',
  expires_at BIGINT NOT NULL DEFAULT 0,          -- ours: a little before WeChat's expires_in ends
  lock_until BIGINT NOT NULL DEFAULT 0,          -- a node refreshing holds this lease
  lock_owner TEXT NOT NULL DEFAULT '',
  refreshed_at BIGINT NOT NULL DEFAULT 0,
  refreshes BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE wechat_messages (
  id {{ID}},
  inbox_id BIGINT NOT NULL,
  identity_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  template_id TEXT NOT NULL,
  outcome TEXT NOT NULL,                         -- 'sent' | 'refused' (43101) | 'rejected' (other permanent errcode)
  errcode BIGINT NOT NULL,
  msgid TEXT NOT NULL DEFAULT '',
  at BIGINT NOT NULL,
  UNIQUE (inbox_id, identity_id)
);
