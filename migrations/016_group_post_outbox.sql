-- Posts of shared groups on the wire. A post received from a partner keeps its
-- ActivityPub id. What must leave about a group post is written by a trigger in the
-- post's own transaction, whatever code made the change, and drained into deliveries
-- by a job that asks the federation gate: a crash loses nothing, and no code path can
-- forget to tell the partners.
ALTER TABLE posts ADD COLUMN ap_id text;
CREATE UNIQUE INDEX posts_ap_id ON posts (ap_id) WHERE ap_id IS NOT NULL;

CREATE TABLE federation_outbox (
  id         bigint PRIMARY KEY DEFAULT next_id(),
  post_id    bigint NOT NULL,
  group_id   bigint NOT NULL,
  author_id  bigint NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('create', 'update', 'delete')),
  ap_id      text,            -- the post's own id when it came from a partner
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Which group posts concern partners: any post in a local group shared with someone,
-- and posts written here in a partner's group. (Posts that came from the partner's
-- group itself are not sent back.)
CREATE FUNCTION federation_outbox_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  p posts;
  kind text;
BEGIN
  IF TG_OP = 'DELETE' THEN p := OLD; kind := 'delete';
  ELSIF TG_OP = 'INSERT' THEN p := NEW; kind := 'create';
  ELSE p := NEW; kind := 'update';
  END IF;
  IF p.group_id IS NULL OR p.reblog_of_id IS NOT NULL THEN
    RETURN NULL;
  END IF;
  IF EXISTS (SELECT 1 FROM group_shares s WHERE s.group_id = p.group_id)
     OR (EXISTS (SELECT 1 FROM accounts g WHERE g.id = p.group_id AND g.domain IS NOT NULL)
         AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = p.account_id AND a.domain IS NULL)) THEN
    INSERT INTO federation_outbox (post_id, group_id, author_id, kind, ap_id)
    VALUES (p.id, p.group_id, p.account_id, kind, p.ap_id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER federation_outbox_insert AFTER INSERT ON posts FOR EACH ROW EXECUTE FUNCTION federation_outbox_post();
CREATE TRIGGER federation_outbox_delete AFTER DELETE ON posts FOR EACH ROW EXECUTE FUNCTION federation_outbox_post();
CREATE TRIGGER federation_outbox_update AFTER UPDATE ON posts FOR EACH ROW
  WHEN (OLD.html IS DISTINCT FROM NEW.html OR OLD.spoiler_text IS DISTINCT FROM NEW.spoiler_text)
  EXECUTE FUNCTION federation_outbox_post();
