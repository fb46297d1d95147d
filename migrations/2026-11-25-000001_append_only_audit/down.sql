DROP TABLE audit_events;
DROP FUNCTION ebr_forbid_change();
