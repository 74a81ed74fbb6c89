"""The console's records (migration 0029) and its reads of cases, reports and the audit log."""
