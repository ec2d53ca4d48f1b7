-- Foundation: accounts, members, sessions, invites, sign-in limits, audit log.

-- Time-ordered 64-bit ids: milliseconds since the Unix epoch in the high bits and a
-- sequence in the low 16, so ids sort by creation time (streams paginate on them) yet
-- never collide between nodes sharing this database.
CREATE SEQUENCE id_seq;
CREATE FUNCTION next_id() RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint << 16)
         | (nextval('id_seq') & 65535)
$$;

-- An account is anyone who can appear in a stream. domain is NULL for members of this
-- instance and the partner's host for people on partner instances, so follows, likes and
-- mentions can point at either without a later migration.
CREATE TABLE accounts (
  id           bigint PRIMARY KEY DEFAULT next_id(),
  username     text NOT NULL CHECK (username ~ '^[a-z0-9_]{1,30}$' OR domain IS NOT NULL),
  domain       text,
  display_name text NOT NULL DEFAULT '' CHECK (char_length(display_name) <= 100),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_username_domain ON accounts (lower(username), coalesce(lower(domain), ''));

-- A user is a local account that can sign in.
CREATE TABLE users (
  account_id    bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  email         text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'moderator', 'member', 'guest')),
  locale        text NOT NULL DEFAULT '',
  suspended_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- Sessions are looked up by the SHA-256 of the cookie's token, so a copy of this table
-- does not let anyone sign in.
CREATE TABLE sessions (
  token_hash   bytea PRIMARY KEY,
  account_id   bigint NOT NULL REFERENCES users (account_id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  user_agent   text NOT NULL DEFAULT '',
  ip           text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The one-time link that lets the first person create the owner account. At most one row.
CREATE TABLE setup_tokens (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  token_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE TABLE invites (
  id          bigint PRIMARY KEY DEFAULT next_id(),
  token_hash  bytea NOT NULL UNIQUE,
  created_by  bigint REFERENCES users (account_id) ON DELETE SET NULL,
  role        text NOT NULL CHECK (role IN ('member', 'guest')),
  max_uses    integer NOT NULL CHECK (max_uses BETWEEN 1 AND 1000),
  uses        integer NOT NULL DEFAULT 0 CHECK (uses <= max_uses),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Failed sign-ins per key ("ip:…", "account:…") in a fixed window. Kept in PostgreSQL so
-- the limit holds across every node behind a load balancer.
CREATE TABLE signin_failures (
  key          text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  failures     integer NOT NULL
);

-- Every administrative change, written in the same transaction as the change itself.
CREATE TABLE audit_log (
  id         bigint PRIMARY KEY DEFAULT next_id(),
  at         timestamptz NOT NULL DEFAULT now(),
  actor_id   bigint REFERENCES accounts (id) ON DELETE SET NULL,
  action     text NOT NULL,
  target_id  bigint REFERENCES accounts (id) ON DELETE SET NULL,
  detail     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
