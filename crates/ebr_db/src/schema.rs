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
diesel::allow_tables_to_appear_in_same_query!(audit_events, mbr_versions, mbr_status_events);
