-- Media: photos, videos, audio and files attached to posts. An upload is a row from
-- the start (processing, then ready or failed); its bytes live in the blob store under
-- keys the server makes. A row is attached to at most one post, by its author, and
-- goes with it: deleting the post (or the row, for an upload never attached within a
-- day) leaves its keys in media_garbage, which a job empties from the blob store. So
-- no file outlives what it belonged to, and a crash between the two steps only delays
-- the cleanup.
CREATE TABLE media (
  id           bigint PRIMARY KEY DEFAULT next_id(),
  account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  post_id      bigint REFERENCES posts (id) ON DELETE CASCADE,
  position     smallint NOT NULL DEFAULT 0,
  state        text NOT NULL DEFAULT 'processing' CHECK (state IN ('processing', 'ready', 'failed')),
  kind         text NOT NULL CHECK (kind IN ('image', 'gifv', 'video', 'audio', 'file')),
  mime         text NOT NULL,
  file_name    text NOT NULL DEFAULT '' CHECK (char_length(file_name) <= 255),
  size         bigint NOT NULL DEFAULT 0,
  raw_key      text,           -- the upload as received, until processed
  key          text,           -- the clean file
  thumb_key    text,
  width        integer NOT NULL DEFAULT 0,
  height       integer NOT NULL DEFAULT 0,
  thumb_width  integer NOT NULL DEFAULT 0,
  thumb_height integer NOT NULL DEFAULT 0,
  duration_ms  integer NOT NULL DEFAULT 0,
  blurhash     text NOT NULL DEFAULT '',
  focus_x      real NOT NULL DEFAULT 0 CHECK (focus_x BETWEEN -1 AND 1),
  focus_y      real NOT NULL DEFAULT 0 CHECK (focus_y BETWEEN -1 AND 1),
  description  text NOT NULL DEFAULT '' CHECK (char_length(description) <= 1500),
  error        text NOT NULL DEFAULT '',   -- a message key, when failed
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_post ON media (post_id, position) WHERE post_id IS NOT NULL;
CREATE INDEX media_unattached ON media (created_at) WHERE post_id IS NULL;
CREATE INDEX media_account ON media (account_id);

CREATE TABLE media_garbage (
  key        text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION media_garbage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO media_garbage (key)
  SELECT k FROM unnest(ARRAY[OLD.raw_key, OLD.key, OLD.thumb_key]) k WHERE k IS NOT NULL
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER media_garbage AFTER DELETE ON media FOR EACH ROW EXECUTE FUNCTION media_garbage();
