-- People, roles, credentials, sessions and electronic signatures (21 CFR 11.100-11.300).
-- Everything here is append-only except `sessions`, which is security
-- bookkeeping (last activity, end time), not a GMP record.

CREATE TABLE people (
    id          uuid        PRIMARY KEY,
    username    text        NOT NULL UNIQUE CHECK (username = lower(username)),
    full_name   text        NOT NULL CHECK (length(btrim(full_name)) > 0),
    created_at  timestamptz NOT NULL,
    created_by  text        NOT NULL
);
COMMENT ON TABLE people IS 'One row per person, never deleted or reused (R4, R14). State changes are rows in the tables below.';
COMMENT ON COLUMN people.id IS 'Person id (UUIDv7).';
COMMENT ON COLUMN people.username IS 'Login name, unique forever: a deactivated username is never reissued.';
COMMENT ON COLUMN people.full_name IS 'Printed name as shown in signature manifestations.';
COMMENT ON COLUMN people.created_at IS 'Server UTC time the account was created.';
COMMENT ON COLUMN people.created_by IS 'Who created the account (person:<id> or system:<component>).';

CREATE TABLE role_changes (
    id           uuid        PRIMARY KEY,
    person_id    uuid        NOT NULL REFERENCES people (id),
    role         text        NOT NULL CHECK (role IN ('operator', 'qc_analyst', 'qa_reviewer', 'release_authority', 'mbr_author', 'auditor', 'admin')),
    granted      boolean     NOT NULL,
    occurred_at  timestamptz NOT NULL,
    actor        text        NOT NULL
);
CREATE INDEX role_changes_person_idx ON role_changes (person_id, id);
COMMENT ON TABLE role_changes IS 'Grants and revocations of roles (R25); the newest row per role wins.';
COMMENT ON COLUMN role_changes.id IS 'Change id (UUIDv7, time-ordered).';
COMMENT ON COLUMN role_changes.person_id IS 'The person whose role changed.';
COMMENT ON COLUMN role_changes.role IS 'The role.';
COMMENT ON COLUMN role_changes.granted IS 'true = granted, false = revoked.';
COMMENT ON COLUMN role_changes.occurred_at IS 'Server UTC time.';
COMMENT ON COLUMN role_changes.actor IS 'The administrator (or system component) who made the change.';

CREATE TABLE account_events (
    id           uuid        PRIMARY KEY,
    person_id    uuid        NOT NULL REFERENCES people (id),
    kind         text        NOT NULL CHECK (kind IN ('deactivated', 'unlocked', 'sessions_revoked')),
    occurred_at  timestamptz NOT NULL,
    actor        text        NOT NULL,
    reason       text
);
CREATE INDEX account_events_person_idx ON account_events (person_id, id);
COMMENT ON TABLE account_events IS 'Deactivations, unlocks and session revocations of accounts.';
COMMENT ON COLUMN account_events.id IS 'Event id (UUIDv7).';
COMMENT ON COLUMN account_events.person_id IS 'The account.';
COMMENT ON COLUMN account_events.kind IS 'deactivated (permanent), unlocked (after a lockout), sessions_revoked.';
COMMENT ON COLUMN account_events.occurred_at IS 'Server UTC time.';
COMMENT ON COLUMN account_events.actor IS 'Who did it.';
COMMENT ON COLUMN account_events.reason IS 'Why.';

CREATE TABLE password_credentials (
    id           uuid        PRIMARY KEY,
    person_id    uuid        NOT NULL REFERENCES people (id),
    phc          text        NOT NULL CHECK (phc LIKE '$argon2id$%'),
    temporary    boolean     NOT NULL,
    set_at       timestamptz NOT NULL,
    set_by       text        NOT NULL
);
CREATE INDEX password_credentials_person_idx ON password_credentials (person_id, id);
COMMENT ON TABLE password_credentials IS 'Password hashes (argon2id, PHC strings); the newest row is current.';
COMMENT ON COLUMN password_credentials.id IS 'Credential id (UUIDv7).';
COMMENT ON COLUMN password_credentials.person_id IS 'The person.';
COMMENT ON COLUMN password_credentials.phc IS 'argon2id PHC string (salt and parameters included); never the password.';
COMMENT ON COLUMN password_credentials.temporary IS 'Set by an administrator: must be changed at the next login (R17).';
COMMENT ON COLUMN password_credentials.set_at IS 'Server UTC time; the start of the aging period (R18).';
COMMENT ON COLUMN password_credentials.set_by IS 'Who set it.';

CREATE TABLE auth_attempts (
    id           uuid        PRIMARY KEY,
    person_id    uuid        REFERENCES people (id),
    username     text        NOT NULL,
    purpose      text        NOT NULL CHECK (purpose IN ('login', 'signature')),
    succeeded    boolean     NOT NULL,
    occurred_at  timestamptz NOT NULL
);
CREATE INDEX auth_attempts_person_idx ON auth_attempts (person_id, id);
COMMENT ON TABLE auth_attempts IS 'Every password check, at login and at signing; consecutive failures lock the account (R18).';
COMMENT ON COLUMN auth_attempts.id IS 'Attempt id (UUIDv7, time-ordered).';
COMMENT ON COLUMN auth_attempts.person_id IS 'The account, when the username exists.';
COMMENT ON COLUMN auth_attempts.username IS 'The username as entered.';
COMMENT ON COLUMN auth_attempts.purpose IS 'login or signature.';
COMMENT ON COLUMN auth_attempts.succeeded IS 'Whether the password was correct.';
COMMENT ON COLUMN auth_attempts.occurred_at IS 'Server UTC time.';

CREATE TABLE signature_acknowledgments (
    id                uuid        PRIMARY KEY,
    person_id         uuid        NOT NULL REFERENCES people (id),
    statement_sha256  text        NOT NULL CHECK (statement_sha256 ~ '^[0-9a-f]{64}$'),
    occurred_at       timestamptz NOT NULL
);
COMMENT ON TABLE signature_acknowledgments IS 'The person acknowledged that their electronic signature is the legally binding equivalent of their handwritten signature (R10).';
COMMENT ON COLUMN signature_acknowledgments.id IS 'Acknowledgment id.';
COMMENT ON COLUMN signature_acknowledgments.person_id IS 'The person.';
COMMENT ON COLUMN signature_acknowledgments.statement_sha256 IS 'SHA-256 of the exact statement text acknowledged.';
COMMENT ON COLUMN signature_acknowledgments.occurred_at IS 'Server UTC time.';

CREATE TABLE identity_verifications (
    id           uuid        PRIMARY KEY,
    person_id    uuid        NOT NULL REFERENCES people (id),
    verified_by  uuid        NOT NULL REFERENCES people (id) CHECK (verified_by <> person_id),
    method       text        NOT NULL CHECK (length(btrim(method)) > 0),
    occurred_at  timestamptz NOT NULL
);
COMMENT ON TABLE identity_verifications IS 'A second administrator verified the person''s identity before their e-signature is enabled (R15).';
COMMENT ON COLUMN identity_verifications.id IS 'Verification id.';
COMMENT ON COLUMN identity_verifications.person_id IS 'The person verified.';
COMMENT ON COLUMN identity_verifications.verified_by IS 'The administrator who verified (not the person, not the account creator).';
COMMENT ON COLUMN identity_verifications.method IS 'How, e.g. "passport checked in person, no. ending 1234".';
COMMENT ON COLUMN identity_verifications.occurred_at IS 'Server UTC time.';

CREATE TABLE signatures (
    id              uuid        PRIMARY KEY,
    signer_id       uuid        NOT NULL REFERENCES people (id),
    printed_name    text        NOT NULL,
    signed_at       timestamptz NOT NULL,
    meaning         text        NOT NULL CHECK (meaning IN ('performed', 'verified', 'reviewed', 'approved', 'released', 'rejected', 'closed')),
    comment         text,
    record_type     text        NOT NULL,
    record_id       text        NOT NULL,
    record_version  bigint      NOT NULL,
    record_hash     text        NOT NULL CHECK (record_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX signatures_record_idx ON signatures (record_type, record_id);
CREATE INDEX signatures_signer_idx ON signatures (signer_id);
COMMENT ON TABLE signatures IS 'Electronic signatures: manifestation (name, time, meaning; R12) and the SHA-256 of exactly what was signed (R13).';
COMMENT ON COLUMN signatures.id IS 'Signature id (UUIDv7).';
COMMENT ON COLUMN signatures.signer_id IS 'The signer (always the session''s own person, R17).';
COMMENT ON COLUMN signatures.printed_name IS 'The signer''s full name at the time of signing.';
COMMENT ON COLUMN signatures.signed_at IS 'Server UTC time of signing.';
COMMENT ON COLUMN signatures.meaning IS 'performed, verified, reviewed, approved, released, rejected or closed.';
COMMENT ON COLUMN signatures.comment IS 'Optional comment of the signer.';
COMMENT ON COLUMN signatures.record_type IS 'Type of the signed record.';
COMMENT ON COLUMN signatures.record_id IS 'Id of the signed record.';
COMMENT ON COLUMN signatures.record_version IS 'Version of the signed record.';
COMMENT ON COLUMN signatures.record_hash IS 'SHA-256 of the canonical serialization of the signed record (type, id, version, content).';

CREATE TABLE sessions (
    id                  uuid        PRIMARY KEY,
    token_sha256        text        NOT NULL UNIQUE,
    person_id           uuid        NOT NULL REFERENCES people (id),
    created_at          timestamptz NOT NULL,
    last_seen_at        timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL,
    ended_at            timestamptz,
    end_reason          text,
    signing_continuous  boolean     NOT NULL DEFAULT false
);
CREATE INDEX sessions_person_idx ON sessions (person_id);
COMMENT ON TABLE sessions IS 'Server-side login sessions (shared by every ebr node). Security bookkeeping, updated in place; never deleted.';
COMMENT ON COLUMN sessions.id IS 'Session id.';
COMMENT ON COLUMN sessions.token_sha256 IS 'SHA-256 of the cookie token; the token itself is never stored.';
COMMENT ON COLUMN sessions.person_id IS 'The logged-in person.';
COMMENT ON COLUMN sessions.created_at IS 'Login time (server UTC).';
COMMENT ON COLUMN sessions.last_seen_at IS 'Last authenticated request; idle timeout runs from here.';
COMMENT ON COLUMN sessions.expires_at IS 'Absolute end of the session.';
COMMENT ON COLUMN sessions.ended_at IS 'When the session ended (logout, revocation, expiry detected).';
COMMENT ON COLUMN sessions.end_reason IS 'logout, revoked, idle_timeout, absolute_timeout, deactivated.';
COMMENT ON COLUMN sessions.signing_continuous IS 'Whether the continuous signing period is intact (R16, R19): then a signature needs the password only.';

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['people', 'role_changes', 'account_events', 'password_credentials', 'auth_attempts',
                             'signature_acknowledgments', 'identity_verifications', 'signatures'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ebr_forbid_change()', t || '_no_update', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_change()', t || '_no_truncate', t);
    END LOOP;
END $$;

CREATE FUNCTION ebr_forbid_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER sessions_no_delete BEFORE DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION ebr_forbid_delete();
CREATE TRIGGER sessions_no_truncate BEFORE TRUNCATE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_delete();
