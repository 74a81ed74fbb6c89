-- Roles granted from the bot by an admin, on top of the bootstrap ids in the settings
-- (ADMIN_IDS, MODERATOR_IDS, LEGAL_OFFICER_IDS), which cannot be revoked from the bot.
CREATE TABLE role_grants (
    user_id    bigint NOT NULL,
    role       text NOT NULL CHECK (role IN ('moderator', 'legal', 'admin')),
    granted_by bigint NOT NULL,
    granted_at text NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- Usernames of people who talked to the bot, so an admin can name them as @username.
ALTER TABLE users ADD COLUMN username text;
CREATE INDEX users_username ON users (lower(username)) WHERE username IS NOT NULL;
