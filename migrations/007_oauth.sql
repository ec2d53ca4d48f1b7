-- OAuth 2 for the Mastodon client API: registered applications, one-use authorization
-- codes, and access tokens. Secrets, codes and tokens are stored as SHA-256 hashes only.

CREATE TABLE oauth_apps (
  id                 bigint PRIMARY KEY DEFAULT next_id(),
  client_id          text NOT NULL UNIQUE,
  client_secret_hash bytea NOT NULL,
  name               text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  website            text NOT NULL DEFAULT '' CHECK (char_length(website) <= 2000),
  redirect_uris      text[] NOT NULL,
  scopes             text[] NOT NULL,
  -- Set for an application a member made for their own scripts (the web UI's
  -- "Development" page, or `ruche token create`); NULL for apps registered by clients.
  owner_id           bigint REFERENCES users (account_id) ON DELETE CASCADE,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_apps_owner ON oauth_apps (owner_id) WHERE owner_id IS NOT NULL;

CREATE TABLE oauth_codes (
  code_hash      bytea PRIMARY KEY,
  app_id         bigint NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
  account_id     bigint NOT NULL REFERENCES users (account_id) ON DELETE CASCADE,
  scopes         text[] NOT NULL,
  redirect_uri   text NOT NULL,
  code_challenge text NOT NULL DEFAULT '',
  expires_at     timestamptz NOT NULL
);

CREATE TABLE oauth_tokens (
  id           bigint PRIMARY KEY DEFAULT next_id(),
  token_hash   bytea NOT NULL UNIQUE,
  app_id       bigint NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
  -- NULL for a client_credentials token: the application itself, nobody's account.
  account_id   bigint REFERENCES users (account_id) ON DELETE CASCADE,
  scopes       text[] NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_tokens_account ON oauth_tokens (account_id, app_id);
CREATE INDEX oauth_tokens_app ON oauth_tokens (app_id);
