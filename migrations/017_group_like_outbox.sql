-- Likes in a partner's group leave too: a like given here to a post of a partner's
-- group goes to that group's home, where the post's author is told. (The outbox row's
-- author_id is the one who likes.)
ALTER TABLE federation_outbox DROP CONSTRAINT federation_outbox_kind_check;
ALTER TABLE federation_outbox ADD CONSTRAINT federation_outbox_kind_check
  CHECK (kind IN ('create', 'update', 'delete', 'like', 'unlike'));

CREATE FUNCTION federation_outbox_like() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  l likes;
  g bigint;
  ap text;
BEGIN
  IF TG_OP = 'DELETE' THEN l := OLD; ELSE l := NEW; END IF;
  SELECT p.group_id, p.ap_id INTO g, ap FROM posts p WHERE p.id = l.post_id;
  IF g IS NOT NULL
     AND EXISTS (SELECT 1 FROM accounts ga WHERE ga.id = g AND ga.domain IS NOT NULL)
     AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = l.account_id AND a.domain IS NULL) THEN
    INSERT INTO federation_outbox (post_id, group_id, author_id, kind, ap_id)
    VALUES (l.post_id, g, l.account_id, CASE TG_OP WHEN 'DELETE' THEN 'unlike' ELSE 'like' END, ap);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER federation_outbox_like AFTER INSERT OR DELETE ON likes FOR EACH ROW EXECUTE FUNCTION federation_outbox_like();
