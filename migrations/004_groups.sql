-- Groups: an account-like actor (its handle is unique with usernames and can be
-- mentioned) whose posts only its members see.

ALTER TABLE accounts ADD COLUMN kind text NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'group'));

CREATE TABLE groups (
  account_id  bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
  kind        text NOT NULL CHECK (kind IN ('open', 'closed', 'secret')),
  created_by  bigint REFERENCES accounts (id) ON DELETE SET NULL
);

-- A membership, a request to join, or an invitation. account_id may one day be an
-- account on a partner instance (accounts.domain), with no change here.
CREATE TABLE group_members (
  group_id   bigint NOT NULL REFERENCES groups (account_id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  state      text NOT NULL CHECK (state IN ('member', 'requested', 'invited')),
  role       text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'moderator', 'member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, account_id)
);
-- The gate asks "is the viewer a member of this group" for every group post it reads.
CREATE INDEX group_members_account ON group_members (account_id, group_id) WHERE state = 'member';

-- A group post has visibility 'group' and exactly one group.
ALTER TABLE posts ADD COLUMN group_id bigint REFERENCES groups (account_id) ON DELETE CASCADE;
ALTER TABLE posts DROP CONSTRAINT posts_visibility_check;
ALTER TABLE posts ADD CONSTRAINT posts_visibility_check
  CHECK (visibility IN ('company', 'quiet', 'followers', 'direct', 'group'));
ALTER TABLE posts ADD CONSTRAINT posts_group_iff_group_visibility CHECK ((visibility = 'group') = (group_id IS NOT NULL));
CREATE INDEX posts_group ON posts (group_id, id DESC) WHERE group_id IS NOT NULL;

ALTER TABLE notifications ADD COLUMN group_id bigint REFERENCES groups (account_id) ON DELETE CASCADE;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('mention', 'reply', 'like', 'boost', 'follow', 'group_request', 'group_approved', 'group_invite'));
DROP INDEX notifications_once;
CREATE UNIQUE INDEX notifications_once ON notifications (account_id, kind, from_id, coalesce(post_id, 0), coalesce(group_id, 0));
