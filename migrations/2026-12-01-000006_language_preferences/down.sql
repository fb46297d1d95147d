DROP TABLE language_preferences;
