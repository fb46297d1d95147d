DROP TABLE mbr_status_events;
DROP TABLE mbr_versions;
