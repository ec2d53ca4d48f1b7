-- Pictures of members and groups: an avatar and a header image, each an upload made
-- through the same pipeline as a post's photos. An upload in use as a picture is not
-- stale; a replaced one is, and is swept with its files.
ALTER TABLE accounts ADD COLUMN avatar_media_id bigint REFERENCES media (id) ON DELETE SET NULL;
ALTER TABLE accounts ADD COLUMN header_media_id bigint REFERENCES media (id) ON DELETE SET NULL;
CREATE INDEX accounts_avatar ON accounts (avatar_media_id) WHERE avatar_media_id IS NOT NULL;
CREATE INDEX accounts_header ON accounts (header_media_id) WHERE header_media_id IS NOT NULL;
