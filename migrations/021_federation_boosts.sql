-- Boosts inside a shared group travel like likes: a boost given here to a post of a
-- partner's group goes to the group's home (Announce), and a local shared group relays
-- every boost in it to the partners with members there. A boost of a group post is a
-- row of that group (its group_id), which the post trigger now looks at: the outbox
-- row names the boosted post and, as author, the one who boosts.
ALTER TABLE federation_outbox DROP CONSTRAINT federation_outbox_kind_check;
ALTER TABLE federation_outbox ADD CONSTRAINT federation_outbox_kind_check
  CHECK (kind IN ('create', 'update', 'delete', 'like', 'unlike', 'boost', 'unboost'));

CREATE OR REPLACE FUNCTION federation_outbox_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  p posts;
  kind text;
  pid bigint;
  ap text;
BEGIN
  IF TG_OP = 'DELETE' THEN p := OLD; kind := 'delete';
  ELSIF TG_OP = 'INSERT' THEN p := NEW; kind := 'create';
  ELSE p := NEW; kind := 'update';
  END IF;
  IF p.group_id IS NULL THEN
    RETURN NULL;
  END IF;
  pid := p.id;
  ap := p.ap_id;
  IF p.reblog_of_id IS NOT NULL THEN
    IF kind = 'update' THEN
      RETURN NULL;
    END IF;
    -- A boost whose post is gone (deleted with it) needs no telling: the post's
    -- delete says it all.
    SELECT o.id, o.ap_id INTO pid, ap FROM posts o WHERE o.id = p.reblog_of_id;
    IF pid IS NULL THEN
      RETURN NULL;
    END IF;
    kind := CASE kind WHEN 'create' THEN 'boost' ELSE 'unboost' END;
  END IF;
  IF EXISTS (SELECT 1 FROM group_shares s WHERE s.group_id = p.group_id)
     OR (EXISTS (SELECT 1 FROM accounts g WHERE g.id = p.group_id AND g.domain IS NOT NULL)
         AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = p.account_id AND a.domain IS NULL)) THEN
    INSERT INTO federation_outbox (post_id, group_id, author_id, kind, ap_id)
    VALUES (pid, p.group_id, p.account_id, kind, ap);
  END IF;
  RETURN NULL;
END $$;
