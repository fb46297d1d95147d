-- The language each person chose for the browser pages. Append-only like
-- every other table: a change is a new row, and the newest row wins.
CREATE TABLE language_preferences (
    id           uuid        PRIMARY KEY,
    person_id    uuid        NOT NULL REFERENCES people (id),
    language     text        NOT NULL CHECK (language IN ('en', 'zh')),
    occurred_at  timestamptz NOT NULL
);
CREATE INDEX language_preferences_person ON language_preferences (person_id, occurred_at DESC);
COMMENT ON TABLE language_preferences IS 'The language a person chose for the browser pages; the newest row per person wins (until the first choice, the browser''s Accept-Language decides).';
COMMENT ON COLUMN language_preferences.id IS 'Preference id (UUIDv7, time-ordered).';
COMMENT ON COLUMN language_preferences.person_id IS 'The person.';
COMMENT ON COLUMN language_preferences.language IS 'en (English) or zh (Simplified Chinese).';
COMMENT ON COLUMN language_preferences.occurred_at IS 'Server UTC time of the choice.';

CREATE TRIGGER language_preferences_no_update BEFORE UPDATE OR DELETE ON language_preferences FOR EACH ROW EXECUTE FUNCTION ebr_forbid_change();
CREATE TRIGGER language_preferences_no_truncate BEFORE TRUNCATE ON language_preferences FOR EACH STATEMENT EXECUTE FUNCTION ebr_forbid_change();
GRANT SELECT, INSERT ON language_preferences TO ebr_app;
