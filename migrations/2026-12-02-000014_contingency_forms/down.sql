DROP TABLE form_transcriptions;
DROP TABLE contingency_forms;
