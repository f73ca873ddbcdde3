-- Orders and payment. Money is integer fen. Times are unix ms.

-- Shipping addresses of student accounts. Recipient, mobile and street are personal data: sealed
-- by util/vault ("v1:..."); the region is an administrative-division code with its names.
CREATE TABLE pay_addresses (
  id {{ID}},
  account_id BIGINT NOT NULL,
  recipient TEXT NOT NULL,
  mobile TEXT NOT NULL,
  region_code TEXT NOT NULL,
  region_names TEXT NOT NULL,              -- "省 市 区" as the data package names them
  street TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX pay_addresses_account ON pay_addresses (account_id);

-- One row per order. open_key is "record:batch" while the order is created or paid (and while a
-- refund is pending) and NULL otherwise: its UNIQUE index is the "one open order per student and
-- batch" rule, enforced by the database under concurrency.
CREATE TABLE pay_orders (
  id {{ID}},
  out_trade_no TEXT NOT NULL UNIQUE,
  account_id BIGINT NOT NULL,
  record_id BIGINT NOT NULL,
  batch_id BIGINT NOT NULL,
  items TEXT NOT NULL,                     -- JSON [{"code","name","amount_fen"}]
  amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
  currency TEXT NOT NULL DEFAULT 'CNY',
  address_id BIGINT,
  provider TEXT NOT NULL,
  channel TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('created', 'paid', 'refund_pending', 'refunded', 'closed')),
  open_key TEXT UNIQUE,
  transaction_id TEXT,
  paid_fen BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  paid_at BIGINT,
  closed_at BIGINT,
  refund_fen BIGINT NOT NULL DEFAULT 0,
  out_refund_no TEXT,
  refund_id TEXT,
  refund_reason TEXT,
  refunded_at BIGINT,
  flag TEXT,                               -- needs an operator's eye (e.g. "paid_after_close")
  updated_at BIGINT NOT NULL
);
CREATE INDEX pay_orders_record ON pay_orders (record_id, batch_id);
CREATE INDEX pay_orders_paid ON pay_orders (paid_at);
CREATE INDEX pay_orders_state ON pay_orders (state, expires_at);

-- Append-only history of every order: who (role bit, id; 0/0 = the system or the provider) and why.
CREATE TABLE pay_order_events (
  id {{ID}},
  order_id BIGINT NOT NULL,
  at BIGINT NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  actor_role INTEGER NOT NULL,
  actor_id BIGINT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX pay_order_events_order ON pay_order_events (order_id, id);

-- Every notification that reached us, with what became of it (applied, duplicate, refused) so
-- that an operator sees forged, replayed and inconsistent ones. No personal data in here.
CREATE TABLE pay_notices (
  id {{ID}},
  received_at BIGINT NOT NULL,
  provider TEXT NOT NULL,
  event_id TEXT,
  nonce TEXT,
  body_sha256 TEXT NOT NULL,
  out_trade_no TEXT,
  order_id BIGINT,
  outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'duplicate', 'refused')),
  reason TEXT NOT NULL DEFAULT '',
  client_ip TEXT
);
CREATE INDEX pay_notices_outcome ON pay_notices (outcome, received_at);

-- Nonces of notifications already applied, written in the same transaction as the effect.
CREATE TABLE pay_nonces (
  nonce TEXT PRIMARY KEY,
  body_sha256 TEXT NOT NULL,
  seen_at BIGINT NOT NULL
);
CREATE INDEX pay_nonces_seen ON pay_nonces (seen_at);

-- The mock provider's own side (what a real provider keeps on its servers).
CREATE TABLE pay_mock_txns (
  out_trade_no TEXT PRIMARY KEY,
  total_fen BIGINT NOT NULL,
  state TEXT NOT NULL,                     -- NOTPAY, SUCCESS, CLOSED, PAYERROR, REFUND
  transaction_id TEXT,
  refund_fen BIGINT NOT NULL DEFAULT 0,
  out_refund_no TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  paid_at BIGINT
);
