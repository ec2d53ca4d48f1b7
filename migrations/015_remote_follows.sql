-- A remote account's membership of a shared group starts with a Follow activity; the
-- group's Accept or Reject must name it, so its id is kept with the membership.
ALTER TABLE group_members ADD COLUMN follow_id text;
