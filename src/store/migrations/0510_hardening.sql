-- Failed sign-in attempts per account and per client address (src/auth/throttle.c). Keys are
-- keyed hashes (vault_lookup_hash), never usernames, phone numbers or addresses in clear.
-- `version` makes every change a compare-and-swap, so parallel attempts cannot slip past a limit.
CREATE TABLE auth_throttle (
  scope TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  failures BIGINT NOT NULL DEFAULT 0,
  locked_until BIGINT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (scope, key_hash)
);
CREATE INDEX auth_throttle_updated ON auth_throttle (updated_at);

-- The purge of old codes and notices (src/maintenance) deletes by age.
CREATE INDEX otp_codes_created ON otp_codes (created_at);
CREATE INDEX pay_notices_received ON pay_notices (received_at);
