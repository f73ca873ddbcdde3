-- Reference photos: the admission or ID-card photo a school imports with its roster, one
-- per roster record, kept encrypted in the blob store (kind "reference"); its face print is computed
-- once by the job "collect.reference_print" (blob kind "face_print"). state: 'pending' until the
-- job ran, then 'ready' (a print) or 'no_face' (no face the matcher could describe). Both blobs go
-- with the student's other photos (retention, deletion requests).
CREATE TABLE reference_photos (
  record_id BIGINT PRIMARY KEY,
  batch_id BIGINT NOT NULL,
  school_id BIGINT NOT NULL,
  photo_blob BIGINT NOT NULL,
  print_blob BIGINT NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'pending',
  file_name TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX reference_photos_batch ON reference_photos (batch_id);
-- Each attempt's similarity to its record's reference, in millionths of the cosine (the store has
-- no floating type), so that the office can list approved photos that match weakly.
CREATE TABLE reference_scores (
  attempt_id BIGINT PRIMARY KEY,
  record_id BIGINT NOT NULL,
  similarity_ppm BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX reference_scores_record ON reference_scores (record_id);
