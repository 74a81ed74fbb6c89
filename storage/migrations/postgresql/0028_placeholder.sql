-- Placeholder for migration 0028 (another branch's), dropped at the merge.
SELECT 1;
