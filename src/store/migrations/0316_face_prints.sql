-- Face prints: the face descriptor of each attempt's subject, kept encrypted in the blob
-- store like the photos themselves (blob kind "face_print"), so that every new attempt is compared
-- with the account's earlier ones. Deleted with the attempt's original (retention, deletion requests).
CREATE TABLE collect_face_prints (
  attempt_id BIGINT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  record_id BIGINT NOT NULL,
  print_blob BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX collect_face_prints_account ON collect_face_prints (account_id, attempt_id);
