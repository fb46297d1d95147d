-- Shared guard: recorded GMP data is never updated in place or deleted.
CREATE FUNCTION ebr_forbid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
COMMENT ON FUNCTION ebr_forbid_change() IS
    'Trigger function that refuses UPDATE, DELETE and TRUNCATE on append-only GMP tables.';

-- The audit trail: one hash chain per batch, one for the rest of the system.
CREATE TABLE audit_events (
    id           uuid        PRIMARY KEY,
    chain        text        NOT NULL,
    seq          bigint      NOT NULL CHECK (seq >= 1),
    occurred_at  timestamptz NOT NULL,
    actor        text        NOT NULL,
    action       text        NOT NULL,
    entity_type  text        NOT NULL,
    entity_id    text        NOT NULL,
    old_value    text,
    new_value    text,
    reason       text,
    record_hash  text        CHECK (record_hash ~ '^[0-9a-f]{64}$'),
    prev_hash    text        NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash         text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    UNIQUE (chain, seq)
);
COMMENT ON TABLE audit_events IS 'Append-only, hash-chained audit trail (21 CFR 11.10(e)). Written in the same transaction as the change it records.';
COMMENT ON COLUMN audit_events.id IS 'Event id (UUIDv7, time-ordered).';
COMMENT ON COLUMN audit_events.chain IS 'The hash chain: ''system'' or ''batch:<batch id>''.';
COMMENT ON COLUMN audit_events.seq IS 'Gap-free sequence number within the chain, from 1.';
COMMENT ON COLUMN audit_events.occurred_at IS 'Server UTC time of the change (never a client clock).';
COMMENT ON COLUMN audit_events.actor IS 'Who made the change: ''person:<id>'' or ''system:<component>''.';
COMMENT ON COLUMN audit_events.action IS 'What was done, e.g. ''mbr.imported''.';
COMMENT ON COLUMN audit_events.entity_type IS 'The kind of record the event is about.';
COMMENT ON COLUMN audit_events.entity_id IS 'The id of the record the event is about.';
COMMENT ON COLUMN audit_events.old_value IS 'Canonical JSON of the value before the change, if any.';
COMMENT ON COLUMN audit_events.new_value IS 'Canonical JSON of the value after the change, if any.';
COMMENT ON COLUMN audit_events.reason IS 'The reason given for the change, where one is required.';
COMMENT ON COLUMN audit_events.record_hash IS 'SHA-256 of the canonical content of the record the event created; detects later out-of-band edits.';
COMMENT ON COLUMN audit_events.prev_hash IS 'Hash of the previous event in the chain (64 zeros for the first).';
COMMENT ON COLUMN audit_events.hash IS 'SHA-256 over prev_hash and the canonical content of this event.';

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION ebr_forbid_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_change();
