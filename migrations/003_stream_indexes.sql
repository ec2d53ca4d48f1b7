-- Indexes for building streams at size (measured on 10,000 members and 1,000,000 posts
-- with ruche dev seed and ruche dev bench; see internal/postgres/timelines.go homeIDs).
--
-- A member's posts newest first, now carrying what the visibility gate reads of them,
-- so that reading someone's latest posts through the gate (the home stream of someone
-- who follows few people, a profile) stays an index-only scan, never a visit to every
-- row of the table. Same name and key as 002's, which it replaces.
DROP INDEX posts_account;
CREATE INDEX posts_account ON posts (account_id, id DESC) INCLUDE (visibility, reblog_of_id);
