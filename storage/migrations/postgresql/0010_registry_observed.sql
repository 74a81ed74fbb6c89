-- When the bot last re-read each confirmed violator's chat with getChat (the observation job).
ALTER TABLE violators ADD COLUMN last_observed_at text;
CREATE INDEX violators_observe ON violators (last_observed_at);
