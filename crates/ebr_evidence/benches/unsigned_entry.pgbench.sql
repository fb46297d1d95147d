-- pgbench script: the SQL of one unsigned entry, statement for statement.
--
-- The statements `POST /api/v1/batches/{id}/steps/b0-entries/entries` runs to
-- record one in-limits number on the batch command path (the same 12
-- statements PostgreSQL's log shows, see the README): the session check
-- (autocommit, as the server runs it; its activity update is stored at most
-- every 5 s, so not in a burst like this one), the training gate (the
-- batch's MBR version, the curricula and the person's training in one
-- statement, autocommit), then the recording
-- transaction (batch lock, the batch with its status, pinned MBR hash and
-- audit head, the facts of the recorded field, the step signatures, the
-- entry insert, the audit append). The server also hashes, evaluates limits
-- and serialises JSON between these statements; pgbench does none of that,
-- which is the point: this is the database's own limit for the same work.
-- pgbench runs them prepared (-M prepared), as the server now does. Hash
-- values are random hex here.

-- Each client works on its own benchmark batch and session, picked once by
-- client number (pgbench runs with -D ready=0; client variables persist
-- across transactions). The database is the benchmark's private copy.

\if :ready = 0
SELECT b.id AS batch_id, b.mbr_version_id AS mbr_id
  FROM batches b WHERE b.batch_number LIKE 'BR-BENCH-E-%'
  ORDER BY b.batch_number OFFSET :client_id LIMIT 1 \gset
SELECT s.id AS session_id, s.token_sha256 AS token, s.person_id AS person_id
  FROM sessions s WHERE s.ended_at IS NULL
  ORDER BY s.created_at OFFSET :client_id LIMIT 1 \gset
\set ready 1
\endif

-- The session check (request guard): the session and its person in one statement.
SELECT 1;
SELECT s.id AS session_id, s.person_id AS session_person_id, s.created_at AS session_created_at, s.last_seen_at AS session_last_seen_at, s.expires_at AS session_expires_at, s.signing_continuous AS session_signing_continuous, c.phc AS credential_phc, p.id, p.username, p.full_name, p.created_at, p.created_by, COALESCE((SELECT array_agg(rc.role ORDER BY rc.occurred_at, rc.id) FROM role_changes rc WHERE rc.person_id = p.id), '{}') AS role_names, COALESCE((SELECT array_agg(rc.granted ORDER BY rc.occurred_at, rc.id) FROM role_changes rc WHERE rc.person_id = p.id), '{}') AS role_granted, EXISTS (SELECT 1 FROM account_events ae WHERE ae.person_id = p.id AND ae.kind = 'deactivated') AS deactivated, EXISTS (SELECT 1 FROM signature_acknowledgments sa WHERE sa.person_id = p.id) AS acknowledged, EXISTS (SELECT 1 FROM identity_verifications iv WHERE iv.person_id = p.id) AS identity_verified, c.temporary AS password_temporary, c.set_at AS password_set_at, (SELECT count(*) FROM auth_attempts f WHERE f.person_id = p.id AND NOT f.succeeded AND (f.occurred_at, f.id) > COALESCE(GREATEST( (SELECT (s.occurred_at, s.id) FROM auth_attempts s WHERE s.person_id = p.id AND s.succeeded ORDER BY s.occurred_at DESC, s.id DESC LIMIT 1), (SELECT (u.occurred_at, u.id) FROM account_events u WHERE u.person_id = p.id AND u.kind = 'unlocked' ORDER BY u.occurred_at DESC, u.id DESC LIMIT 1) ), ('-infinity'::timestamptz, '00000000-0000-0000-0000-000000000000'::uuid)) ) AS consecutive_failures FROM sessions s JOIN people p ON p.id = s.person_id LEFT JOIN LATERAL ( SELECT pc.temporary, pc.set_at, pc.phc FROM password_credentials pc WHERE pc.person_id = p.id ORDER BY pc.set_at DESC, pc.id DESC LIMIT 1 ) c ON true WHERE s.token_sha256 = :token AND s.ended_at IS NULL LIMIT 1;

-- The training gate, on the recording's connection.
SELECT 1;
SELECT v.id AS version_id, b.mbr_content_sha256 AS pinned, v.content_sha256 AS stored, b.batch_number AS number, v.code AS mbr_code, v.version AS mbr_version, c.id AS c_id, c.code AS c_code, c.title AS c_title, c.role AS c_role, c.mbr_code AS c_mbr_code, c.mbr_version AS c_mbr_version, c.skill AS c_skill, r.kind, r.mbr_version AS trained_version, r.recorded_at, r.valid_until, COALESCE(EXISTS (SELECT 1 FROM signatures s WHERE s.record_type = 'training_record' AND s.record_id = r.id::text), false) AS signed FROM batches b JOIN mbr_versions v ON v.id = b.mbr_version_id LEFT JOIN curricula c ON true LEFT JOIN training_records r ON r.curriculum_id = c.id AND r.person_id = :person_id WHERE b.id = :batch_id ORDER BY c.code, r.recorded_at, r.id;

-- The recording transaction.
BEGIN;
SELECT pg_advisory_xact_lock(hashtextextended('batch:' || :batch_id, 7));
SELECT b.mbr_version_id, b.mbr_content_sha256, b.batch_number, COALESCE((SELECT array_agg(e.status ORDER BY e.occurred_at, e.id) FROM batch_status_events e WHERE e.batch_id = b.id), '{}') AS statuses, v.content_sha256 AS stored_sha256, COALESCE(a.seq, 0) AS head_seq, COALESCE(a.hash, '0000000000000000000000000000000000000000000000000000000000000000') AS head_hash FROM batches b JOIN mbr_versions v ON v.id = b.mbr_version_id LEFT JOIN LATERAL (SELECT seq, hash FROM audit_events WHERE chain = 'batch:' || :batch_id ORDER BY seq DESC LIMIT 1) a ON true WHERE b.id = :batch_id \gset
SELECT * FROM ( SELECT k.step_key, (SELECT min(f.recorded_at) FROM entries f WHERE f.batch_id = :batch_id AND f.step_key = k.step_key) AS first_entry_at, COALESCE((SELECT array_agg(e.field_key) FROM entries e WHERE e.batch_id = :batch_id AND e.step_key = k.step_key AND k.step_key = 'b0-entries' AND e.field_key = ANY(ARRAY['pgbench']) AND NOT EXISTS (SELECT 1 FROM entries c WHERE c.corrects_entry_id = e.id) ), '{}') AS current_fields, '{}'::uuid[] AS recorders FROM unnest(ARRAY['b0-entries']::text[]) AS k(step_key) OFFSET 0 ) s WHERE s.first_entry_at IS NOT NULL;
SELECT substr(s.record_id, length(:batch_id) + 2) AS step_key, s.meaning, s.signer_id, s.signed_at, (ss.signature_id IS NOT NULL) AS superseded FROM signatures s LEFT JOIN signature_supersessions ss ON ss.signature_id = s.id WHERE s.record_type = 'batch_step' AND split_part(s.record_id, '/', 1) = :batch_id ORDER BY s.signed_at, s.id;
SELECT gen_random_uuid() AS entry_id \gset
INSERT INTO "entries" ("id", "batch_id", "step_key", "field_key", "value", "unit", "evaluation", "material_lot_id", "equipment_id", "activity_at", "recorded_at", "recorded_by", "late_reason", "corrects_entry_id", "correction_reason") VALUES (:entry_id, :batch_id, 'b0-entries', 'pgbench', '{"as_typed":"42.5","kind":"number","unit":"%","value":"42.5"}', '%', 'within_specification', DEFAULT, DEFAULT, now(), now(), :person_id, DEFAULT, DEFAULT, DEFAULT);
INSERT INTO "audit_events" ("id", "chain", "seq", "occurred_at", "actor", "action", "entity_type", "entity_id", "old_value", "new_value", "reason", "record_hash", "prev_hash", "hash") VALUES (gen_random_uuid(), 'batch:' || :batch_id, :head_seq + 1, now(), 'person:' || :person_id, 'entry.recorded', 'entry', :entry_id, DEFAULT, '{"as_typed":"42.5","kind":"number","unit":"%","value":"42.5"}', DEFAULT, md5(random()::text) || md5(random()::text), :head_hash, md5(random()::text) || md5(random()::text));
COMMIT;
