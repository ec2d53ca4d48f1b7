-- Group posts now carry their group's shares (ruche.GroupRef.SharedWith): every post of
-- a shared group is marked with the partner instances that read it, so that people know
-- who reads what they write there. The read model (internal/postgres/hot.go) keeps those
-- posts in memory, so, unlike what migration 013 said when no node kept shares, sharing
-- and unsharing must be announced (migration 011) or a node would go on showing a newly
-- shared group's posts as unshared.
--
-- The payload is 'a:GROUP', as for a change of the group's name: the node forgets that
-- group's posts (and nothing else), which it reads again with their shares. Removing a
-- partner deletes its shares through the cascade, which fires these triggers too.
-- Sharing is rare; the announcement costs nothing when it does not happen.
CREATE TRIGGER group_shares_insert_cache AFTER INSERT ON group_shares
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''a:'' || group_id FROM changed');
CREATE TRIGGER group_shares_delete_cache AFTER DELETE ON group_shares
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''a:'' || group_id FROM changed');
-- Nothing updates a share (it is made and removed); should anything ever move one to
-- another group or domain, forget everything rather than announce one side only.
CREATE TRIGGER group_shares_update_cache AFTER UPDATE ON group_shares FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER group_shares_truncate_cache AFTER TRUNCATE ON group_shares FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
