-- Event streams (src/notify/watch.c): one row per student account whose status or inbox changed.
-- `version` grows with every change and `changed_at` (the database's clock, ms) lets the one
-- watcher of a process find what changed lately in one indexed query, instead of every open stream
-- reading the student's whole status several times a second. Triggers fill it, so every writer
-- is seen: web handlers, job workers, `tucai worker` processes and other nodes alike.
-- Batches are not watched: a window that opens, closes or is edited reaches a stream when it
-- reconnects (streams last 55 s).
CREATE TABLE student_changes (
  account_id BIGINT PRIMARY KEY,
  version BIGINT NOT NULL,
  changed_at BIGINT NOT NULL
);
CREATE INDEX student_changes_at ON student_changes (changed_at);

{{SQLITE}}
CREATE TRIGGER student_changes_student_links_insert AFTER INSERT ON student_links BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER student_changes_student_links_update AFTER UPDATE ON student_links BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER student_changes_pay_orders_insert AFTER INSERT ON pay_orders BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER student_changes_pay_orders_update AFTER UPDATE ON pay_orders BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER student_changes_collect_records_insert AFTER INSERT ON collect_records BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER student_changes_collect_records_update AFTER UPDATE ON collect_records BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER student_changes_collect_attempts_insert AFTER INSERT ON collect_attempts BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER student_changes_collect_attempts_update AFTER UPDATE ON collect_attempts BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER student_changes_collect_submissions_insert AFTER INSERT ON collect_submissions BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER student_changes_collect_submissions_update AFTER UPDATE ON collect_submissions BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER student_changes_notify_inbox_insert AFTER INSERT ON notify_inbox BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER student_changes_notify_inbox_update AFTER UPDATE ON notify_inbox BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  ON CONFLICT (account_id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
{{END}}
{{POSTGRES}}
CREATE FUNCTION student_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO student_changes (account_id, version, changed_at)
  VALUES (NEW.account_id, 1, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT)
  ON CONFLICT (account_id) DO UPDATE SET version = student_changes.version + 1, changed_at = EXCLUDED.changed_at;
  RETURN NULL;
END $$;
CREATE TRIGGER student_changes_student_links AFTER INSERT OR UPDATE ON student_links FOR EACH ROW EXECUTE FUNCTION student_changed();
CREATE TRIGGER student_changes_pay_orders AFTER INSERT OR UPDATE ON pay_orders FOR EACH ROW EXECUTE FUNCTION student_changed();
CREATE TRIGGER student_changes_collect_records AFTER INSERT OR UPDATE ON collect_records FOR EACH ROW EXECUTE FUNCTION student_changed();
CREATE TRIGGER student_changes_collect_attempts AFTER INSERT OR UPDATE ON collect_attempts FOR EACH ROW EXECUTE FUNCTION student_changed();
CREATE TRIGGER student_changes_collect_submissions AFTER INSERT OR UPDATE ON collect_submissions FOR EACH ROW EXECUTE FUNCTION student_changed();
CREATE TRIGGER student_changes_notify_inbox AFTER INSERT OR UPDATE ON notify_inbox FOR EACH ROW EXECUTE FUNCTION student_changed();
{{END}}
