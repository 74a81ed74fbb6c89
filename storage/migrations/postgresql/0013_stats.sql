-- /stats: every figure is an aggregate over a time range, answered from an index alone.
-- Reports in a window: counts by category and case, distinct reporters, top targets, per day.
CREATE INDEX reports_stats ON reports (created_at, category, case_id, target_id, reporter_id);

-- Cases opened in a window, by status and category.
CREATE INDEX cases_opened ON cases (opened_at, status, category);

-- Decisions in a window: by status and moderator (with the name shown on the decision), time
-- from opening to decision, per day.
CREATE INDEX cases_decided ON cases (decided_at, status, decided_by, opened_at, decided_by_name)
    WHERE decided_at IS NOT NULL;

-- Confirmed violators: new ones and confirmations in a window.
CREATE INDEX violators_confirmed ON violators (confirmed_at);
CREATE INDEX violator_cases_confirmed ON violator_cases (confirmed_at, violator_id);
