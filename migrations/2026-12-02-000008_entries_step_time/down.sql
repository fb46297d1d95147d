DROP INDEX entries_step_time_idx;
