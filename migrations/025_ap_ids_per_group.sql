-- A partner's post is kept once per group that brought it: a hostile partner's group
-- that announced another group's post first (under its own group) cannot make the
-- real one be dropped as a copy. Tombstones are per group too; group 0 stands for a
-- deletion by the author's own instance, which counts in every group.
DROP INDEX posts_ap_id;
CREATE UNIQUE INDEX posts_ap_id ON posts (ap_id, group_id) WHERE ap_id IS NOT NULL;

ALTER TABLE ap_tombstones ADD COLUMN group_id bigint NOT NULL DEFAULT 0;
ALTER TABLE ap_tombstones DROP CONSTRAINT ap_tombstones_pkey;
ALTER TABLE ap_tombstones ADD PRIMARY KEY (ap_id, group_id);
