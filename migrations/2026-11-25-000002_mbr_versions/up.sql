-- Master batch record versions, stored immutably with their content hash.
CREATE TABLE mbr_versions (
    id              uuid        PRIMARY KEY,
    code            text        NOT NULL,
    version         integer     NOT NULL CHECK (version >= 1),
    title           text        NOT NULL,
    product_code    text        NOT NULL,
    content         text        NOT NULL,
    content_sha256  text        NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    created_at      timestamptz NOT NULL,
    created_by      text        NOT NULL,
    UNIQUE (code, version)
);
COMMENT ON TABLE mbr_versions IS 'Every version of every master batch record, immutable once written. A change is a new version.';
COMMENT ON COLUMN mbr_versions.id IS 'Version id (UUIDv7).';
COMMENT ON COLUMN mbr_versions.code IS 'MBR code shared by all versions of one MBR.';
COMMENT ON COLUMN mbr_versions.version IS 'Version number within the code, from 1, assigned at import.';
COMMENT ON COLUMN mbr_versions.title IS 'Title, copied from the content for listing.';
COMMENT ON COLUMN mbr_versions.product_code IS 'Product code, copied from the content for listing.';
COMMENT ON COLUMN mbr_versions.content IS 'Canonical JSON of the whole MBR (ebr_domain::canonical).';
COMMENT ON COLUMN mbr_versions.content_sha256 IS 'SHA-256 of content; batches pin it.';
COMMENT ON COLUMN mbr_versions.created_at IS 'Server UTC time of import.';
COMMENT ON COLUMN mbr_versions.created_by IS 'Who imported the version (its author).';

CREATE TRIGGER mbr_versions_no_update BEFORE UPDATE OR DELETE ON mbr_versions
    FOR EACH ROW EXECUTE FUNCTION ebr_forbid_change();
CREATE TRIGGER mbr_versions_no_truncate BEFORE TRUNCATE ON mbr_versions
    FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_change();

-- The lifecycle of each version as a sequence of status events; the latest wins.
CREATE TABLE mbr_status_events (
    id              uuid        PRIMARY KEY,
    mbr_version_id  uuid        NOT NULL REFERENCES mbr_versions (id),
    status          text        NOT NULL CHECK (status IN ('draft', 'effective', 'superseded', 'retired')),
    occurred_at     timestamptz NOT NULL,
    actor           text        NOT NULL,
    reason          text
);
CREATE INDEX mbr_status_events_version_idx ON mbr_status_events (mbr_version_id, occurred_at);
COMMENT ON TABLE mbr_status_events IS 'Append-only lifecycle of MBR versions: draft, effective, superseded, retired. The newest event is the current status.';
COMMENT ON COLUMN mbr_status_events.id IS 'Event id (UUIDv7, time-ordered: the newest id is the current status).';
COMMENT ON COLUMN mbr_status_events.mbr_version_id IS 'The MBR version whose status changed.';
COMMENT ON COLUMN mbr_status_events.status IS 'The status entered.';
COMMENT ON COLUMN mbr_status_events.occurred_at IS 'Server UTC time of the change.';
COMMENT ON COLUMN mbr_status_events.actor IS 'Who changed the status.';
COMMENT ON COLUMN mbr_status_events.reason IS 'Why, where a reason applies.';

CREATE TRIGGER mbr_status_events_no_update BEFORE UPDATE OR DELETE ON mbr_status_events
    FOR EACH ROW EXECUTE FUNCTION ebr_forbid_change();
CREATE TRIGGER mbr_status_events_no_truncate BEFORE TRUNCATE ON mbr_status_events
    FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_change();
