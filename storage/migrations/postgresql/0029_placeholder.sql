-- Placeholder for migration 0029 of another branch (dropped at merge).
SELECT 1;
