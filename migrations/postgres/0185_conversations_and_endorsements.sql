-- Direct-message conversations (Mastodon's `account_conversations`): one per account, thread
-- and set of other participants, with its newest status and whether it is unread, kept in the
-- transaction that stores or deletes a direct status.
CREATE TABLE account_conversations (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- The thread (`statuses.conversation_id`, or the first status's id).
    conversation_id BIGINT NOT NULL,
    -- The other participants: a JSON array of account ids, ascending.
    participant_ids TEXT NOT NULL,
    -- The cursor of GET /api/v1/conversations, as in Mastodon.
    last_status_id BIGINT NOT NULL,
    unread BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX account_conversations_key ON account_conversations (account_id, conversation_id, participant_ids);
CREATE INDEX account_conversations_page ON account_conversations (account_id, last_status_id);

-- The statuses of each conversation, so that deleting the newest one finds the one before.
CREATE TABLE account_conversation_statuses (
    account_conversation_id BIGINT NOT NULL REFERENCES account_conversations (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    PRIMARY KEY (account_conversation_id, status_id)
);
CREATE INDEX account_conversation_statuses_status ON account_conversation_statuses (status_id);

-- Accounts an account endorses on its profile (Mastodon's `account_pins`): followed
-- accounts only; unfollowing removes the endorsement.
CREATE TABLE account_pins (
    -- Snowflake of the endorsement: the cursor of the endorsement lists.
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX account_pins_pair ON account_pins (account_id, target_account_id);
CREATE INDEX account_pins_page ON account_pins (account_id, id);
