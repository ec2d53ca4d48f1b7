-- Pinned posts of groups, members who asked to hear of every new post in a group, and
-- the notification of a rejected request.

ALTER TABLE group_members ADD COLUMN notify boolean NOT NULL DEFAULT false;

CREATE TABLE group_pins (
  group_id  bigint NOT NULL REFERENCES groups (account_id) ON DELETE CASCADE,
  post_id   bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  pinned_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, post_id)
);

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('mention', 'reply', 'like', 'boost', 'follow', 'group_request', 'group_approved', 'group_invite', 'group_post', 'group_rejected'));
