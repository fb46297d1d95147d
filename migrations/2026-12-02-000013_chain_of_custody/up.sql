-- Issue 18: the chain of identity and custody from donor to recipient
-- (R47–R50): donors with an ISBT 128 DIN and signed eligibility
-- determinations, signed cell-bank release decisions, labels printed from
-- the approved MBR and reconciled, the storage map, shipments with their
-- temperature logger, and administration to a subject. Every table is
-- append-only: a new determination, decision or event is a new row.

ALTER TABLE batch_exceptions DROP CONSTRAINT batch_exceptions_kind_check;
ALTER TABLE batch_exceptions ADD CONSTRAINT batch_exceptions_kind_check CHECK (kind IN (
    'alert', 'out_of_specification', 'correction', 'late_entry', 'material_refused', 'equipment_refused',
    'hold_time_breach', 'signature_superseded', 'deviation', 'qc_out_of_specification', 'qc_invalidated',
    'post_release_oos', 'target_missed', 'training_not_current', 'custody_discrepancy'));

CREATE TABLE donors (
    id           uuid        PRIMARY KEY,
    din          text        NOT NULL UNIQUE CHECK (din ~ '^[A-Z][0-9A-Z]{4}[0-9]{8}[0-9A-Z*]$'),
    recorded_at  timestamptz NOT NULL,
    recorded_by  text        NOT NULL
);
COMMENT ON TABLE donors IS 'Donors of the cells an iPSC line was made from, identified by their ISBT 128 Donation Identification Number (R47, R50). Never edited.';
COMMENT ON COLUMN donors.id IS 'Donor id (UUIDv7).';
COMMENT ON COLUMN donors.din IS 'The DIN as keyed: 13 characters and the ISO 7064 Mod 37-2 check character, validated before storing.';
COMMENT ON COLUMN donors.recorded_at IS 'Server UTC time.';
COMMENT ON COLUMN donors.recorded_by IS 'Who registered the donor.';

CREATE TABLE donor_eligibility (
    id                  uuid        PRIMARY KEY,
    donor_id            uuid        NOT NULL REFERENCES donors (id),
    determination       text        NOT NULL CHECK (determination IN ('eligible', 'ineligible', 'pending')),
    screening_complete  boolean     NOT NULL,
    testing_complete    boolean     NOT NULL,
    basis               text        NOT NULL,
    recorded_at         timestamptz NOT NULL,
    recorded_by         text        NOT NULL
);
CREATE INDEX donor_eligibility_donor_idx ON donor_eligibility (donor_id);
COMMENT ON TABLE donor_eligibility IS 'Donor eligibility determinations (21 CFR 1271 subpart C). A determination counts once the responsible person signed it (meaning approved); the newest signed one is current.';
COMMENT ON COLUMN donor_eligibility.id IS 'Determination id (UUIDv7).';
COMMENT ON COLUMN donor_eligibility.donor_id IS 'The donor.';
COMMENT ON COLUMN donor_eligibility.determination IS 'eligible, ineligible or pending.';
COMMENT ON COLUMN donor_eligibility.screening_complete IS 'Donor screening (medical history, risk factors) complete.';
COMMENT ON COLUMN donor_eligibility.testing_complete IS 'Donor testing for relevant communicable disease agents complete.';
COMMENT ON COLUMN donor_eligibility.basis IS 'What the determination rests on (records, test report references).';
COMMENT ON COLUMN donor_eligibility.recorded_at IS 'Server UTC time.';
COMMENT ON COLUMN donor_eligibility.recorded_by IS 'Who recorded it.';

CREATE TABLE cell_bank_releases (
    id           uuid        PRIMARY KEY,
    level        text        NOT NULL CHECK (level IN ('mcb', 'wcb')),
    lot_number   text        NOT NULL CHECK (length(btrim(lot_number)) > 0),
    decision     text        NOT NULL CHECK (decision IN ('released', 'rejected')),
    comment      text        NOT NULL,
    recorded_at  timestamptz NOT NULL,
    recorded_by  text        NOT NULL
);
CREATE INDEX cell_bank_releases_lot_idx ON cell_bank_releases (level, lot_number);
COMMENT ON TABLE cell_bank_releases IS 'QA decisions on master and working cell bank lots. A decision counts once QA signed it with its own meaning (released or rejected); the newest signed one is current.';
COMMENT ON COLUMN cell_bank_releases.id IS 'Decision id (UUIDv7).';
COMMENT ON COLUMN cell_bank_releases.level IS 'mcb (master cell bank) or wcb (working cell bank).';
COMMENT ON COLUMN cell_bank_releases.lot_number IS 'The bank lot: the MCB lot named in the WCB lineage, or the WCB material lot number.';
COMMENT ON COLUMN cell_bank_releases.decision IS 'released or rejected.';
COMMENT ON COLUMN cell_bank_releases.comment IS 'QA comment (may be empty).';
COMMENT ON COLUMN cell_bank_releases.recorded_at IS 'Server UTC time.';
COMMENT ON COLUMN cell_bank_releases.recorded_by IS 'Who recorded it.';

CREATE TABLE labels (
    id            uuid        PRIMARY KEY,
    batch_id      uuid        NOT NULL REFERENCES batches (id),
    label_number  integer     NOT NULL CHECK (label_number >= 1),
    template      text        NOT NULL,
    vial_id       uuid        REFERENCES vials (id),
    content       text        NOT NULL,
    barcode       text        NOT NULL,
    reprint_of    integer,
    reason        text,
    printed_at    timestamptz NOT NULL,
    printed_by    text        NOT NULL,
    UNIQUE (batch_id, label_number),
    CHECK (reprint_of IS NULL OR reason IS NOT NULL)
);
COMMENT ON TABLE labels IS 'Every label printed from the approved MBR template (R49), numbered per batch; a reprint names the label it replaces and why.';
COMMENT ON COLUMN labels.id IS 'Label id (UUIDv7).';
COMMENT ON COLUMN labels.batch_id IS 'The batch.';
COMMENT ON COLUMN labels.label_number IS 'Number printed on the label, from 1 per batch, in print order.';
COMMENT ON COLUMN labels.template IS 'The MBR label template key.';
COMMENT ON COLUMN labels.vial_id IS 'The vial the label is for (none for a box label, which goes on the batch''s box).';
COMMENT ON COLUMN labels.content IS 'Canonical JSON of every line printed on the label.';
COMMENT ON COLUMN labels.barcode IS 'The text the 2D barcode encodes.';
COMMENT ON COLUMN labels.reprint_of IS 'The label number this one replaces (a reprint), if any.';
COMMENT ON COLUMN labels.reason IS 'Why it was reprinted.';
COMMENT ON COLUMN labels.printed_at IS 'Server UTC time.';
COMMENT ON COLUMN labels.printed_by IS 'Who printed it.';

CREATE TABLE label_events (
    id           uuid        PRIMARY KEY,
    label_id     uuid        NOT NULL UNIQUE REFERENCES labels (id),
    kind         text        NOT NULL CHECK (kind IN ('applied', 'destroyed')),
    scanned      text        NOT NULL,
    reason       text,
    occurred_at  timestamptz NOT NULL,
    occurred_by  text        NOT NULL,
    CHECK (kind = 'applied' OR reason IS NOT NULL)
);
COMMENT ON TABLE label_events IS 'What became of each printed label: applied (verified by scanning it back against its vial) or destroyed with a reason; one per label (R49 reconciliation).';
COMMENT ON COLUMN label_events.id IS 'Event id (UUIDv7).';
COMMENT ON COLUMN label_events.label_id IS 'The label (once).';
COMMENT ON COLUMN label_events.kind IS 'applied or destroyed.';
COMMENT ON COLUMN label_events.scanned IS 'The label barcode and vial as scanned, for applied labels.';
COMMENT ON COLUMN label_events.reason IS 'Why it was destroyed.';
COMMENT ON COLUMN label_events.occurred_at IS 'Server UTC time.';
COMMENT ON COLUMN label_events.occurred_by IS 'Who.';

CREATE TABLE storage_locations (
    id           uuid        PRIMARY KEY,
    code         text        NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9._-]{1,31}$'),
    kind         text        NOT NULL CHECK (kind IN ('freezer', 'rack', 'box')),
    parent_id    uuid        REFERENCES storage_locations (id),
    name         text        NOT NULL,
    box_rows     integer     CHECK (box_rows BETWEEN 1 AND 26),
    box_columns  integer     CHECK (box_columns BETWEEN 1 AND 26),
    recorded_at  timestamptz NOT NULL,
    recorded_by  text        NOT NULL,
    CHECK ((kind = 'freezer') = (parent_id IS NULL)),
    CHECK ((kind = 'box') = (box_rows IS NOT NULL AND box_columns IS NOT NULL))
);
COMMENT ON TABLE storage_locations IS 'The storage map: LN2 vapour-phase freezers, their racks, and boxes of rows x columns positions.';
COMMENT ON COLUMN storage_locations.id IS 'Location id (UUIDv7).';
COMMENT ON COLUMN storage_locations.code IS 'Unique code printed on the location, e.g. LN2-01, LN2-01-R2, LN2-01-R2-B05.';
COMMENT ON COLUMN storage_locations.kind IS 'freezer, rack or box.';
COMMENT ON COLUMN storage_locations.parent_id IS 'The freezer of a rack, the rack of a box.';
COMMENT ON COLUMN storage_locations.name IS 'Name shown on the map.';
COMMENT ON COLUMN storage_locations.box_rows IS 'Rows of a box (A, B, …).';
COMMENT ON COLUMN storage_locations.box_columns IS 'Columns of a box (1, 2, …).';
COMMENT ON COLUMN storage_locations.recorded_at IS 'Server UTC time.';
COMMENT ON COLUMN storage_locations.recorded_by IS 'Who registered it.';

CREATE TABLE vial_storage_events (
    id           uuid        PRIMARY KEY,
    vial_id      uuid        NOT NULL REFERENCES vials (id),
    kind         text        NOT NULL CHECK (kind IN ('placed', 'moved', 'thawed', 'removed')),
    box_id       uuid        REFERENCES storage_locations (id),
    position     text        CHECK (position ~ '^[A-Z][0-9]{1,2}$'),
    reason       text,
    occurred_at  timestamptz NOT NULL,
    occurred_by  text        NOT NULL,
    CHECK ((kind IN ('placed', 'moved')) = (box_id IS NOT NULL AND position IS NOT NULL))
);
CREATE INDEX vial_storage_events_vial_idx ON vial_storage_events (vial_id);
CREATE INDEX vial_storage_events_box_idx ON vial_storage_events (box_id);
COMMENT ON TABLE vial_storage_events IS 'Where each vial is: placed (vial and position both scanned), moved, thawed (counted) or removed; the newest event is current.';
COMMENT ON COLUMN vial_storage_events.id IS 'Event id (UUIDv7).';
COMMENT ON COLUMN vial_storage_events.vial_id IS 'The vial.';
COMMENT ON COLUMN vial_storage_events.kind IS 'placed, moved, thawed or removed.';
COMMENT ON COLUMN vial_storage_events.box_id IS 'The box it went into (placed, moved).';
COMMENT ON COLUMN vial_storage_events.position IS 'Its position in the box, e.g. A3.';
COMMENT ON COLUMN vial_storage_events.reason IS 'Why it was removed or thawed.';
COMMENT ON COLUMN vial_storage_events.occurred_at IS 'Server UTC time.';
COMMENT ON COLUMN vial_storage_events.occurred_by IS 'Who.';

CREATE TABLE shipments (
    id               uuid        PRIMARY KEY,
    shipment_number  text        NOT NULL UNIQUE,
    from_site        text        NOT NULL,
    to_site          text        NOT NULL,
    shipper          text        NOT NULL,
    dry_shipper_id   text        NOT NULL,
    seal_id          text        NOT NULL,
    created_at       timestamptz NOT NULL,
    created_by       text        NOT NULL
);
COMMENT ON TABLE shipments IS 'Shipments of released vials to a clinical site (R48).';
COMMENT ON COLUMN shipments.id IS 'Shipment id (UUIDv7).';
COMMENT ON COLUMN shipments.shipment_number IS 'Unique shipment number.';
COMMENT ON COLUMN shipments.from_site IS 'Shipping site.';
COMMENT ON COLUMN shipments.to_site IS 'Receiving clinical site.';
COMMENT ON COLUMN shipments.shipper IS 'Courier.';
COMMENT ON COLUMN shipments.dry_shipper_id IS 'The LN2 dry shipper.';
COMMENT ON COLUMN shipments.seal_id IS 'The tamper-evident seal applied at hand-over.';
COMMENT ON COLUMN shipments.created_at IS 'Server UTC time.';
COMMENT ON COLUMN shipments.created_by IS 'Who packed it.';

CREATE TABLE shipment_vials (
    vial_id      uuid        PRIMARY KEY REFERENCES vials (id),
    shipment_id  uuid        NOT NULL REFERENCES shipments (id)
);
CREATE INDEX shipment_vials_shipment_idx ON shipment_vials (shipment_id);
COMMENT ON TABLE shipment_vials IS 'The vials packed into a shipment (each vial ships once).';
COMMENT ON COLUMN shipment_vials.vial_id IS 'The vial.';
COMMENT ON COLUMN shipment_vials.shipment_id IS 'The shipment.';

CREATE TABLE shipment_events (
    id                uuid        PRIMARY KEY,
    shipment_id       uuid        NOT NULL REFERENCES shipments (id),
    kind              text        NOT NULL CHECK (kind IN ('handed_over', 'received')),
    seal_id           text        NOT NULL,
    seal_intact       boolean     NOT NULL,
    scanned           text        NOT NULL,
    logger_file_name  text,
    logger_sha256     text,
    logger_min_c      text,
    logger_max_c      text,
    logger_readings   integer,
    findings          text        NOT NULL,
    occurred_at       timestamptz NOT NULL,
    occurred_by       text        NOT NULL,
    UNIQUE (shipment_id, kind)
);
COMMENT ON TABLE shipment_events IS 'The hand-over and the receipt of a shipment, each signed (performed, verified); a receipt with findings quarantines the shipment.';
COMMENT ON COLUMN shipment_events.id IS 'Event id (UUIDv7).';
COMMENT ON COLUMN shipment_events.shipment_id IS 'The shipment.';
COMMENT ON COLUMN shipment_events.kind IS 'handed_over or received.';
COMMENT ON COLUMN shipment_events.seal_id IS 'The seal as read at this end.';
COMMENT ON COLUMN shipment_events.seal_intact IS 'Whether the seal was intact.';
COMMENT ON COLUMN shipment_events.scanned IS 'JSON array of the vial serials scanned at this end.';
COMMENT ON COLUMN shipment_events.logger_file_name IS 'The temperature-logger file as uploaded (receipt).';
COMMENT ON COLUMN shipment_events.logger_sha256 IS 'SHA-256 of the logger file as uploaded.';
COMMENT ON COLUMN shipment_events.logger_min_c IS 'Lowest temperature in the file, °C, as written there.';
COMMENT ON COLUMN shipment_events.logger_max_c IS 'Highest temperature in the file, °C, as written there.';
COMMENT ON COLUMN shipment_events.logger_readings IS 'Number of readings in the file.';
COMMENT ON COLUMN shipment_events.findings IS 'JSON array of the discrepancies found (missing or extra vial, broken seal, temperature, no logger data).';
COMMENT ON COLUMN shipment_events.occurred_at IS 'Server UTC time.';
COMMENT ON COLUMN shipment_events.occurred_by IS 'Who.';

CREATE TABLE administrations (
    id               uuid        PRIMARY KEY,
    vial_id          uuid        NOT NULL UNIQUE REFERENCES vials (id),
    subject_id       text        NOT NULL CHECK (length(btrim(subject_id)) > 0),
    site             text        NOT NULL,
    administered_at  timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL,
    recorded_by      text        NOT NULL
);
COMMENT ON TABLE administrations IS 'A vial administered to a trial subject at the receiving site: the end of the chain of identity (R47).';
COMMENT ON COLUMN administrations.id IS 'Administration id (UUIDv7).';
COMMENT ON COLUMN administrations.vial_id IS 'The vial (once).';
COMMENT ON COLUMN administrations.subject_id IS 'The recipient''s trial subject ID (no name).';
COMMENT ON COLUMN administrations.site IS 'The clinical site.';
COMMENT ON COLUMN administrations.administered_at IS 'When it was administered, as the site states it.';
COMMENT ON COLUMN administrations.recorded_at IS 'Server UTC time of recording.';
COMMENT ON COLUMN administrations.recorded_by IS 'Who recorded it.';

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['donors', 'donor_eligibility', 'cell_bank_releases', 'labels', 'label_events',
                             'storage_locations', 'vial_storage_events', 'shipments', 'shipment_vials',
                             'shipment_events', 'administrations'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ebr_forbid_change()', t || '_no_update', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_change()', t || '_no_truncate', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT ON donors, donor_eligibility, cell_bank_releases, labels, label_events, storage_locations,
    vial_storage_events, shipments, shipment_vials, shipment_events, administrations TO ebr_app;
