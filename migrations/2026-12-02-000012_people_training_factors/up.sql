-- Issue 15: training and qualification gates (R9), a second factor at
-- signing (TOTP, RFC 6238), and the periodic access review. Every table is
-- append-only: a revocation, a reset or a new review is a new row.

ALTER TABLE role_changes DROP CONSTRAINT role_changes_role_check;
ALTER TABLE role_changes ADD CONSTRAINT role_changes_role_check CHECK (role IN (
    'operator', 'qc_analyst', 'qa_reviewer', 'release_authority', 'mbr_author', 'auditor', 'trainer', 'admin'));

ALTER TABLE signatures DROP CONSTRAINT signatures_meaning_check;
ALTER TABLE signatures ADD CONSTRAINT signatures_meaning_check CHECK (meaning IN (
    'performed', 'verified', 'reviewed', 'approved', 'released', 'rejected', 'closed', 'trained', 'read_and_understood'));
ALTER TABLE signatures ADD COLUMN factors text NOT NULL DEFAULT 'password' CHECK (factors IN ('password', 'password+totp'));
COMMENT ON COLUMN signatures.factors IS 'The authentication factors checked for this signature: password, or password+totp (a second factor, RFC 6238).';

ALTER TABLE auth_attempts DROP CONSTRAINT auth_attempts_purpose_check;
ALTER TABLE auth_attempts ADD CONSTRAINT auth_attempts_purpose_check CHECK (purpose IN ('login', 'signature', 'second_factor'));

ALTER TABLE batch_exceptions DROP CONSTRAINT batch_exceptions_kind_check;
ALTER TABLE batch_exceptions ADD CONSTRAINT batch_exceptions_kind_check CHECK (kind IN (
    'alert', 'out_of_specification', 'correction', 'late_entry', 'material_refused', 'equipment_refused',
    'hold_time_breach', 'signature_superseded', 'deviation', 'qc_out_of_specification', 'qc_invalidated',
    'post_release_oos', 'target_missed', 'training_not_current'));

CREATE TABLE curricula (
    id           uuid        PRIMARY KEY,
    code         text        NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9._-]{1,31}$'),
    title        text        NOT NULL CHECK (length(btrim(title)) > 0),
    role         text        NOT NULL CHECK (role IN ('operator', 'qc_analyst', 'qa_reviewer', 'release_authority', 'mbr_author', 'auditor', 'trainer')),
    mbr_code     text,
    mbr_version  integer     CHECK (mbr_version IS NULL OR (mbr_code IS NOT NULL AND mbr_version >= 1)),
    skill        text        CHECK (skill ~ '^[a-z][a-z0-9_]{1,31}$'),
    created_at   timestamptz NOT NULL,
    created_by   text        NOT NULL
);
COMMENT ON TABLE curricula IS 'What a person acting in a role must be trained on (R9): the role, optionally one MBR (any or one version) and/or a skill that MBR steps declare. Never edited.';
COMMENT ON COLUMN curricula.id IS 'Curriculum id (UUIDv7).';
COMMENT ON COLUMN curricula.code IS 'Unique code, e.g. TRN-MNP-OPS.';
COMMENT ON COLUMN curricula.title IS 'Title shown in the qualification matrix and in refusals.';
COMMENT ON COLUMN curricula.role IS 'The role whose activities it gates.';
COMMENT ON COLUMN curricula.mbr_code IS 'The MBR it is about, if any.';
COMMENT ON COLUMN curricula.mbr_version IS 'One version of that MBR only; NULL: any version.';
COMMENT ON COLUMN curricula.skill IS 'The skill it teaches, if any (steps name the skills they need).';
COMMENT ON COLUMN curricula.created_at IS 'Server UTC time.';
COMMENT ON COLUMN curricula.created_by IS 'Who defined it (person:<id>).';

CREATE TABLE training_records (
    id             uuid        PRIMARY KEY,
    person_id      uuid        NOT NULL REFERENCES people (id),
    curriculum_id  uuid        NOT NULL REFERENCES curricula (id),
    kind           text        NOT NULL CHECK (kind IN ('trained', 'read_and_understood', 'revoked')),
    mbr_version    integer     CHECK (mbr_version IS NULL OR mbr_version >= 1),
    trained_at     timestamptz NOT NULL,
    valid_until    timestamptz CHECK (valid_until IS NULL OR valid_until > trained_at),
    recorded_at    timestamptz NOT NULL,
    recorded_by    text        NOT NULL,
    note           text
);
CREATE INDEX training_records_person_idx ON training_records (person_id, recorded_at);
COMMENT ON TABLE training_records IS 'Training events (R9): trained (recorded by a trainer, counts once the trainee signed it, meaning trained), read_and_understood of a new MBR version (signed by the reader), revoked. Appended, never edited.';
COMMENT ON COLUMN training_records.id IS 'Record id (UUIDv7).';
COMMENT ON COLUMN training_records.person_id IS 'The trainee.';
COMMENT ON COLUMN training_records.curriculum_id IS 'The curriculum.';
COMMENT ON COLUMN training_records.kind IS 'trained, read_and_understood or revoked.';
COMMENT ON COLUMN training_records.mbr_version IS 'The MBR version trained on or read (MBR curricula).';
COMMENT ON COLUMN training_records.trained_at IS 'When the training (or reading, or revocation) took place.';
COMMENT ON COLUMN training_records.valid_until IS 'End of validity; NULL: does not expire.';
COMMENT ON COLUMN training_records.recorded_at IS 'Server UTC time of recording.';
COMMENT ON COLUMN training_records.recorded_by IS 'The trainer (or the reader, for read_and_understood).';
COMMENT ON COLUMN training_records.note IS 'Trainer''s note or the revocation''s reason.';

CREATE TABLE second_factor_events (
    id               uuid        PRIMARY KEY,
    person_id        uuid        NOT NULL REFERENCES people (id),
    kind             text        NOT NULL CHECK (kind IN ('enrolled', 'reset_requested', 'reset')),
    secret_base32    text        CHECK ((kind = 'enrolled') = (secret_base32 IS NOT NULL)),
    recovery_sha256  text[]      CHECK ((kind = 'enrolled') = (recovery_sha256 IS NOT NULL)),
    request_id       uuid        REFERENCES second_factor_events (id),
    occurred_at      timestamptz NOT NULL,
    actor            text        NOT NULL,
    reason           text
);
CREATE INDEX second_factor_events_person_idx ON second_factor_events (person_id, occurred_at);
COMMENT ON TABLE second_factor_events IS 'Second factors (TOTP, RFC 6238): enrolment by the person, reset requested by one administrator and confirmed by another. The newest enrolled row after the last reset is active.';
COMMENT ON COLUMN second_factor_events.id IS 'Event id (UUIDv7).';
COMMENT ON COLUMN second_factor_events.person_id IS 'The person.';
COMMENT ON COLUMN second_factor_events.kind IS 'enrolled, reset_requested or reset.';
COMMENT ON COLUMN second_factor_events.secret_base32 IS 'The TOTP shared secret (base32); never printed in the audit trail.';
COMMENT ON COLUMN second_factor_events.recovery_sha256 IS 'SHA-256 of each single-use recovery code (the codes are shown once, at enrolment).';
COMMENT ON COLUMN second_factor_events.request_id IS 'For a reset: the request a second administrator confirms.';
COMMENT ON COLUMN second_factor_events.occurred_at IS 'Server UTC time.';
COMMENT ON COLUMN second_factor_events.actor IS 'Who did it.';
COMMENT ON COLUMN second_factor_events.reason IS 'Why (resets).';

CREATE TABLE second_factor_uses (
    id           uuid        PRIMARY KEY,
    factor_id    uuid        NOT NULL REFERENCES second_factor_events (id),
    time_step    bigint      NOT NULL,
    occurred_at  timestamptz NOT NULL,
    UNIQUE (factor_id, time_step)
);
COMMENT ON TABLE second_factor_uses IS 'Every accepted code: a code is used once (no replay within its window). Recovery codes use time_step -1 - their index.';
COMMENT ON COLUMN second_factor_uses.id IS 'Use id (UUIDv7).';
COMMENT ON COLUMN second_factor_uses.factor_id IS 'The enrolment whose code was used.';
COMMENT ON COLUMN second_factor_uses.time_step IS 'The RFC 6238 time step of the accepted code (unix time / 30), or -1 - n for recovery code n.';
COMMENT ON COLUMN second_factor_uses.occurred_at IS 'Server UTC time.';

CREATE TABLE access_reviews (
    id            uuid        PRIMARY KEY,
    period_from   date        NOT NULL,
    period_to     date        NOT NULL CHECK (period_to >= period_from),
    generated_at  timestamptz NOT NULL,
    generated_by  text        NOT NULL,
    report        text        NOT NULL,
    report_sha256 text        NOT NULL CHECK (report_sha256 ~ '^[0-9a-f]{64}$')
);
COMMENT ON TABLE access_reviews IS 'Periodic reviews of who can do what (EU GMP Annex 11 draft 2025): the generated report as canonical JSON, signed reviewed by QA.';
COMMENT ON COLUMN access_reviews.id IS 'Review id (UUIDv7).';
COMMENT ON COLUMN access_reviews.period_from IS 'First day of the period (UTC).';
COMMENT ON COLUMN access_reviews.period_to IS 'Last day of the period (UTC).';
COMMENT ON COLUMN access_reviews.generated_at IS 'Server UTC time the report was generated.';
COMMENT ON COLUMN access_reviews.generated_by IS 'Who generated it.';
COMMENT ON COLUMN access_reviews.report IS 'The report (grants, revocations, dormant, privileged and locked accounts, lockouts, identity verifications, factor resets, training gaps, findings) as canonical JSON.';
COMMENT ON COLUMN access_reviews.report_sha256 IS 'SHA-256 of report.';

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['curricula', 'training_records', 'second_factor_events', 'second_factor_uses', 'access_reviews'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ebr_forbid_change()', t || '_no_update', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_change()', t || '_no_truncate', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT ON curricula, training_records, second_factor_events, second_factor_uses, access_reviews TO ebr_app;
