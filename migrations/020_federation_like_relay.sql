-- Likes in a local shared group are relayed too: the group tells every partner with
-- members in it (the liked post's author among them, who is notified at home), so like
-- counts agree across instances. The liker may be local or a partner's member whose
-- Like arrived here. Likes given here in a partner's group still go to its home.
CREATE OR REPLACE FUNCTION federation_outbox_like() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  l likes;
  g bigint;
  ap text;
BEGIN
  IF TG_OP = 'DELETE' THEN l := OLD; ELSE l := NEW; END IF;
  SELECT p.group_id, p.ap_id INTO g, ap FROM posts p WHERE p.id = l.post_id;
  IF g IS NOT NULL AND (
       EXISTS (SELECT 1 FROM group_shares s WHERE s.group_id = g)
       OR (EXISTS (SELECT 1 FROM accounts ga WHERE ga.id = g AND ga.domain IS NOT NULL)
           AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = l.account_id AND a.domain IS NULL))) THEN
    INSERT INTO federation_outbox (post_id, group_id, author_id, kind, ap_id)
    VALUES (l.post_id, g, l.account_id, CASE TG_OP WHEN 'DELETE' THEN 'unlike' ELSE 'like' END, ap);
  END IF;
  RETURN NULL;
END $$;
