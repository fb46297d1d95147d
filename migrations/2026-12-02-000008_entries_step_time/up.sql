-- When a step started (its first entry) is read on every recording: this
-- index answers it without reading the step's other entries, so recording
-- costs the same in a batch that already holds thousands of entries.
CREATE INDEX entries_step_time_idx ON entries (batch_id, step_key, recorded_at);
COMMENT ON INDEX entries_step_time_idx IS 'First entry of a step (its start) without scanning the step: recording stays flat in a full batch.';
