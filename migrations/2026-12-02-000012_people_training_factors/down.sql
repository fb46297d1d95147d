DROP TABLE access_reviews;
DROP TABLE second_factor_uses;
DROP TABLE second_factor_events;
DROP TABLE training_records;
DROP TABLE curricula;
ALTER TABLE batch_exceptions DROP CONSTRAINT batch_exceptions_kind_check;
ALTER TABLE batch_exceptions ADD CONSTRAINT batch_exceptions_kind_check CHECK (kind IN (
    'alert', 'out_of_specification', 'correction', 'late_entry', 'material_refused', 'equipment_refused',
    'hold_time_breach', 'signature_superseded', 'deviation', 'qc_out_of_specification', 'qc_invalidated',
    'post_release_oos', 'target_missed'));
ALTER TABLE auth_attempts DROP CONSTRAINT auth_attempts_purpose_check;
ALTER TABLE auth_attempts ADD CONSTRAINT auth_attempts_purpose_check CHECK (purpose IN ('login', 'signature'));
ALTER TABLE signatures DROP COLUMN factors;
ALTER TABLE signatures DROP CONSTRAINT signatures_meaning_check;
ALTER TABLE signatures ADD CONSTRAINT signatures_meaning_check CHECK (meaning IN (
    'performed', 'verified', 'reviewed', 'approved', 'released', 'rejected', 'closed'));
ALTER TABLE role_changes DROP CONSTRAINT role_changes_role_check;
ALTER TABLE role_changes ADD CONSTRAINT role_changes_role_check CHECK (role IN (
    'operator', 'qc_analyst', 'qa_reviewer', 'release_authority', 'mbr_author', 'auditor', 'admin'));
