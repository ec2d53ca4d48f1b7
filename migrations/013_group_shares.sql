-- Shared groups: a group opened, on purpose, to named partner instances (issue 7). A
-- row here is what lets anything of the group leave this instance toward that partner;
-- with no row, the group stays inside like any other. Only open and closed groups are
-- shared: the use cases refuse a secret one, and the store refuses to make a shared
-- group secret.
--
-- Removing a partner removes its shares (ON DELETE CASCADE): a partner added again
-- later sees nothing until someone shares a group with it anew. Suspending a partner
-- keeps them: federation with it pauses as a whole.
--
-- No cache trigger (migration 011): no node keeps groups or their shares in memory.
-- The read model holds posts and readers' memberships, which sharing does not change;
-- pages read a group, with its shares, from SQL each time.
CREATE TABLE group_shares (
  group_id   bigint NOT NULL REFERENCES groups (account_id) ON DELETE CASCADE,
  domain     text NOT NULL REFERENCES partners (domain) ON DELETE CASCADE,
  shared_by  bigint REFERENCES accounts (id) ON DELETE SET NULL, -- NULL: the operator console, or since deleted
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, domain)
);
-- Federation asks by partner: which groups does this requesting instance see (its
-- WebFinger and fetches), and removing a partner deletes its rows through the cascade,
-- which without this index would scan the whole table.
CREATE INDEX group_shares_domain ON group_shares (domain);
