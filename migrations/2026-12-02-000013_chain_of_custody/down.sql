DROP TABLE administrations;
DROP TABLE shipment_events;
DROP TABLE shipment_vials;
DROP TABLE shipments;
DROP TABLE vial_storage_events;
DROP TABLE storage_locations;
DROP TABLE label_events;
DROP TABLE labels;
DROP TABLE cell_bank_releases;
DROP TABLE donor_eligibility;
DROP TABLE donors;
ALTER TABLE batch_exceptions DROP CONSTRAINT batch_exceptions_kind_check;
ALTER TABLE batch_exceptions ADD CONSTRAINT batch_exceptions_kind_check CHECK (kind IN (
    'alert', 'out_of_specification', 'correction', 'late_entry', 'material_refused', 'equipment_refused',
    'hold_time_breach', 'signature_superseded', 'deviation', 'qc_out_of_specification', 'qc_invalidated',
    'post_release_oos', 'target_missed', 'training_not_current'));
