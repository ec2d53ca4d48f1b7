-- What the Mastodon client API needs beyond posts: lists of people with their own
-- stream, the order of likes (the favourites stream), read markers, and the keys that
-- make posting idempotent.

-- A member's list of people. replies_policy says which replies by its members the
-- list's stream shows; exclusive is kept for clients (Mastodon's "hide these posts from
-- home").
CREATE TABLE lists (
  id             bigint PRIMARY KEY DEFAULT next_id(),
  account_id     bigint NOT NULL REFERENCES users (account_id) ON DELETE CASCADE,
  title          text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
  replies_policy text NOT NULL DEFAULT 'list' CHECK (replies_policy IN ('followed', 'list', 'none')),
  exclusive      boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lists_account ON lists (account_id, id);

CREATE TABLE list_members (
  list_id    bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (list_id, account_id)
);
-- "Which of my lists hold this person", and the cascade when an account goes.
CREATE INDEX list_members_account ON list_members (account_id, list_id);

-- The favourites stream is newest like first and pages on the like's own id, as
-- bookmarks have one. Likes made before this migration get ids from their own time, so
-- they keep their order.
ALTER TABLE likes ADD COLUMN id bigint;
UPDATE likes SET id = (floor(extract(epoch FROM created_at) * 1000)::bigint << 16) | (nextval('id_seq') & 65535);
ALTER TABLE likes ALTER COLUMN id SET DEFAULT next_id(), ALTER COLUMN id SET NOT NULL;
CREATE INDEX likes_order ON likes (account_id, id DESC);

-- Where a member stopped reading, per timeline ('home', 'notifications'); version
-- counts the saves, so that clients on several devices can tell which is newer.
CREATE TABLE markers (
  account_id   bigint NOT NULL REFERENCES users (account_id) ON DELETE CASCADE,
  timeline     text NOT NULL CHECK (timeline IN ('home', 'notifications')),
  last_read_id bigint NOT NULL,
  version      integer NOT NULL DEFAULT 1,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, timeline)
);

-- Idempotency-Key of a post request. The row is claimed (post_id NULL) before the post
-- is written and gets its id after, so a duplicate request, even a concurrent one,
-- never writes a second post. post_id has no foreign key: a key whose post was deleted
-- still answers "that post", now gone, rather than posting again. Kept a day.
CREATE TABLE idempotency_keys (
  account_id bigint NOT NULL REFERENCES users (account_id) ON DELETE CASCADE,
  key        text NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 256),
  post_id    bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
