-- pgbench script: the SQL of one unsigned entry, statement for statement.
--
-- Captured with log_statement = 'all' from `POST /api/v1/batches/{id}/steps/
-- b0-entries/entries` recording one in-limits number (ebr 0.1.0, 2026-11-25):
-- the session check (autocommit, as the server runs it), then the recording
-- transaction (batch lock, state load, entry insert, audit append). The
-- server also hashes, evaluates limits and serialises JSON between these
-- statements; pgbench does none of that, which is the point: this is the
-- database's own limit for the same work. Hash values are random hex here.
--
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

-- The session check (request guard), one statement at a time.
SELECT 1;
SELECT "sessions"."id", "sessions"."person_id", "sessions"."created_at", "sessions"."last_seen_at", "sessions"."expires_at", "sessions"."signing_continuous" FROM "sessions" WHERE (("sessions"."token_sha256" = :token) AND ("sessions"."ended_at" IS NULL)) LIMIT 1;
SELECT "people"."id", "people"."username", "people"."full_name", "people"."created_at", "people"."created_by" FROM "people" WHERE ("people"."id" = :person_id) LIMIT 1;
SELECT "role_changes"."role", "role_changes"."granted" FROM "role_changes" WHERE ("role_changes"."person_id" = :person_id) ORDER BY "role_changes"."occurred_at" ASC, "role_changes"."id" ASC;
SELECT COUNT(*) FROM "account_events" WHERE (("account_events"."person_id" = :person_id) AND ("account_events"."kind" = 'deactivated'));
SELECT "password_credentials"."phc", "password_credentials"."temporary", "password_credentials"."set_at" FROM "password_credentials" WHERE ("password_credentials"."person_id" = :person_id) ORDER BY "password_credentials"."set_at" DESC, "password_credentials"."id" DESC LIMIT 1;
SELECT COUNT(*) FROM "signature_acknowledgments" WHERE ("signature_acknowledgments"."person_id" = :person_id);
SELECT COUNT(*) FROM "identity_verifications" WHERE ("identity_verifications"."person_id" = :person_id);
SELECT "auth_attempts"."occurred_at", "auth_attempts"."id" FROM "auth_attempts" WHERE (("auth_attempts"."person_id" = :person_id) AND ("auth_attempts"."succeeded" = true)) ORDER BY "auth_attempts"."occurred_at" DESC, "auth_attempts"."id" DESC LIMIT 1;
SELECT "account_events"."occurred_at", "account_events"."id" FROM "account_events" WHERE (("account_events"."person_id" = :person_id) AND ("account_events"."kind" = 'unlocked')) ORDER BY "account_events"."occurred_at" DESC, "account_events"."id" DESC LIMIT 1;
SELECT COUNT(*) FROM "auth_attempts" WHERE ((("auth_attempts"."person_id" = :person_id) AND ("auth_attempts"."succeeded" = false)) AND (("auth_attempts"."occurred_at" > now() - interval '15 minutes') OR (("auth_attempts"."occurred_at" = now()) AND ("auth_attempts"."id" > :person_id))));
UPDATE "sessions" SET "last_seen_at" = now(), "signing_continuous" = false WHERE ("sessions"."id" = :session_id);

-- The recording transaction.
SELECT 1;
BEGIN;
SELECT pg_advisory_xact_lock(hashtextextended('batch:' || :batch_id, 7));
SELECT "batches"."id", "batches"."batch_number", "batches"."mbr_version_id", "batches"."mbr_content_sha256", "batches"."product_code", "batches"."wcb_lot_id", "batches"."wcb_vial", "batches"."created_at", "batches"."created_by" FROM "batches" WHERE ("batches"."id" = :batch_id) LIMIT 1;
SELECT "batch_status_events"."status" FROM "batch_status_events" WHERE ("batch_status_events"."batch_id" = :batch_id) ORDER BY "batch_status_events"."occurred_at" ASC, "batch_status_events"."id" ASC;
SELECT "mbr_versions"."id", "mbr_versions"."code", "mbr_versions"."version", "mbr_versions"."title", "mbr_versions"."product_code", "mbr_versions"."content_sha256", "mbr_versions"."created_at", "mbr_versions"."created_by", "mbr_versions"."content" FROM "mbr_versions" WHERE ("mbr_versions"."id" = :mbr_id) LIMIT 1;
SELECT "entries"."id", "entries"."batch_id", "entries"."step_key", "entries"."field_key", "entries"."value", "entries"."unit", "entries"."evaluation", "entries"."material_lot_id", "entries"."equipment_id", "entries"."activity_at", "entries"."recorded_at", "entries"."recorded_by", "entries"."late_reason", "entries"."corrects_entry_id", "entries"."correction_reason" FROM "entries" WHERE ("entries"."batch_id" = :batch_id) ORDER BY "entries"."recorded_at" ASC, "entries"."id" ASC;
SELECT coalesce(array_agg("signatures"."id")::text, '{}') AS sig_ids FROM "signatures" WHERE (("signatures"."record_type" = 'batch_step') AND ("signatures"."record_id" LIKE :batch_id || '/%')) \gset
SELECT "signature_supersessions"."signature_id", "signature_supersessions"."superseded_at", "signature_supersessions"."by_entry_id", "signature_supersessions"."reason" FROM "signature_supersessions" WHERE ("signature_supersessions"."signature_id" = ANY(:sig_ids::uuid[]));
SELECT "signatures"."id", "signatures"."signer_id", "signatures"."printed_name", "signatures"."signed_at", "signatures"."meaning", "signatures"."comment", "signatures"."record_type", "signatures"."record_id", "signatures"."record_version", "signatures"."record_hash" FROM "signatures" WHERE ("signatures"."id" = ANY(:sig_ids::uuid[])) ORDER BY "signatures"."signed_at" ASC, "signatures"."id" ASC;
SELECT "batch_exceptions"."id", "batch_exceptions"."batch_id", "batch_exceptions"."kind", "batch_exceptions"."severity", "batch_exceptions"."step_key", "batch_exceptions"."field_key", "batch_exceptions"."entry_id", "batch_exceptions"."detail", "batch_exceptions"."occurred_at", "batch_exceptions"."actor" FROM "batch_exceptions" WHERE ("batch_exceptions"."batch_id" = :batch_id) ORDER BY "batch_exceptions"."occurred_at" ASC, "batch_exceptions"."id" ASC;
SELECT "deviations"."id", "deviations"."batch_id", "deviations"."source_entry_id", "deviations"."title", "deviations"."description", "deviations"."opened_at", "deviations"."opened_by" FROM "deviations" WHERE ("deviations"."batch_id" = :batch_id) ORDER BY "deviations"."opened_at" ASC, "deviations"."id" ASC;
SELECT gen_random_uuid() AS entry_id \gset
INSERT INTO "entries" ("id", "batch_id", "step_key", "field_key", "value", "unit", "evaluation", "material_lot_id", "equipment_id", "activity_at", "recorded_at", "recorded_by", "late_reason", "corrects_entry_id", "correction_reason") VALUES (:entry_id, :batch_id, 'b0-entries', 'pgbench', '{"kind":"number","unit":"%","value":"42.5"}', '%', 'within_specification', DEFAULT, DEFAULT, now(), now(), :person_id, DEFAULT, DEFAULT, DEFAULT);
SELECT pg_advisory_xact_lock(hashtextextended('batch:' || :batch_id, 7));
SELECT "audit_events"."seq" AS head_seq, "audit_events"."hash" AS head_hash FROM "audit_events" WHERE ("audit_events"."chain" = 'batch:' || :batch_id) ORDER BY "audit_events"."seq" DESC LIMIT 1 \gset
INSERT INTO "audit_events" ("id", "chain", "seq", "occurred_at", "actor", "action", "entity_type", "entity_id", "old_value", "new_value", "reason", "record_hash", "prev_hash", "hash") VALUES (gen_random_uuid(), 'batch:' || :batch_id, :head_seq + 1, now(), 'person:' || :person_id, 'entry.recorded', 'entry', :entry_id, DEFAULT, '{"kind":"number","unit":"%","value":"42.5"}', DEFAULT, md5(random()::text) || md5(random()::text), :head_hash, md5(random()::text) || md5(random()::text));
COMMIT;
