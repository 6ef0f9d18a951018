-- E-mail confirmation tokens are stored as SHA-256 digests and expire: remember when each was
-- sent, and look them up by index. Tokens written before this migration were stored in
-- plain text; they are invalidated (the user asks for a new confirmation e-mail).
ALTER TABLE users ADD COLUMN confirmation_sent_at BIGINT;
UPDATE users SET confirmation_token = NULL WHERE confirmation_token IS NOT NULL;
CREATE UNIQUE INDEX users_confirmation_token ON users (confirmation_token);
