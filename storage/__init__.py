"""aiosqlite storage: transactions, numbered migrations, repositories."""
