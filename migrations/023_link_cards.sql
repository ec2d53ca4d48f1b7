-- Link previews: a post's first link gets a card, fetched in the background and kept
-- once per URL for every post that links there. A post names its link (card_url) from
-- the start; the card row says whether the fetch is pending, done or failed, so a
-- preview never delays posting and a page is fetched once.
ALTER TABLE posts ADD COLUMN card_url text;

CREATE TABLE link_cards (
  url          text PRIMARY KEY CHECK (char_length(url) <= 2048),
  state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'ready', 'failed')),
  kind         text NOT NULL DEFAULT 'link',
  title        text NOT NULL DEFAULT '',
  description  text NOT NULL DEFAULT '',
  author_name  text NOT NULL DEFAULT '',
  provider     text NOT NULL DEFAULT '',
  fetched_url  text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  fetched_at   timestamptz
);
