-- What the client API's reads of people need: an id on follows and group memberships,
-- so that followers, members and who-liked lists page newest first on a stable cursor
-- (as bookmarks and likes do), and each member's marks on their conversations of
-- direct posts.

-- Existing rows get ids from the time they were made, so lists keep the order they grew
-- in; new rows take next_id() like every other table.
ALTER TABLE follows ADD COLUMN id bigint;
UPDATE follows SET id = (floor(extract(epoch FROM created_at) * 1000)::bigint << 16) | (nextval('id_seq') & 65535);
ALTER TABLE follows ALTER COLUMN id SET DEFAULT next_id(), ALTER COLUMN id SET NOT NULL;
CREATE INDEX follows_followers_order ON follows (followee_id, id DESC);
CREATE INDEX follows_following_order ON follows (follower_id, id DESC);

-- A membership keeps the id of its first row (a request or an invitation that became a
-- membership keeps its place), as it keeps created_at.
ALTER TABLE group_members ADD COLUMN id bigint;
UPDATE group_members SET id = (floor(extract(epoch FROM created_at) * 1000)::bigint << 16) | (nextval('id_seq') & 65535);
ALTER TABLE group_members ALTER COLUMN id SET DEFAULT next_id(), ALTER COLUMN id SET NOT NULL;
CREATE INDEX group_members_order ON group_members (group_id, id DESC) WHERE state = 'member';

-- Likes have had an id since 008 (the favourites stream); who liked a post pages on it too.
CREATE INDEX likes_post_order ON likes (post_id, id DESC);

-- A member's marks on one of their conversations of direct posts. A conversation is
-- named by its root as that member sees it (the first post of a chain of direct replies
-- that they may see, unbroken), so root_id has no foreign key: the root may be deleted,
-- and its marks then stop matching. Read and hidden up to a post id: a newer post makes
-- the conversation unread again, and brings a hidden one back.
CREATE TABLE conversation_marks (
  account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  root_id      bigint NOT NULL,
  read_up_to   bigint NOT NULL DEFAULT 0,
  hidden_up_to bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, root_id)
);
