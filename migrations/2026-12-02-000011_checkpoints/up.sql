-- Issue 14: checkpoints (every audit chain's head, signed with a key the
-- database never sees). The authority is the log outside the database; this
-- copy lets a batch's export carry the checkpoints signed for it (review,
-- release, rejection). Append-only like every other table.
CREATE TABLE checkpoints (
    id           uuid        PRIMARY KEY,
    made_at      timestamptz NOT NULL,
    reason       text        NOT NULL,
    batch_id     uuid        REFERENCES batches (id),
    key_id       text        NOT NULL,
    signed       text        NOT NULL
);
CREATE INDEX checkpoints_batch ON checkpoints (batch_id, made_at) WHERE batch_id IS NOT NULL;
CREATE INDEX checkpoints_made_at ON checkpoints (made_at DESC);
COMMENT ON TABLE checkpoints IS 'Signed checkpoints of every audit chain''s head; a copy of the external checkpoint log (the log, not this table, is what `ebr audit verify --checkpoints` trusts).';
COMMENT ON COLUMN checkpoints.id IS 'Checkpoint id (UUIDv7, time-ordered).';
COMMENT ON COLUMN checkpoints.made_at IS 'Server UTC time of the checkpoint.';
COMMENT ON COLUMN checkpoints.reason IS '`periodic`, or the batch-level signature that caused it (e.g. `batch.released BR-2026-0001`).';
COMMENT ON COLUMN checkpoints.batch_id IS 'The batch whose review, release or rejection caused it, if any.';
COMMENT ON COLUMN checkpoints.key_id IS 'The signing key''s id (first 16 hex digits of the SHA-256 of its public key).';
COMMENT ON COLUMN checkpoints.signed IS 'The signed checkpoint as JSON (ebr.checkpoint/1 and its Ed25519 signature).';

CREATE TRIGGER checkpoints_no_update BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW EXECUTE FUNCTION ebr_forbid_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_change();
GRANT SELECT, INSERT ON checkpoints TO ebr_app;
