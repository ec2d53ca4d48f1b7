package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

var _ ruche.CardStore = (*Store)(nil)

// wantCard makes sure url's card is known or on its way: the first post to link there
// queues its fetch, in its own transaction.
func (s *Store) wantCard(ctx context.Context, tx pgx.Tx, url string) error {
	if url == "" {
		return nil
	}
	tag, err := tx.Exec(ctx, `INSERT INTO link_cards (url) VALUES ($1) ON CONFLICT DO NOTHING`, url)
	if err != nil || tag.RowsAffected() == 0 || s.queue == nil {
		return err
	}
	return s.queue.InsertCardFetch(ctx, tx, url)
}

// SaveCard records url's card, or (c nil) that the page gives none. Posts that link
// there show it from their next read; live streams hear of them.
func (s *Store) SaveCard(ctx context.Context, url string, c *ruche.LinkCard) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if c == nil {
			_, err = tx.Exec(ctx, `UPDATE link_cards SET state = 'failed', fetched_at = now() WHERE url = $1`, url)
			return err
		}
		if _, err = tx.Exec(ctx, `UPDATE link_cards SET state = 'ready', kind = $2, title = left($3, 300), description = left($4, 1000),
				author_name = left($5, 300), provider = left($6, 300), fetched_at = now() WHERE url = $1`,
			url, c.Kind, c.Title, c.Description, c.AuthorName, c.Provider); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, id::text) FROM posts WHERE card_url = $2 AND created_at > now() - interval '1 day'`,
			channelPosts, url)
		return err
	})
}

// scanCard reads postSelect's card column.
func scanCard(raw []byte) (*ruche.LinkCard, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var c struct {
		URL, Kind, Title, Description, Author, Provider string
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return &ruche.LinkCard{URL: c.URL, Kind: c.Kind, Title: c.Title, Description: c.Description, AuthorName: c.Author, Provider: c.Provider}, nil
}
