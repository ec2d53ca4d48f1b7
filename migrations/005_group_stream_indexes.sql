-- Streams at size once a quarter of posts are in groups (measured on 10,000 members,
-- 500 groups and 1,000,000 posts with ruche dev seed and ruche dev bench).
--
-- The visibility gate reads a group post's group_id to ask whether the viewer is a
-- member. posts_account (003) carried everything else the gate reads, so reading a
-- member's newest posts through the gate (the home stream of someone who follows few
-- people, a profile) was an index-only scan; with group posts it became a visit to the
-- table for every post read, and the home stream's p95 went from 7 to 13 ms. Carrying
-- group_id too makes it index-only again. Same name and key, which it replaces.
DROP INDEX posts_account;
CREATE INDEX posts_account ON posts (account_id, id DESC) INCLUDE (visibility, reblog_of_id, group_id);
