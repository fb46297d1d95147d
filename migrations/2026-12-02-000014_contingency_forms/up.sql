-- Issue 20 (R27): business-continuity paper forms. A serial-numbered form
-- of a step is printed from the batch's MBR when the system cannot be used;
-- its values are later re-entered once, flagged as transcribed from it.

CREATE TABLE contingency_forms (
    id         uuid        PRIMARY KEY,
    batch_id   uuid        NOT NULL REFERENCES batches (id),
    step_key   text        NOT NULL,
    serial     text        NOT NULL UNIQUE,
    issued_at  timestamptz NOT NULL,
    issued_by  text        NOT NULL
);
CREATE INDEX contingency_forms_batch_idx ON contingency_forms (batch_id);
COMMENT ON TABLE contingency_forms IS 'Serial-numbered paper forms of a step, printed from the batch''s MBR for use while ebr is unavailable (R27).';
COMMENT ON COLUMN contingency_forms.id IS 'Form id (UUIDv7).';
COMMENT ON COLUMN contingency_forms.batch_id IS 'The batch.';
COMMENT ON COLUMN contingency_forms.step_key IS 'The step the form records.';
COMMENT ON COLUMN contingency_forms.serial IS 'Serial number printed on every page, CF-<batch>-<n>.';
COMMENT ON COLUMN contingency_forms.issued_at IS 'Server UTC time of printing.';
COMMENT ON COLUMN contingency_forms.issued_by IS 'Who printed it.';

CREATE TABLE form_transcriptions (
    id              uuid        PRIMARY KEY,
    form_id         uuid        NOT NULL UNIQUE REFERENCES contingency_forms (id),
    entry_ids       text        NOT NULL,
    transcribed_at  timestamptz NOT NULL,
    transcribed_by  text        NOT NULL
);
COMMENT ON TABLE form_transcriptions IS 'A paper form re-entered into ebr: the entries it became (flagged transcribed in the record); once per form.';
COMMENT ON COLUMN form_transcriptions.id IS 'Transcription id (UUIDv7).';
COMMENT ON COLUMN form_transcriptions.form_id IS 'The form (once).';
COMMENT ON COLUMN form_transcriptions.entry_ids IS 'JSON array of the entries recorded from it.';
COMMENT ON COLUMN form_transcriptions.transcribed_at IS 'Server UTC time.';
COMMENT ON COLUMN form_transcriptions.transcribed_by IS 'Who re-entered it.';

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['contingency_forms', 'form_transcriptions'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ebr_forbid_change()', t || '_no_update', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_change()', t || '_no_truncate', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT ON contingency_forms, form_transcriptions TO ebr_app;
