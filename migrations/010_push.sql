-- Web Push for Mastodon apps: one subscription per access token, the instance's VAPID
-- key, and an outbox through which every notification of a subscribed member becomes
-- push jobs, even if the process dies between the notification and the jobs.

-- Revoking a token ends its subscription. id is the subscription's public id (Mastodon's
-- WebPushSubscription.id), renewed when the app replaces it, so that jobs queued for the
-- old endpoint do not go to the new one. Keys are base64url without padding.
CREATE TABLE push_subscriptions (
  token_id   bigint PRIMARY KEY REFERENCES oauth_tokens (id) ON DELETE CASCADE,
  id         bigint NOT NULL UNIQUE DEFAULT next_id(),
  account_id bigint NOT NULL REFERENCES users (account_id) ON DELETE CASCADE,
  endpoint   text NOT NULL CHECK (char_length(endpoint) BETWEEN 1 AND 2048),
  p256dh     text NOT NULL CHECK (p256dh ~ '^[A-Za-z0-9_-]{87}$'),
  auth       text NOT NULL CHECK (auth ~ '^[A-Za-z0-9_-]{22}$'),
  alerts     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(alerts) = 'object'),
  policy     text NOT NULL DEFAULT 'all' CHECK (policy IN ('all', 'followed', 'follower', 'none')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_subscriptions_account ON push_subscriptions (account_id);

-- The instance's VAPID key pair (RFC 8292), made once. At most one row.
CREATE TABLE vapid_key (
  singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  private_key bytea NOT NULL CHECK (length(private_key) = 32),
  public_key  bytea NOT NULL CHECK (length(public_key) = 65),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Notifications waiting to become push jobs. A trigger fills it in the transaction that
-- inserts the notification, whatever code path inserts it, and only for members with a
-- subscription; the job queue drains it (internal/jobs/push.go), inserting the jobs in
-- the transaction that deletes the rows. A withdrawn notification (an unlike) leaves
-- the outbox with it.
CREATE TABLE push_outbox (
  notification_id bigint PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION push_outbox_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO push_outbox (notification_id)
    SELECT i.id FROM inserted i
    WHERE EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.account_id = i.account_id)
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

-- Per statement, so that a new post notifying a whole group's members costs one insert.
CREATE TRIGGER notifications_push AFTER INSERT ON notifications
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION push_outbox_fill();
