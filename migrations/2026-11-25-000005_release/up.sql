-- Deviations lifecycle, QC release results, vials and cell-bank lineage.

CREATE TABLE deviation_revisions (
    id              uuid        PRIMARY KEY,
    deviation_id    uuid        NOT NULL REFERENCES deviations (id),
    revision        integer     NOT NULL CHECK (revision >= 1),
    status          text        NOT NULL CHECK (status IN ('open', 'under_investigation', 'closed')),
    classification  text        CHECK (classification IN ('minor', 'major', 'critical')),
    owner_id        uuid        REFERENCES people (id),
    investigation   text        NOT NULL DEFAULT '',
    root_cause      text        NOT NULL DEFAULT '',
    impact          text        NOT NULL DEFAULT '',
    capa_ref        text        NOT NULL DEFAULT '',
    revised_at      timestamptz NOT NULL,
    revised_by      text        NOT NULL,
    UNIQUE (deviation_id, revision)
);
COMMENT ON TABLE deviation_revisions IS 'Every state of every deviation; nothing is overwritten, the highest revision is current.';
COMMENT ON COLUMN deviation_revisions.id IS 'Revision id.';
COMMENT ON COLUMN deviation_revisions.deviation_id IS 'The deviation.';
COMMENT ON COLUMN deviation_revisions.revision IS 'Revision number from 1.';
COMMENT ON COLUMN deviation_revisions.status IS 'open, under_investigation or closed.';
COMMENT ON COLUMN deviation_revisions.classification IS 'minor, major or critical, once assessed.';
COMMENT ON COLUMN deviation_revisions.owner_id IS 'Who investigates (may not close it, R44).';
COMMENT ON COLUMN deviation_revisions.investigation IS 'Investigation summary.';
COMMENT ON COLUMN deviation_revisions.root_cause IS 'Root cause.';
COMMENT ON COLUMN deviation_revisions.impact IS 'Impact on the batch.';
COMMENT ON COLUMN deviation_revisions.capa_ref IS 'CAPA reference.';
COMMENT ON COLUMN deviation_revisions.revised_at IS 'Server UTC time.';
COMMENT ON COLUMN deviation_revisions.revised_by IS 'Who made the revision.';

CREATE TABLE qc_results (
    id             uuid        PRIMARY KEY,
    batch_id       uuid        NOT NULL REFERENCES batches (id),
    test_key       text        NOT NULL,
    outcome        text        NOT NULL,
    evaluation     text        NOT NULL CHECK (evaluation IN ('within_specification', 'out_of_specification')),
    method         text        NOT NULL,
    tested_at      timestamptz NOT NULL,
    instrument_id  text        NOT NULL DEFAULT '',
    sample_id      text        NOT NULL DEFAULT '',
    retest_of      uuid        REFERENCES qc_results (id),
    recorded_at    timestamptz NOT NULL,
    recorded_by    uuid        NOT NULL REFERENCES people (id)
);
CREATE INDEX qc_results_batch_idx ON qc_results (batch_id, test_key);
COMMENT ON TABLE qc_results IS 'Release test results against the MBR panel; a retest is a new result, an invalidated one stays.';
COMMENT ON COLUMN qc_results.id IS 'Result id.';
COMMENT ON COLUMN qc_results.batch_id IS 'The batch.';
COMMENT ON COLUMN qc_results.test_key IS 'The release-panel test.';
COMMENT ON COLUMN qc_results.outcome IS 'The result as entered, canonical JSON.';
COMMENT ON COLUMN qc_results.evaluation IS 'Against the specification.';
COMMENT ON COLUMN qc_results.method IS 'Method used.';
COMMENT ON COLUMN qc_results.tested_at IS 'When the test was performed.';
COMMENT ON COLUMN qc_results.instrument_id IS 'Instrument.';
COMMENT ON COLUMN qc_results.sample_id IS 'Sample.';
COMMENT ON COLUMN qc_results.retest_of IS 'The result this retests.';
COMMENT ON COLUMN qc_results.recorded_at IS 'Server UTC time of entry.';
COMMENT ON COLUMN qc_results.recorded_by IS 'The analyst.';

CREATE TABLE qc_invalidations (
    result_id       uuid        PRIMARY KEY REFERENCES qc_results (id),
    reason          text        NOT NULL CHECK (length(btrim(reason)) > 0),
    invalidated_at  timestamptz NOT NULL,
    invalidated_by  uuid        NOT NULL REFERENCES people (id)
);
COMMENT ON TABLE qc_invalidations IS 'Invalidated QC results (they stay visible with the reason).';
COMMENT ON COLUMN qc_invalidations.result_id IS 'The result.';
COMMENT ON COLUMN qc_invalidations.reason IS 'Why.';
COMMENT ON COLUMN qc_invalidations.invalidated_at IS 'Server UTC time.';
COMMENT ON COLUMN qc_invalidations.invalidated_by IS 'Who.';

CREATE TABLE vials (
    id          uuid        PRIMARY KEY,
    batch_id    uuid        NOT NULL REFERENCES batches (id),
    serial      text        NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL
);
CREATE INDEX vials_batch_idx ON vials (batch_id);
COMMENT ON TABLE vials IS 'Final-product vials, serialised at fill (R47).';
COMMENT ON COLUMN vials.id IS 'Vial id.';
COMMENT ON COLUMN vials.batch_id IS 'The batch.';
COMMENT ON COLUMN vials.serial IS 'Serial number printed on the label.';
COMMENT ON COLUMN vials.created_at IS 'Server UTC time of fill.';

CREATE TABLE cell_bank_lineage (
    wcb_lot_id   uuid        PRIMARY KEY REFERENCES material_lots (id),
    donor_id     text        NOT NULL,
    ipsc_line    text        NOT NULL,
    mcb_lot      text        NOT NULL,
    recorded_at  timestamptz NOT NULL,
    recorded_by  text        NOT NULL
);
COMMENT ON TABLE cell_bank_lineage IS 'Chain of identity above the batch: donor -> iPSC line -> MCB -> WCB lot (R47).';
COMMENT ON COLUMN cell_bank_lineage.wcb_lot_id IS 'The working-cell-bank lot.';
COMMENT ON COLUMN cell_bank_lineage.donor_id IS 'Donor identification (e.g. ISBT 128 DIN).';
COMMENT ON COLUMN cell_bank_lineage.ipsc_line IS 'The iPSC line.';
COMMENT ON COLUMN cell_bank_lineage.mcb_lot IS 'The master cell bank lot.';
COMMENT ON COLUMN cell_bank_lineage.recorded_at IS 'Server UTC time.';
COMMENT ON COLUMN cell_bank_lineage.recorded_by IS 'Who recorded it.';

CREATE TABLE qc_result_deviations (
    deviation_id  uuid PRIMARY KEY REFERENCES deviations (id),
    qc_result_id  uuid NOT NULL REFERENCES qc_results (id)
);
COMMENT ON TABLE qc_result_deviations IS 'Which out-of-specification QC result opened a deviation.';
COMMENT ON COLUMN qc_result_deviations.deviation_id IS 'The deviation.';
COMMENT ON COLUMN qc_result_deviations.qc_result_id IS 'The QC result.';

ALTER TABLE batch_exceptions DROP CONSTRAINT batch_exceptions_kind_check;
ALTER TABLE batch_exceptions ADD CONSTRAINT batch_exceptions_kind_check CHECK (kind IN (
    'alert', 'out_of_specification', 'correction', 'late_entry', 'material_refused', 'equipment_refused',
    'hold_time_breach', 'signature_superseded', 'deviation', 'qc_out_of_specification', 'qc_invalidated',
    'post_release_oos'));

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['deviation_revisions', 'qc_result_deviations', 'qc_results', 'qc_invalidations', 'vials', 'cell_bank_lineage'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ebr_forbid_change()', t || '_no_update', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_change()', t || '_no_truncate', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT ON deviation_revisions, qc_result_deviations, qc_results, qc_invalidations, vials, cell_bank_lineage TO ebr_app;
