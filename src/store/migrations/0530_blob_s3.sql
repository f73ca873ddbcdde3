-- Photos on S3-compatible storage (src/blob/s3.c): a blob's ciphertext may now live in a bucket,
-- named by its `ref` as the object key. Only the CHECK on `backend` changes. SQLite cannot alter
-- a CHECK, so there the table is copied, ids and the id counter kept (rows elsewhere name them);
-- nothing references `blobs` by a foreign key, and it has no index or trigger of its own.
{{SQLITE}}
CREATE TABLE blobs_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  backend TEXT NOT NULL CHECK (backend IN ('dir', 'db', 's3')),
  ref TEXT NOT NULL,
  wrapped_key BLOB,
  size BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT
);
INSERT INTO blobs_new (id, kind, backend, ref, wrapped_key, size, created_at, deleted_at)
  SELECT id, kind, backend, ref, wrapped_key, size, created_at, deleted_at FROM blobs;
-- AUTOINCREMENT's counter goes along, so that no id is ever handed out twice.
DELETE FROM sqlite_sequence WHERE name = 'blobs_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'blobs_new', seq FROM sqlite_sequence WHERE name = 'blobs';
DROP TABLE blobs;
ALTER TABLE blobs_new RENAME TO blobs;
{{END}}
{{POSTGRES}}
ALTER TABLE blobs DROP CONSTRAINT blobs_backend_check;
ALTER TABLE blobs ADD CONSTRAINT blobs_backend_check CHECK (backend IN ('dir', 'db', 's3'));
{{END}}
