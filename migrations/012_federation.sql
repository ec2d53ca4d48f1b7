-- Federation: partner instances, actors' keys, remote actors, activities in and out.
-- Delivery and inbound processing are River jobs (river_job); these tables hold what
-- the jobs point at, so a job carries ids, never documents.

-- The instances an admin chose to talk to. Nothing is fetched from or sent to any
-- other host; a signature from any other host is refused before anything is fetched.
CREATE TABLE partners (
  domain     text PRIMARY KEY CHECK (domain = lower(domain) AND domain <> ''), -- host[:port]
  state      text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended')),
  note       text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Key pairs of local actors, made on first need. actor is 'instance', 'user:<id>' or
-- 'group:<id>'. The private key is sealed (AES-256-GCM) under RUCHE_SECRET_KEY; a
-- database dump alone does not let anyone sign as Ruche.
CREATE TABLE actor_keys (
  actor          text PRIMARY KEY,
  public_pem     text NOT NULL,
  private_sealed bytea NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Remote actors and their keys, as last fetched. A signature that fails with the
-- cached key makes Ruche fetch the actor again once (key rotation).
CREATE TABLE remote_actors (
  iri          text PRIMARY KEY,
  host         text NOT NULL,
  key_id       text NOT NULL,
  public_pem   text NOT NULL,
  inbox        text NOT NULL,
  shared_inbox text NOT NULL DEFAULT '',
  document     jsonb NOT NULL,
  fetched_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX remote_actors_key_id ON remote_actors (key_id);
CREATE INDEX remote_actors_host ON remote_actors (host);

-- Activities Ruche sent, exactly as signed and delivered (body is the bytes whose
-- digest goes out), and served back in the actor's outbox.
CREATE TABLE outgoing_activities (
  id         bigint PRIMARY KEY DEFAULT next_id(),
  iri        text NOT NULL UNIQUE,
  actor      text NOT NULL,
  body       bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outgoing_activities_actor ON outgoing_activities (actor, id DESC);

-- Activities received, one row per activity id: a second delivery of the same
-- activity finds its row and makes no second job, so processing happens once.
CREATE TABLE incoming_activities (
  id           bigint PRIMARY KEY DEFAULT next_id(),
  iri          text NOT NULL UNIQUE,
  actor        text NOT NULL,
  host         text NOT NULL,
  type         text NOT NULL,
  body         bytea NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE INDEX incoming_activities_received ON incoming_activities (received_at);
