-- Posts, follows, likes, boosts, bookmarks, mentions, tags, edits, notifications,
-- presence and profiles.

ALTER TABLE accounts
  ADD COLUMN job_title           text NOT NULL DEFAULT '' CHECK (char_length(job_title) <= 100),
  ADD COLUMN department          text NOT NULL DEFAULT '' CHECK (char_length(department) <= 100),
  ADD COLUMN location            text NOT NULL DEFAULT '' CHECK (char_length(location) <= 100),
  ADD COLUMN bio                 text NOT NULL DEFAULT '' CHECK (char_length(bio) <= 2000),
  ADD COLUMN presence_emoji      text NOT NULL DEFAULT '' CHECK (char_length(presence_emoji) <= 16),
  ADD COLUMN presence_text       text NOT NULL DEFAULT '' CHECK (char_length(presence_text) <= 100),
  ADD COLUMN presence_expires_at timestamptz;

-- A post, or a boost (reblog_of_id set, no text). Boosts are rows of their own because
-- apps expect a boost to have its own id. in_reply_to_id has no foreign key: a reply
-- keeps pointing at its parent after the parent is deleted (the thread shows a gap).
CREATE TABLE posts (
  id                     bigint PRIMARY KEY DEFAULT next_id(),
  account_id             bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  visibility             text NOT NULL CHECK (visibility IN ('company', 'quiet', 'followers', 'direct')),
  in_reply_to_id         bigint,
  in_reply_to_account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
  reblog_of_id           bigint REFERENCES posts (id) ON DELETE CASCADE,
  source                 text NOT NULL DEFAULT '' CHECK (char_length(source) <= 5000),
  html                   text NOT NULL DEFAULT '',
  spoiler_text           text NOT NULL DEFAULT '' CHECK (char_length(spoiler_text) <= 500),
  event_title            text,
  event_start            timestamptz,
  event_end              timestamptz,
  event_place            text,
  created_at             timestamptz NOT NULL DEFAULT now(),
  edited_at              timestamptz,
  CHECK (event_title IS NULL OR event_start IS NOT NULL),
  CHECK (event_end IS NULL OR event_end >= event_start)
);
CREATE INDEX posts_account ON posts (account_id, id DESC);
CREATE INDEX posts_company ON posts (id DESC) WHERE visibility = 'company' AND reblog_of_id IS NULL;
CREATE INDEX posts_reply ON posts (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;
CREATE UNIQUE INDEX posts_one_boost ON posts (account_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL;
CREATE INDEX posts_boosts_of ON posts (reblog_of_id) WHERE reblog_of_id IS NOT NULL;
CREATE INDEX posts_events ON posts (event_start) WHERE event_start IS NOT NULL;

-- A deleted post leaves its id and time, so others can be told and a re-fetch says gone.
CREATE TABLE tombstones (
  id         bigint PRIMARY KEY,
  account_id bigint NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE post_edits (
  id           bigint PRIMARY KEY DEFAULT next_id(),
  post_id      bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  source       text NOT NULL,
  html         text NOT NULL,
  spoiler_text text NOT NULL,
  created_at   timestamptz NOT NULL
);
CREATE INDEX post_edits_post ON post_edits (post_id, id);

CREATE TABLE mentions (
  post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, account_id)
);
CREATE INDEX mentions_account ON mentions (account_id, post_id DESC);

CREATE TABLE tags (
  id   bigint PRIMARY KEY DEFAULT next_id(),
  name text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 100)
);
CREATE TABLE post_tags (
  post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  tag_id  bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (tag_id, post_id)
);
CREATE INDEX post_tags_post ON post_tags (post_id);

CREATE TABLE follows (
  follower_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  followee_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (follower_id, followee_id),
  CHECK (follower_id <> followee_id)
);
CREATE INDEX follows_followee ON follows (followee_id, follower_id);

CREATE TABLE likes (
  post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (post_id, account_id)
);
CREATE INDEX likes_account ON likes (account_id, post_id);

CREATE TABLE bookmarks (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  id         bigint NOT NULL DEFAULT next_id(),
  PRIMARY KEY (account_id, post_id)
);
CREATE INDEX bookmarks_order ON bookmarks (account_id, id DESC);

CREATE TABLE notifications (
  id           bigint PRIMARY KEY DEFAULT next_id(),
  account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('mention', 'reply', 'like', 'boost', 'follow')),
  from_id      bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  post_id      bigint REFERENCES posts (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  read_at      timestamptz
);
CREATE INDEX notifications_account ON notifications (account_id, id DESC);
CREATE INDEX notifications_unread ON notifications (account_id) WHERE read_at IS NULL;
CREATE UNIQUE INDEX notifications_once ON notifications (account_id, kind, from_id, coalesce(post_id, 0));
