-- R35: one batch record per batch number, whatever its case or surrounding
-- spaces: `hid-a-0001` and `HID-A-0001` are one batch for labels and an ERP.
-- The application checks the same comparison under a lock and names the
-- existing record; this index makes the database refuse a second one even
-- if a writer bypassed that check.
CREATE UNIQUE INDEX batches_batch_number_folded_key ON batches (lower(btrim(batch_number)));
COMMENT ON INDEX batches_batch_number_folded_key IS 'R35: batch numbers are unique regardless of case and surrounding spaces.';
