//! Diesel table definitions, matching `migrations/` (see the SQL comments
//! there for the meaning of every column).

diesel::table! {
    /// Append-only, hash-chained audit trail.
    audit_events (id) {
        /// Event id.
        id -> Uuid,
        /// Chain name.
        chain -> Text,
        /// Sequence number in the chain.
        seq -> Int8,
        /// Server UTC time.
        occurred_at -> Timestamptz,
        /// Who.
        actor -> Text,
        /// What.
        action -> Text,
        /// Record kind.
        entity_type -> Text,
        /// Record id.
        entity_id -> Text,
        /// Previous value (canonical JSON).
        old_value -> Nullable<Text>,
        /// New value (canonical JSON).
        new_value -> Nullable<Text>,
        /// Reason.
        reason -> Nullable<Text>,
        /// Hash of the created record.
        record_hash -> Nullable<Text>,
        /// Previous event's hash.
        prev_hash -> Text,
        /// This event's hash.
        hash -> Text,
    }
}

diesel::table! {
    /// Immutable MBR versions.
    mbr_versions (id) {
        /// Version id.
        id -> Uuid,
        /// MBR code.
        code -> Text,
        /// Version number.
        version -> Int4,
        /// Title.
        title -> Text,
        /// Product code.
        product_code -> Text,
        /// Canonical JSON content.
        content -> Text,
        /// SHA-256 of content.
        content_sha256 -> Text,
        /// Import time.
        created_at -> Timestamptz,
        /// Importer (author).
        created_by -> Text,
    }
}

diesel::table! {
    /// Append-only MBR lifecycle.
    mbr_status_events (id) {
        /// Event id.
        id -> Uuid,
        /// MBR version.
        mbr_version_id -> Uuid,
        /// Status entered.
        status -> Text,
        /// Server UTC time.
        occurred_at -> Timestamptz,
        /// Who.
        actor -> Text,
        /// Why.
        reason -> Nullable<Text>,
    }
}

diesel::joinable!(mbr_status_events -> mbr_versions (mbr_version_id));

diesel::table! {
    /// People; never deleted.
    people (id) {
        /// Person id.
        id -> Uuid,
        /// Unique, never reused login name.
        username -> Text,
        /// Printed name.
        full_name -> Text,
        /// Creation time.
        created_at -> Timestamptz,
        /// Creator.
        created_by -> Text,
    }
}

diesel::table! {
    /// Role grants and revocations.
    role_changes (id) {
        /// Change id.
        id -> Uuid,
        /// Person.
        person_id -> Uuid,
        /// Role.
        role -> Text,
        /// Granted (true) or revoked (false).
        granted -> Bool,
        /// Time.
        occurred_at -> Timestamptz,
        /// Who.
        actor -> Text,
    }
}

diesel::table! {
    /// Deactivations, unlocks, session revocations.
    account_events (id) {
        /// Event id.
        id -> Uuid,
        /// Person.
        person_id -> Uuid,
        /// Kind.
        kind -> Text,
        /// Time.
        occurred_at -> Timestamptz,
        /// Who.
        actor -> Text,
        /// Why.
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Password hashes; newest is current.
    password_credentials (id) {
        /// Credential id.
        id -> Uuid,
        /// Person.
        person_id -> Uuid,
        /// argon2id PHC string.
        phc -> Text,
        /// Must be changed at next login.
        temporary -> Bool,
        /// Time set.
        set_at -> Timestamptz,
        /// Who set it.
        set_by -> Text,
    }
}

diesel::table! {
    /// Password checks.
    auth_attempts (id) {
        /// Attempt id.
        id -> Uuid,
        /// Person, when known.
        person_id -> Nullable<Uuid>,
        /// Username as entered.
        username -> Text,
        /// login or signature.
        purpose -> Text,
        /// Correct password.
        succeeded -> Bool,
        /// Time.
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    /// Signature-accountability acknowledgments.
    signature_acknowledgments (id) {
        /// Id.
        id -> Uuid,
        /// Person.
        person_id -> Uuid,
        /// Hash of the statement.
        statement_sha256 -> Text,
        /// Time.
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    /// Identity verifications by a second administrator.
    identity_verifications (id) {
        /// Id.
        id -> Uuid,
        /// Person verified.
        person_id -> Uuid,
        /// Verifying administrator.
        verified_by -> Uuid,
        /// How.
        method -> Text,
        /// Time.
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    /// Electronic signatures.
    signatures (id) {
        /// Signature id.
        id -> Uuid,
        /// Signer.
        signer_id -> Uuid,
        /// Printed name.
        printed_name -> Text,
        /// Time.
        signed_at -> Timestamptz,
        /// Meaning.
        meaning -> Text,
        /// Comment.
        comment -> Nullable<Text>,
        /// Record type.
        record_type -> Text,
        /// Record id.
        record_id -> Text,
        /// Record version.
        record_version -> Int8,
        /// Record hash.
        record_hash -> Text,
        /// Factors checked: password or password+totp.
        factors -> Text,
    }
}

diesel::table! {
    /// Login sessions.
    sessions (id) {
        /// Session id.
        id -> Uuid,
        /// Hash of the cookie token.
        token_sha256 -> Text,
        /// Person.
        person_id -> Uuid,
        /// Login time.
        created_at -> Timestamptz,
        /// Last request.
        last_seen_at -> Timestamptz,
        /// Absolute expiry.
        expires_at -> Timestamptz,
        /// End time.
        ended_at -> Nullable<Timestamptz>,
        /// End reason.
        end_reason -> Nullable<Text>,
        /// Continuous signing period intact.
        signing_continuous -> Bool,
    }
}

diesel::table! {
    /// Registered material lots.
    material_lots (id) {
        /// Lot id.
        id -> Uuid,
        /// Material code.
        material_code -> Text,
        /// Lot number.
        lot_number -> Text,
        /// Supplier.
        supplier -> Text,
        /// Registration time.
        created_at -> Timestamptz,
        /// Who registered it.
        created_by -> Text,
    }
}

diesel::table! {
    /// Lot status and expiry over time.
    material_lot_events (id) {
        /// Event id.
        id -> Uuid,
        /// Lot.
        lot_id -> Uuid,
        /// Status.
        status -> Text,
        /// Expiry.
        expires_at -> Timestamptz,
        /// Time.
        occurred_at -> Timestamptz,
        /// Who.
        actor -> Text,
        /// Why.
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Registered equipment.
    equipment (id) {
        /// Equipment id.
        id -> Uuid,
        /// Asset code.
        code -> Text,
        /// Type.
        equipment_type -> Text,
        /// Description.
        name -> Text,
        /// Registration time.
        created_at -> Timestamptz,
        /// Who registered it.
        created_by -> Text,
    }
}

diesel::table! {
    /// Equipment status and calibration over time.
    equipment_events (id) {
        /// Event id.
        id -> Uuid,
        /// Equipment.
        equipment_id -> Uuid,
        /// Status.
        status -> Text,
        /// Calibration due.
        calibration_due -> Timestamptz,
        /// Time.
        occurred_at -> Timestamptz,
        /// Who.
        actor -> Text,
        /// Why.
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Batches.
    batches (id) {
        /// Batch id.
        id -> Uuid,
        /// Batch number.
        batch_number -> Text,
        /// MBR version.
        mbr_version_id -> Uuid,
        /// MBR content hash.
        mbr_content_sha256 -> Text,
        /// Product code.
        product_code -> Text,
        /// WCB lot.
        wcb_lot_id -> Uuid,
        /// WCB vial.
        wcb_vial -> Text,
        /// Issuance time.
        created_at -> Timestamptz,
        /// Issuer.
        created_by -> Text,
    }
}

diesel::table! {
    /// Batch lifecycle.
    batch_status_events (id) {
        /// Event id.
        id -> Uuid,
        /// Batch.
        batch_id -> Uuid,
        /// Status.
        status -> Text,
        /// Time.
        occurred_at -> Timestamptz,
        /// Who.
        actor -> Text,
        /// Why.
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Recorded values.
    entries (id) {
        /// Entry id.
        id -> Uuid,
        /// Batch.
        batch_id -> Uuid,
        /// Step.
        step_key -> Text,
        /// Field.
        field_key -> Text,
        /// Canonical JSON value.
        value -> Text,
        /// Unit as entered.
        unit -> Nullable<Text>,
        /// Evaluation.
        evaluation -> Nullable<Text>,
        /// Lot used.
        material_lot_id -> Nullable<Uuid>,
        /// Equipment used.
        equipment_id -> Nullable<Uuid>,
        /// Activity time.
        activity_at -> Timestamptz,
        /// Recording time.
        recorded_at -> Timestamptz,
        /// Recorder.
        recorded_by -> Uuid,
        /// Late-entry reason.
        late_reason -> Nullable<Text>,
        /// Corrected entry.
        corrects_entry_id -> Nullable<Uuid>,
        /// Correction reason.
        correction_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Superseded signatures.
    signature_supersessions (signature_id) {
        /// Signature.
        signature_id -> Uuid,
        /// Time.
        superseded_at -> Timestamptz,
        /// Correcting entry.
        by_entry_id -> Uuid,
        /// Reason.
        reason -> Text,
    }
}

diesel::table! {
    /// Review-by-exception items.
    batch_exceptions (id) {
        /// Exception id.
        id -> Uuid,
        /// Batch.
        batch_id -> Uuid,
        /// Kind.
        kind -> Text,
        /// Severity.
        severity -> Text,
        /// Step.
        step_key -> Nullable<Text>,
        /// Field.
        field_key -> Nullable<Text>,
        /// Entry.
        entry_id -> Nullable<Uuid>,
        /// Detail.
        detail -> Text,
        /// Time.
        occurred_at -> Timestamptz,
        /// Whose action.
        actor -> Text,
    }
}

diesel::table! {
    /// Deviations.
    deviations (id) {
        /// Deviation id.
        id -> Uuid,
        /// Batch.
        batch_id -> Uuid,
        /// Source entry.
        source_entry_id -> Nullable<Uuid>,
        /// Title.
        title -> Text,
        /// Description.
        description -> Text,
        /// Time.
        opened_at -> Timestamptz,
        /// Who.
        opened_by -> Text,
    }
}

diesel::table! {
    /// Deviation revisions.
    deviation_revisions (id) {
        /// Id.
        id -> Uuid,
        /// Deviation.
        deviation_id -> Uuid,
        /// Revision.
        revision -> Int4,
        /// Status.
        status -> Text,
        /// Classification.
        classification -> Nullable<Text>,
        /// Owner.
        owner_id -> Nullable<Uuid>,
        /// Investigation.
        investigation -> Text,
        /// Root cause.
        root_cause -> Text,
        /// Impact.
        impact -> Text,
        /// CAPA.
        capa_ref -> Text,
        /// Time.
        revised_at -> Timestamptz,
        /// Who.
        revised_by -> Text,
    }
}

diesel::table! {
    /// QC results.
    qc_results (id) {
        /// Id.
        id -> Uuid,
        /// Batch.
        batch_id -> Uuid,
        /// Test.
        test_key -> Text,
        /// Outcome JSON.
        outcome -> Text,
        /// Evaluation.
        evaluation -> Text,
        /// Method.
        method -> Text,
        /// Test time.
        tested_at -> Timestamptz,
        /// Instrument.
        instrument_id -> Text,
        /// Sample.
        sample_id -> Text,
        /// Retest of.
        retest_of -> Nullable<Uuid>,
        /// Entry time.
        recorded_at -> Timestamptz,
        /// Analyst.
        recorded_by -> Uuid,
    }
}

diesel::table! {
    /// QC invalidations.
    qc_invalidations (result_id) {
        /// Result.
        result_id -> Uuid,
        /// Reason.
        reason -> Text,
        /// Time.
        invalidated_at -> Timestamptz,
        /// Who.
        invalidated_by -> Uuid,
    }
}

diesel::table! {
    /// QC result → deviation links.
    qc_result_deviations (deviation_id) {
        /// Deviation.
        deviation_id -> Uuid,
        /// QC result.
        qc_result_id -> Uuid,
    }
}

diesel::table! {
    /// Vials.
    vials (id) {
        /// Id.
        id -> Uuid,
        /// Batch.
        batch_id -> Uuid,
        /// Serial.
        serial -> Text,
        /// Time.
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Cell-bank lineage.
    cell_bank_lineage (wcb_lot_id) {
        /// WCB lot.
        wcb_lot_id -> Uuid,
        /// Donor.
        donor_id -> Text,
        /// iPSC line.
        ipsc_line -> Text,
        /// MCB lot.
        mcb_lot -> Text,
        /// Time.
        recorded_at -> Timestamptz,
        /// Who.
        recorded_by -> Text,
    }
}

diesel::table! {
    /// The language each person chose for the browser pages (newest wins).
    language_preferences (id) {
        /// Id.
        id -> Uuid,
        /// Person.
        person_id -> Uuid,
        /// en or zh.
        language -> Text,
        /// Time.
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    /// Signed checkpoints of every audit chain's head (a copy of the external log).
    checkpoints (id) {
        /// Id.
        id -> Uuid,
        /// Server time.
        made_at -> Timestamptz,
        /// `periodic` or the batch-level signature.
        reason -> Text,
        /// The batch it was made for, if any.
        batch_id -> Nullable<Uuid>,
        /// Signing key id.
        key_id -> Text,
        /// The signed checkpoint (JSON).
        signed -> Text,
    }
}

diesel::table! {
    /// Curricula: what a role must be trained on (R9).
    curricula (id) {
        /// Curriculum id.
        id -> Uuid,
        /// Unique code.
        code -> Text,
        /// Title.
        title -> Text,
        /// Role gated.
        role -> Text,
        /// MBR code, if any.
        mbr_code -> Nullable<Text>,
        /// One MBR version, if any.
        mbr_version -> Nullable<Int4>,
        /// Skill taught, if any.
        skill -> Nullable<Text>,
        /// Time.
        created_at -> Timestamptz,
        /// Who.
        created_by -> Text,
    }
}

diesel::table! {
    /// Training events (R9).
    training_records (id) {
        /// Record id.
        id -> Uuid,
        /// Trainee.
        person_id -> Uuid,
        /// Curriculum.
        curriculum_id -> Uuid,
        /// trained, read_and_understood or revoked.
        kind -> Text,
        /// MBR version trained on or read.
        mbr_version -> Nullable<Int4>,
        /// When it took place.
        trained_at -> Timestamptz,
        /// End of validity.
        valid_until -> Nullable<Timestamptz>,
        /// Recording time.
        recorded_at -> Timestamptz,
        /// Trainer (or reader).
        recorded_by -> Text,
        /// Note or reason.
        note -> Nullable<Text>,
    }
}

diesel::table! {
    /// Second-factor enrolments and resets.
    second_factor_events (id) {
        /// Event id.
        id -> Uuid,
        /// Person.
        person_id -> Uuid,
        /// enrolled, reset_requested or reset.
        kind -> Text,
        /// TOTP secret (enrolled).
        secret_base32 -> Nullable<Text>,
        /// Recovery code hashes (enrolled).
        recovery_sha256 -> Nullable<Array<Text>>,
        /// The confirmed request (reset).
        request_id -> Nullable<Uuid>,
        /// Time.
        occurred_at -> Timestamptz,
        /// Who.
        actor -> Text,
        /// Why.
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Accepted second-factor codes (no replay).
    second_factor_uses (id) {
        /// Use id.
        id -> Uuid,
        /// Enrolment.
        factor_id -> Uuid,
        /// RFC 6238 time step (or -1 - recovery index).
        time_step -> Int8,
        /// Time.
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    /// Periodic access reviews.
    access_reviews (id) {
        /// Review id.
        id -> Uuid,
        /// First day.
        period_from -> Date,
        /// Last day.
        period_to -> Date,
        /// Generation time.
        generated_at -> Timestamptz,
        /// Who generated it.
        generated_by -> Text,
        /// Report (canonical JSON).
        report -> Text,
        /// Its SHA-256.
        report_sha256 -> Text,
    }
}

diesel::table! {
    /// Donors, by ISBT 128 DIN (R47, R50).
    donors (id) {
        /// Id.
        id -> Uuid,
        /// DIN as keyed, with its check character.
        din -> Text,
        /// Time.
        recorded_at -> Timestamptz,
        /// Who.
        recorded_by -> Text,
    }
}

diesel::table! {
    /// Donor eligibility determinations (count once signed).
    donor_eligibility (id) {
        /// Id.
        id -> Uuid,
        /// Donor.
        donor_id -> Uuid,
        /// eligible, ineligible or pending.
        determination -> Text,
        /// Screening complete.
        screening_complete -> Bool,
        /// Testing complete.
        testing_complete -> Bool,
        /// Basis.
        basis -> Text,
        /// Time.
        recorded_at -> Timestamptz,
        /// Who.
        recorded_by -> Text,
    }
}

diesel::table! {
    /// QA decisions on cell-bank lots (count once signed).
    cell_bank_releases (id) {
        /// Id.
        id -> Uuid,
        /// mcb or wcb.
        level -> Text,
        /// Bank lot number.
        lot_number -> Text,
        /// released or rejected.
        decision -> Text,
        /// Comment.
        comment -> Text,
        /// Time.
        recorded_at -> Timestamptz,
        /// Who.
        recorded_by -> Text,
    }
}

diesel::table! {
    /// Printed labels (R49).
    labels (id) {
        /// Id.
        id -> Uuid,
        /// Batch.
        batch_id -> Uuid,
        /// Number per batch.
        label_number -> Int4,
        /// Template key.
        template -> Text,
        /// Vial (none for a box label).
        vial_id -> Nullable<Uuid>,
        /// Printed content (canonical JSON).
        content -> Text,
        /// Barcode text.
        barcode -> Text,
        /// Label replaced.
        reprint_of -> Nullable<Int4>,
        /// Reprint reason.
        reason -> Nullable<Text>,
        /// Time.
        printed_at -> Timestamptz,
        /// Who.
        printed_by -> Text,
    }
}

diesel::table! {
    /// Applied or destroyed labels.
    label_events (id) {
        /// Id.
        id -> Uuid,
        /// Label.
        label_id -> Uuid,
        /// applied or destroyed.
        kind -> Text,
        /// As scanned.
        scanned -> Text,
        /// Reason (destroyed).
        reason -> Nullable<Text>,
        /// Time.
        occurred_at -> Timestamptz,
        /// Who.
        occurred_by -> Text,
    }
}

diesel::table! {
    /// Freezers, racks and boxes.
    storage_locations (id) {
        /// Id.
        id -> Uuid,
        /// Code.
        code -> Text,
        /// freezer, rack or box.
        kind -> Text,
        /// Parent.
        parent_id -> Nullable<Uuid>,
        /// Name.
        name -> Text,
        /// Box rows.
        box_rows -> Nullable<Int4>,
        /// Box columns.
        box_columns -> Nullable<Int4>,
        /// Time.
        recorded_at -> Timestamptz,
        /// Who.
        recorded_by -> Text,
    }
}

diesel::table! {
    /// Vial placements, moves, thaws and removals.
    vial_storage_events (id) {
        /// Id.
        id -> Uuid,
        /// Vial.
        vial_id -> Uuid,
        /// placed, moved, thawed or removed.
        kind -> Text,
        /// Box.
        box_id -> Nullable<Uuid>,
        /// Position.
        position -> Nullable<Text>,
        /// Reason.
        reason -> Nullable<Text>,
        /// Time.
        occurred_at -> Timestamptz,
        /// Who.
        occurred_by -> Text,
    }
}

diesel::table! {
    /// Shipments (R48).
    shipments (id) {
        /// Id.
        id -> Uuid,
        /// Number.
        shipment_number -> Text,
        /// From.
        from_site -> Text,
        /// To.
        to_site -> Text,
        /// Courier.
        shipper -> Text,
        /// Dry shipper.
        dry_shipper_id -> Text,
        /// Seal.
        seal_id -> Text,
        /// Time.
        created_at -> Timestamptz,
        /// Who.
        created_by -> Text,
    }
}

diesel::table! {
    /// Vials in shipments.
    shipment_vials (vial_id) {
        /// Vial.
        vial_id -> Uuid,
        /// Shipment.
        shipment_id -> Uuid,
    }
}

diesel::table! {
    /// Hand-over and receipt.
    shipment_events (id) {
        /// Id.
        id -> Uuid,
        /// Shipment.
        shipment_id -> Uuid,
        /// handed_over or received.
        kind -> Text,
        /// Seal as read.
        seal_id -> Text,
        /// Seal intact.
        seal_intact -> Bool,
        /// Scanned serials (JSON).
        scanned -> Text,
        /// Logger file name.
        logger_file_name -> Nullable<Text>,
        /// Logger file SHA-256.
        logger_sha256 -> Nullable<Text>,
        /// Minimum °C.
        logger_min_c -> Nullable<Text>,
        /// Maximum °C.
        logger_max_c -> Nullable<Text>,
        /// Readings.
        logger_readings -> Nullable<Int4>,
        /// Findings (JSON).
        findings -> Text,
        /// Time.
        occurred_at -> Timestamptz,
        /// Who.
        occurred_by -> Text,
    }
}

diesel::table! {
    /// Administrations to subjects (R47).
    administrations (id) {
        /// Id.
        id -> Uuid,
        /// Vial.
        vial_id -> Uuid,
        /// Subject.
        subject_id -> Text,
        /// Site.
        site -> Text,
        /// When administered.
        administered_at -> Timestamptz,
        /// Time.
        recorded_at -> Timestamptz,
        /// Who.
        recorded_by -> Text,
    }
}

diesel::joinable!(donor_eligibility -> donors (donor_id));
diesel::joinable!(labels -> vials (vial_id));
diesel::joinable!(label_events -> labels (label_id));
diesel::joinable!(vial_storage_events -> vials (vial_id));
diesel::joinable!(shipment_vials -> shipments (shipment_id));
diesel::joinable!(shipment_vials -> vials (vial_id));
diesel::joinable!(shipment_events -> shipments (shipment_id));
diesel::joinable!(administrations -> vials (vial_id));

diesel::table! {
    /// Serial-numbered paper forms (R27).
    contingency_forms (id) {
        /// Id.
        id -> Uuid,
        /// Batch.
        batch_id -> Uuid,
        /// Step.
        step_key -> Text,
        /// Serial.
        serial -> Text,
        /// Time.
        issued_at -> Timestamptz,
        /// Who.
        issued_by -> Text,
    }
}

diesel::table! {
    /// Paper forms re-entered (R27).
    form_transcriptions (id) {
        /// Id.
        id -> Uuid,
        /// Form.
        form_id -> Uuid,
        /// Entries (JSON array).
        entry_ids -> Text,
        /// Time.
        transcribed_at -> Timestamptz,
        /// Who.
        transcribed_by -> Text,
    }
}

diesel::joinable!(form_transcriptions -> contingency_forms (form_id));

diesel::joinable!(training_records -> curricula (curriculum_id));
diesel::joinable!(training_records -> people (person_id));

diesel::allow_tables_to_appear_in_same_query!(
    contingency_forms,
    form_transcriptions,
    donors,
    donor_eligibility,
    cell_bank_releases,
    labels,
    label_events,
    storage_locations,
    vial_storage_events,
    shipments,
    shipment_vials,
    shipment_events,
    administrations,
    curricula,
    training_records,
    second_factor_events,
    second_factor_uses,
    access_reviews,
    people,
    role_changes,
    account_events,
    password_credentials,
    auth_attempts,
    signature_acknowledgments,
    identity_verifications,
    signatures,
    sessions,
    audit_events,
    mbr_versions,
    mbr_status_events,
    material_lots,
    material_lot_events,
    equipment,
    equipment_events,
    batches,
    batch_status_events,
    entries,
    signature_supersessions,
    batch_exceptions,
    deviations,
    deviation_revisions,
    qc_results,
    qc_result_deviations,
    qc_invalidations,
    vials,
    cell_bank_lineage,
    language_preferences,
    checkpoints,
);
