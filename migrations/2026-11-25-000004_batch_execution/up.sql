-- Batch execution: registries, batches, entries, exceptions, deviations.
-- Every table is append-only; state is the newest event.

CREATE TABLE material_lots (
    id             uuid        PRIMARY KEY,
    material_code  text        NOT NULL,
    lot_number     text        NOT NULL,
    supplier       text        NOT NULL,
    created_at     timestamptz NOT NULL,
    created_by     text        NOT NULL,
    UNIQUE (material_code, lot_number)
);
COMMENT ON TABLE material_lots IS 'Registered material lots; status and expiry are in material_lot_events.';
COMMENT ON COLUMN material_lots.id IS 'Lot id (UUIDv7).';
COMMENT ON COLUMN material_lots.material_code IS 'The material (as named in MBR bills of materials).';
COMMENT ON COLUMN material_lots.lot_number IS 'Lot number as printed on the label (what a scanner types).';
COMMENT ON COLUMN material_lots.supplier IS 'Supplier.';
COMMENT ON COLUMN material_lots.created_at IS 'Registration time (server UTC).';
COMMENT ON COLUMN material_lots.created_by IS 'Who registered it.';

CREATE TABLE material_lot_events (
    id           uuid        PRIMARY KEY,
    lot_id       uuid        NOT NULL REFERENCES material_lots (id),
    status       text        NOT NULL CHECK (status IN ('quarantine', 'released', 'rejected')),
    expires_at   timestamptz NOT NULL,
    occurred_at  timestamptz NOT NULL,
    actor        text        NOT NULL,
    reason       text
);
CREATE INDEX material_lot_events_lot_idx ON material_lot_events (lot_id, occurred_at);
COMMENT ON TABLE material_lot_events IS 'Status and expiry of a lot over time; the newest row is current (R37).';
COMMENT ON COLUMN material_lot_events.id IS 'Event id.';
COMMENT ON COLUMN material_lot_events.lot_id IS 'The lot.';
COMMENT ON COLUMN material_lot_events.status IS 'quarantine, released or rejected.';
COMMENT ON COLUMN material_lot_events.expires_at IS 'Expiry (server UTC); use after it is refused.';
COMMENT ON COLUMN material_lot_events.occurred_at IS 'Server UTC time.';
COMMENT ON COLUMN material_lot_events.actor IS 'Who changed it.';
COMMENT ON COLUMN material_lot_events.reason IS 'Why.';

CREATE TABLE equipment (
    id              uuid        PRIMARY KEY,
    code            text        NOT NULL UNIQUE,
    equipment_type  text        NOT NULL,
    name            text        NOT NULL,
    created_at      timestamptz NOT NULL,
    created_by      text        NOT NULL
);
COMMENT ON TABLE equipment IS 'Registered equipment (R8); status and calibration are in equipment_events.';
COMMENT ON COLUMN equipment.id IS 'Equipment id (UUIDv7).';
COMMENT ON COLUMN equipment.code IS 'Asset code as on its label (what a scanner types).';
COMMENT ON COLUMN equipment.equipment_type IS 'Type, as named in MBR steps.';
COMMENT ON COLUMN equipment.name IS 'Description.';
COMMENT ON COLUMN equipment.created_at IS 'Registration time.';
COMMENT ON COLUMN equipment.created_by IS 'Who registered it.';

CREATE TABLE equipment_events (
    id               uuid        PRIMARY KEY,
    equipment_id     uuid        NOT NULL REFERENCES equipment (id),
    status           text        NOT NULL CHECK (status IN ('in_service', 'out_of_service')),
    calibration_due  timestamptz NOT NULL,
    occurred_at      timestamptz NOT NULL,
    actor            text        NOT NULL,
    reason           text
);
CREATE INDEX equipment_events_equipment_idx ON equipment_events (equipment_id, occurred_at);
COMMENT ON TABLE equipment_events IS 'Status and calibration due date over time; the newest row is current.';
COMMENT ON COLUMN equipment_events.id IS 'Event id.';
COMMENT ON COLUMN equipment_events.equipment_id IS 'The equipment.';
COMMENT ON COLUMN equipment_events.status IS 'in_service or out_of_service.';
COMMENT ON COLUMN equipment_events.calibration_due IS 'Calibration due (server UTC); use after it is refused.';
COMMENT ON COLUMN equipment_events.occurred_at IS 'Server UTC time.';
COMMENT ON COLUMN equipment_events.actor IS 'Who changed it.';
COMMENT ON COLUMN equipment_events.reason IS 'Why.';

CREATE TABLE batches (
    id                  uuid        PRIMARY KEY,
    batch_number        text        NOT NULL UNIQUE,
    mbr_version_id      uuid        NOT NULL REFERENCES mbr_versions (id),
    mbr_content_sha256  text        NOT NULL CHECK (mbr_content_sha256 ~ '^[0-9a-f]{64}$'),
    product_code        text        NOT NULL,
    wcb_lot_id          uuid        NOT NULL REFERENCES material_lots (id),
    wcb_vial            text        NOT NULL,
    created_at          timestamptz NOT NULL,
    created_by          text        NOT NULL
);
COMMENT ON TABLE batches IS 'One electronic batch record per batch number (R35), pinned to an effective MBR version and its content hash.';
COMMENT ON COLUMN batches.id IS 'Batch id (UUIDv7); its audit chain is ''batch:<id>''.';
COMMENT ON COLUMN batches.batch_number IS 'Unique batch number.';
COMMENT ON COLUMN batches.mbr_version_id IS 'The MBR version executed.';
COMMENT ON COLUMN batches.mbr_content_sha256 IS 'The content hash of that version at issuance.';
COMMENT ON COLUMN batches.product_code IS 'Product code from the MBR.';
COMMENT ON COLUMN batches.wcb_lot_id IS 'Starting material: the iPSC working-cell-bank lot.';
COMMENT ON COLUMN batches.wcb_vial IS 'Starting material: the WCB vial thawed.';
COMMENT ON COLUMN batches.created_at IS 'Issuance time.';
COMMENT ON COLUMN batches.created_by IS 'Who issued the record.';

CREATE TABLE batch_status_events (
    id           uuid        PRIMARY KEY,
    batch_id     uuid        NOT NULL REFERENCES batches (id),
    status       text        NOT NULL CHECK (status IN ('planned', 'in_progress', 'manufacturing_complete', 'under_review', 'released', 'rejected', 'on_hold', 'aborted')),
    occurred_at  timestamptz NOT NULL,
    actor        text        NOT NULL,
    reason       text
);
CREATE INDEX batch_status_events_batch_idx ON batch_status_events (batch_id, occurred_at);
COMMENT ON TABLE batch_status_events IS 'Batch lifecycle (R39); the newest row is current.';
COMMENT ON COLUMN batch_status_events.id IS 'Event id.';
COMMENT ON COLUMN batch_status_events.batch_id IS 'The batch.';
COMMENT ON COLUMN batch_status_events.status IS 'The status entered.';
COMMENT ON COLUMN batch_status_events.occurred_at IS 'Server UTC time.';
COMMENT ON COLUMN batch_status_events.actor IS 'Who or what moved it.';
COMMENT ON COLUMN batch_status_events.reason IS 'Why.';

CREATE TABLE entries (
    id                 uuid        PRIMARY KEY,
    batch_id           uuid        NOT NULL REFERENCES batches (id),
    step_key           text        NOT NULL,
    field_key          text        NOT NULL,
    value              text        NOT NULL,
    unit               text,
    evaluation         text        CHECK (evaluation IN ('within_specification', 'alert', 'out_of_specification')),
    material_lot_id    uuid        REFERENCES material_lots (id),
    equipment_id       uuid        REFERENCES equipment (id),
    activity_at        timestamptz NOT NULL,
    recorded_at        timestamptz NOT NULL,
    recorded_by        uuid        NOT NULL REFERENCES people (id),
    late_reason        text,
    corrects_entry_id  uuid        REFERENCES entries (id),
    correction_reason  text,
    CHECK ((corrects_entry_id IS NULL) = (correction_reason IS NULL))
);
CREATE INDEX entries_batch_idx ON entries (batch_id, step_key, field_key);
CREATE UNIQUE INDEX entries_corrected_once ON entries (corrects_entry_id) WHERE corrects_entry_id IS NOT NULL;
COMMENT ON TABLE entries IS 'Recorded values. Never updated: a correction is a new entry naming the one it replaces (R23, R24, R34).';
COMMENT ON COLUMN entries.id IS 'Entry id (UUIDv7).';
COMMENT ON COLUMN entries.batch_id IS 'The batch.';
COMMENT ON COLUMN entries.step_key IS 'The MBR step.';
COMMENT ON COLUMN entries.field_key IS 'The MBR field.';
COMMENT ON COLUMN entries.value IS 'The value as recorded, canonical JSON.';
COMMENT ON COLUMN entries.unit IS 'Unit of a number as entered.';
COMMENT ON COLUMN entries.evaluation IS 'Against the field limits: within_specification, alert or out_of_specification.';
COMMENT ON COLUMN entries.material_lot_id IS 'For material fields: the lot used.';
COMMENT ON COLUMN entries.equipment_id IS 'For equipment fields: the equipment used.';
COMMENT ON COLUMN entries.activity_at IS 'When the activity happened (declared; defaults to recorded_at).';
COMMENT ON COLUMN entries.recorded_at IS 'Server UTC time of recording (R32).';
COMMENT ON COLUMN entries.recorded_by IS 'Who recorded it.';
COMMENT ON COLUMN entries.late_reason IS 'Why the entry is late (R33).';
COMMENT ON COLUMN entries.corrects_entry_id IS 'The entry this one corrects (which stays visible).';
COMMENT ON COLUMN entries.correction_reason IS 'Why it was corrected (mandatory for a correction).';

CREATE TABLE signature_supersessions (
    signature_id   uuid        PRIMARY KEY REFERENCES signatures (id),
    superseded_at  timestamptz NOT NULL,
    by_entry_id    uuid        NOT NULL REFERENCES entries (id),
    reason         text        NOT NULL
);
COMMENT ON TABLE signature_supersessions IS 'Signatures superseded by a later correction of what they signed (R13); they stay visible as superseded.';
COMMENT ON COLUMN signature_supersessions.signature_id IS 'The superseded signature.';
COMMENT ON COLUMN signature_supersessions.superseded_at IS 'Server UTC time.';
COMMENT ON COLUMN signature_supersessions.by_entry_id IS 'The correcting entry.';
COMMENT ON COLUMN signature_supersessions.reason IS 'The correction reason.';

CREATE TABLE batch_exceptions (
    id           uuid        PRIMARY KEY,
    batch_id     uuid        NOT NULL REFERENCES batches (id),
    kind         text        NOT NULL CHECK (kind IN ('alert', 'out_of_specification', 'correction', 'late_entry', 'material_refused', 'equipment_refused', 'hold_time_breach', 'signature_superseded', 'deviation')),
    severity     text        NOT NULL CHECK (severity IN ('info', 'minor', 'major', 'critical')),
    step_key     text,
    field_key    text,
    entry_id     uuid        REFERENCES entries (id),
    detail       text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    actor        text        NOT NULL
);
CREATE INDEX batch_exceptions_batch_idx ON batch_exceptions (batch_id, occurred_at);
COMMENT ON TABLE batch_exceptions IS 'Everything a reviewer must look at (review by exception, R46), raised automatically.';
COMMENT ON COLUMN batch_exceptions.id IS 'Exception id.';
COMMENT ON COLUMN batch_exceptions.batch_id IS 'The batch.';
COMMENT ON COLUMN batch_exceptions.kind IS 'What kind of exception.';
COMMENT ON COLUMN batch_exceptions.severity IS 'info, minor, major or critical.';
COMMENT ON COLUMN batch_exceptions.step_key IS 'The step, where it applies.';
COMMENT ON COLUMN batch_exceptions.field_key IS 'The field, where it applies.';
COMMENT ON COLUMN batch_exceptions.entry_id IS 'The entry, where it applies.';
COMMENT ON COLUMN batch_exceptions.detail IS 'What happened, in words.';
COMMENT ON COLUMN batch_exceptions.occurred_at IS 'Server UTC time.';
COMMENT ON COLUMN batch_exceptions.actor IS 'Whose action raised it.';

CREATE TABLE deviations (
    id               uuid        PRIMARY KEY,
    batch_id         uuid        NOT NULL REFERENCES batches (id),
    source_entry_id  uuid        REFERENCES entries (id),
    title            text        NOT NULL,
    description      text        NOT NULL,
    opened_at        timestamptz NOT NULL,
    opened_by        text        NOT NULL
);
CREATE INDEX deviations_batch_idx ON deviations (batch_id);
COMMENT ON TABLE deviations IS 'Deviations, opened automatically for out-of-specification entries or by hand; open until closed (R38).';
COMMENT ON COLUMN deviations.id IS 'Deviation id.';
COMMENT ON COLUMN deviations.batch_id IS 'The batch.';
COMMENT ON COLUMN deviations.source_entry_id IS 'The out-of-specification entry that opened it, if any.';
COMMENT ON COLUMN deviations.title IS 'Short title.';
COMMENT ON COLUMN deviations.description IS 'What happened.';
COMMENT ON COLUMN deviations.opened_at IS 'Server UTC time.';
COMMENT ON COLUMN deviations.opened_by IS 'Who or what opened it.';

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['material_lots', 'material_lot_events', 'equipment', 'equipment_events', 'batches',
                             'batch_status_events', 'entries', 'signature_supersessions', 'batch_exceptions', 'deviations'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ebr_forbid_change()', t || '_no_update', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_change()', t || '_no_truncate', t);
    END LOOP;
END $$;

-- The application's role: it may read and append, and update sessions, but it
-- owns nothing, so it can neither update or delete GMP rows nor disable or drop
-- the triggers that guard them. Every pooled connection runs SET ROLE ebr_app.
DO $$
BEGIN
    CREATE ROLE ebr_app NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DO $$
BEGIN
    EXECUTE format('GRANT ebr_app TO %I', current_user);
EXCEPTION WHEN others THEN NULL;
END $$;
GRANT USAGE ON SCHEMA public TO ebr_app;
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO ebr_app;
REVOKE INSERT ON __diesel_schema_migrations FROM ebr_app;
GRANT UPDATE (last_seen_at, ended_at, end_reason, signing_continuous) ON sessions TO ebr_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT ON TABLES TO ebr_app;
