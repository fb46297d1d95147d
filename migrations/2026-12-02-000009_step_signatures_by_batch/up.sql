-- A batch's step signatures (record id `<batch id>/<step key>`) are found by
-- the batch id their record id starts with: one index search per command,
-- however many batches and signatures the database holds.
CREATE INDEX signatures_record_batch_idx ON signatures (record_type, split_part(record_id, '/', 1));
