-- Placeholder for migration 0028 of another branch (dropped at merge).
SELECT 1;
