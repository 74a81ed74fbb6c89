-- Sealed grants: a legal or admin role granted from the bot, and a proposal of one, carries a
-- seal, an HMAC-SHA256 under LEDGER_KEY (`seal_key_id` names the key) over everything the rules
-- read: the person, the role, who proposed it and when, who confirmed it and when
-- (moderation/staff/grant_seals.py). Only the bot, holding the key, makes one. A row without a
-- seal (every grant and proposal from before this migration, and any row a database writer
-- inserts) keeps the access it gave to commands and menus, but never counts for due process:
-- not as a legal officer or admin in the legal flow, not as an admin confirming a grant, until
-- two admins grant the role again from the bot. Moderator grants stay unsealed.
ALTER TABLE role_grants ADD COLUMN seal TEXT;
ALTER TABLE role_grants ADD COLUMN seal_key_id TEXT;
ALTER TABLE pending_grants ADD COLUMN seal TEXT;
ALTER TABLE pending_grants ADD COLUMN seal_key_id TEXT;
