-- Every node keeps a read model of the hottest requests in memory (internal/postgres/hot.go):
-- bearer tokens, each reader's home stream and the facts the visibility rule reads
-- about them, and the posts on those streams. These triggers announce at commit, on the
-- channel ruche_cache, every change to what that read model holds, whatever code path
-- (or psql session) made it, so that no node serves what the database no longer says.
--
-- A reply's count on its parent is read through the rule, so a change to a reply's
-- mentions or visibility announces the parent too.
--
-- Payloads: '*' forget everything; 't' forget tokens; 'a:ID' an account's name or
-- presence changed; 'v:ID' what a reader follows, joins, likes or bookmarks changed;
-- 'p:ID' a post's counts, tags or pin changed; 'n:|u:|d:ID:AUTHOR:GROUP' a post was
-- written, edited or deleted; 'm:POST:ID' a post's mentions changed. A statement that
-- touches more than a thousand rows (a bulk load) says '*' instead.
CREATE FUNCTION cache_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ruche_cache', '*');
  RETURN NULL;
END
$$;

CREATE FUNCTION cache_announce() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  payload text;
BEGIN
  IF (SELECT count(*) FROM changed) > 1000 THEN
    PERFORM pg_notify('ruche_cache', '*');
    RETURN NULL;
  END IF;
  FOR payload IN EXECUTE TG_ARGV[0] LOOP
    PERFORM pg_notify('ruche_cache', payload);
  END LOOP;
  RETURN NULL;
END
$$;

CREATE TRIGGER oauth_tokens_cache AFTER DELETE ON oauth_tokens
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT ''t''');
CREATE TRIGGER oauth_apps_cache AFTER UPDATE ON oauth_apps
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT ''t''');

-- A role, a suspension or a group's kind changes what many readers may see or know.
CREATE TRIGGER users_update_cache AFTER UPDATE ON users FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER users_delete_cache AFTER DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER groups_update_cache AFTER UPDATE ON groups FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER groups_delete_cache AFTER DELETE ON groups FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER accounts_delete_cache AFTER DELETE ON accounts FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER accounts_update_cache AFTER UPDATE ON accounts
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''a:'' || id FROM changed');

CREATE TRIGGER follows_insert_cache AFTER INSERT ON follows
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''v:'' || follower_id FROM changed');
CREATE TRIGGER follows_delete_cache AFTER DELETE ON follows
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''v:'' || follower_id FROM changed');

CREATE TRIGGER group_members_insert_cache AFTER INSERT ON group_members
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''v:'' || account_id FROM changed');
CREATE TRIGGER group_members_update_cache AFTER UPDATE ON group_members
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''v:'' || account_id FROM changed');
CREATE TRIGGER group_members_delete_cache AFTER DELETE ON group_members
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''v:'' || account_id FROM changed');

CREATE TRIGGER likes_insert_cache AFTER INSERT ON likes
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce(
    'SELECT ''p:'' || post_id FROM changed UNION SELECT ''v:'' || account_id FROM changed');
CREATE TRIGGER likes_delete_cache AFTER DELETE ON likes
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce(
    'SELECT ''p:'' || post_id FROM changed UNION SELECT ''v:'' || account_id FROM changed');
CREATE TRIGGER bookmarks_insert_cache AFTER INSERT ON bookmarks
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''v:'' || account_id FROM changed');
CREATE TRIGGER bookmarks_delete_cache AFTER DELETE ON bookmarks
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''v:'' || account_id FROM changed');

CREATE TRIGGER post_tags_insert_cache AFTER INSERT ON post_tags
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''p:'' || post_id FROM changed');
CREATE TRIGGER post_tags_delete_cache AFTER DELETE ON post_tags
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''p:'' || post_id FROM changed');
CREATE TRIGGER group_pins_insert_cache AFTER INSERT ON group_pins
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''p:'' || post_id FROM changed');
CREATE TRIGGER group_pins_delete_cache AFTER DELETE ON group_pins
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce('SELECT DISTINCT ''p:'' || post_id FROM changed');

CREATE TRIGGER mentions_insert_cache AFTER INSERT ON mentions
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce(
    'SELECT ''m:'' || post_id || '':'' || account_id FROM changed
     UNION SELECT ''p:'' || p.in_reply_to_id FROM changed c JOIN posts p ON p.id = c.post_id WHERE p.in_reply_to_id IS NOT NULL');
CREATE TRIGGER mentions_delete_cache AFTER DELETE ON mentions
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce(
    'SELECT ''m:'' || post_id || '':'' || account_id FROM changed
     UNION SELECT ''p:'' || p.in_reply_to_id FROM changed c JOIN posts p ON p.id = c.post_id WHERE p.in_reply_to_id IS NOT NULL');

-- A post written, edited or deleted changes its author's, followers' and group's home
-- streams, and the counts of what it answers or boosts.
CREATE TRIGGER posts_insert_cache AFTER INSERT ON posts
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce(
    'SELECT ''n:'' || id || '':'' || account_id || '':'' || coalesce(group_id, 0) FROM changed
     UNION SELECT ''p:'' || coalesce(in_reply_to_id, reblog_of_id) FROM changed WHERE coalesce(in_reply_to_id, reblog_of_id) IS NOT NULL');
CREATE TRIGGER posts_update_cache AFTER UPDATE ON posts
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce(
    'SELECT ''u:'' || id || '':'' || account_id || '':'' || coalesce(group_id, 0) FROM changed
     UNION SELECT ''p:'' || in_reply_to_id FROM changed WHERE in_reply_to_id IS NOT NULL');
CREATE TRIGGER posts_delete_cache AFTER DELETE ON posts
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_announce(
    'SELECT ''d:'' || id || '':'' || account_id || '':'' || coalesce(group_id, 0) FROM changed
     UNION SELECT ''p:'' || coalesce(in_reply_to_id, reblog_of_id) FROM changed WHERE coalesce(in_reply_to_id, reblog_of_id) IS NOT NULL');

-- TRUNCATE (a restore, an operator) says nothing row by row: forget everything. Note
-- that session_replication_role = replica (pg_restore --disable-triggers) silences all
-- of these: restart the nodes after such a restore.
CREATE TRIGGER posts_truncate_cache AFTER TRUNCATE ON posts FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER accounts_truncate_cache AFTER TRUNCATE ON accounts FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER users_truncate_cache AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER follows_truncate_cache AFTER TRUNCATE ON follows FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER groups_truncate_cache AFTER TRUNCATE ON groups FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER group_members_truncate_cache AFTER TRUNCATE ON group_members FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER mentions_truncate_cache AFTER TRUNCATE ON mentions FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER likes_truncate_cache AFTER TRUNCATE ON likes FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER bookmarks_truncate_cache AFTER TRUNCATE ON bookmarks FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER post_tags_truncate_cache AFTER TRUNCATE ON post_tags FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER group_pins_truncate_cache AFTER TRUNCATE ON group_pins FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER oauth_tokens_truncate_cache AFTER TRUNCATE ON oauth_tokens FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
CREATE TRIGGER oauth_apps_truncate_cache AFTER TRUNCATE ON oauth_apps FOR EACH STATEMENT EXECUTE FUNCTION cache_forget();
