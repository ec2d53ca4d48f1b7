package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

var _ ruche.MediaStore = (*Store)(nil)

// attachmentJSON is a row of postSelect's media column.
type attachmentJSON struct {
	ID   int64     `json:"id"`
	Kind string    `json:"kind"`
	MIME string    `json:"mime"`
	Name string    `json:"name"`
	Size int64     `json:"size"`
	W    int       `json:"w"`
	H    int       `json:"h"`
	TW   int       `json:"tw"`
	TH   int       `json:"th"`
	MS   int64     `json:"ms"`
	BH   string    `json:"bh"`
	FX   float64   `json:"fx"`
	FY   float64   `json:"fy"`
	Alt  string    `json:"alt"`
	At   time.Time `json:"at"`
}

// scanAttachments reads postSelect's media column: the post's attachments, in order.
// Only ready uploads are ever attached.
func scanAttachments(raw []byte, postID, authorID int64) ([]ruche.Attachment, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var rows []attachmentJSON
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, err
	}
	out := make([]ruche.Attachment, len(rows))
	for i, r := range rows {
		out[i] = ruche.Attachment{ID: r.ID, AccountID: authorID, PostID: postID, Kind: ruche.MediaKind(r.Kind), State: ruche.MediaReady,
			MIME: r.MIME, Inline: ruche.InlineMIME(r.MIME), Name: r.Name, Size: r.Size, Width: r.W, Height: r.H,
			ThumbWidth: r.TW, ThumbHeight: r.TH, Duration: time.Duration(r.MS) * time.Millisecond, Blurhash: r.BH,
			FocusX: r.FX, FocusY: r.FY, Description: r.Alt, CreatedAt: r.At}
	}
	return out, nil
}

const mediaColumns = `id, account_id, coalesce(post_id, 0), kind, state, error, mime, file_name, size, width, height,
	thumb_width, thumb_height, duration_ms, blurhash, focus_x, focus_y, description, created_at,
	coalesce(raw_key, ''), coalesce(key, ''), coalesce(thumb_key, '')`

func scanMedia(row pgx.CollectableRow) (ruche.MediaRecord, error) {
	var m ruche.MediaRecord
	var ms int64
	err := row.Scan(&m.ID, &m.AccountID, &m.PostID, &m.Kind, &m.State, &m.Error, &m.MIME, &m.Name, &m.Size, &m.Width, &m.Height,
		&m.ThumbWidth, &m.ThumbHeight, &ms, &m.Blurhash, &m.FocusX, &m.FocusY, &m.Description, &m.CreatedAt,
		&m.RawKey, &m.Key, &m.ThumbKey)
	m.Duration = time.Duration(ms) * time.Millisecond
	m.Inline = ruche.InlineMIME(m.MIME)
	return m, err
}

// CreateMedia records an upload and, for one still to process, queues its job in the
// same transaction, so that no upload is left unprocessed.
func (s *Store) CreateMedia(ctx context.Context, m ruche.MediaRecord) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO media (account_id, state, kind, mime, file_name, size, raw_key, key, thumb_key,
				width, height, thumb_width, thumb_height, duration_ms, blurhash, focus_x, focus_y, description)
			VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), nullif($8, ''), nullif($9, ''), $10, $11, $12, $13, $14, $15, $16, $17, $18)
			RETURNING id`,
			m.AccountID, m.State, m.Kind, m.MIME, m.Name, m.Size, m.RawKey, m.Key, m.ThumbKey, m.Width, m.Height,
			m.ThumbWidth, m.ThumbHeight, m.Duration.Milliseconds(), m.Blurhash, m.FocusX, m.FocusY, m.Description).Scan(&id)
		if err != nil {
			return interpret(err)
		}
		if m.State != ruche.MediaProcessing {
			return nil
		}
		if s.queue == nil {
			return errors.New("postgres: no job queue for media processing")
		}
		return s.queue.InsertMediaProcessing(ctx, tx, id)
	})
	return id, err
}

// Media returns an upload by id, whoever owns it.
func (s *Store) Media(ctx context.Context, id int64) (ruche.MediaRecord, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+mediaColumns+` FROM media WHERE id = $1`, id)
	m, err := pgx.CollectExactlyOneRow(rows, scanMedia)
	return m, interpret(err)
}

// MediaProcessed records the outcome of processing: the clean file's keys and facts
// (state ready), or the message key of the failure (state failed). Either way the raw
// upload's key goes to the garbage, in the same transaction. A row no longer
// processing (deleted, or done by another worker) is left alone: ErrNotFound.
func (s *Store) MediaProcessed(ctx context.Context, m ruche.MediaRecord) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var raw *string
		err := tx.QueryRow(ctx, `SELECT raw_key FROM media WHERE id = $1 AND state = 'processing' FOR UPDATE`, m.ID).Scan(&raw)
		if err != nil {
			return interpret(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE media SET state = $2, error = $3, mime = $4, size = $5, key = nullif($6, ''),
				thumb_key = nullif($7, ''), width = $8, height = $9, thumb_width = $10, thumb_height = $11, duration_ms = $12,
				blurhash = $13, kind = $14, raw_key = NULL WHERE id = $1`,
			m.ID, m.State, m.Error, m.MIME, m.Size, m.Key, m.ThumbKey, m.Width, m.Height, m.ThumbWidth, m.ThumbHeight,
			m.Duration.Milliseconds(), m.Blurhash, m.Kind); err != nil {
			return interpret(err)
		}
		if raw != nil {
			_, err = tx.Exec(ctx, `INSERT INTO media_garbage (key) VALUES ($1) ON CONFLICT DO NOTHING`, *raw)
		}
		return err
	})
}

// DescribeMedia sets an unattached upload's alt text and focal point; ErrNotFound if
// it is not accountID's or is attached already.
func (s *Store) DescribeMedia(ctx context.Context, accountID, id int64, description string, fx, fy float64) error {
	tag, err := s.pool.Exec(ctx, `UPDATE media SET description = $3, focus_x = $4, focus_y = $5
		WHERE id = $1 AND account_id = $2 AND post_id IS NULL`, id, accountID, description, fx, fy)
	if err == nil && tag.RowsAffected() == 0 {
		return ruche.ErrNotFound
	}
	return interpret(err)
}

// attachMedia attaches the uploads ids, in that order, to post id: each must be the
// author's, ready, and not attached yet, or nothing is (CodeInvalid).
func attachMedia(ctx context.Context, tx pgx.Tx, postID, authorID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	tag, err := tx.Exec(ctx, `UPDATE media m SET post_id = $1, position = o.n
		FROM unnest($3::bigint[]) WITH ORDINALITY AS o(id, n)
		WHERE m.id = o.id AND m.account_id = $2 AND m.post_id IS NULL AND m.state = 'ready'
			AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.avatar_media_id = m.id OR a.header_media_id = m.id)`, postID, authorID, ids)
	if err != nil {
		return err
	}
	if int(tag.RowsAffected()) != len(ids) {
		return ruche.Errorf(ruche.CodeInvalid, "error.media_not_attachable")
	}
	return nil
}

// SetPicture makes upload mediaID (0: none) accountID's avatar or header; the one it
// replaces becomes stale, and is swept with its files.
func (s *Store) SetPicture(ctx context.Context, accountID int64, which ruche.Picture, mediaID int64) error {
	column := "avatar_media_id"
	if which == ruche.PictureHeader {
		column = "header_media_id"
	}
	tag, err := s.pool.Exec(ctx, `UPDATE accounts SET `+column+` = $2 WHERE id = $1`, accountID, nullID(mediaID))
	if err == nil && tag.RowsAffected() == 0 {
		return ruche.ErrNotFound
	}
	return interpret(err)
}

// MediaToAttach returns accountID's uploads ids, in that order, for a post's checks;
// ErrNotFound if one is not theirs.
func (s *Store) MediaToAttach(ctx context.Context, accountID int64, ids []int64) ([]ruche.MediaRecord, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+mediaColumns+` FROM media WHERE id = ANY($1) AND account_id = $2`, ids, accountID)
	found, err := pgx.CollectRows(rows, scanMedia)
	if err != nil {
		return nil, err
	}
	byID := map[int64]ruche.MediaRecord{}
	for _, m := range found {
		byID[m.ID] = m
	}
	out := make([]ruche.MediaRecord, 0, len(ids))
	for _, id := range ids {
		m, ok := byID[id]
		if !ok {
			return nil, ruche.ErrNotFound
		}
		out = append(out, m)
	}
	return out, nil
}

// DeleteUpload deletes accountID's upload id if it is not attached to a post nor a
// picture (its files go to the garbage); ErrNotFound otherwise.
func (s *Store) DeleteUpload(ctx context.Context, accountID, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM media m WHERE m.id = $1 AND m.account_id = $2 AND m.post_id IS NULL
		AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.avatar_media_id = m.id OR a.header_media_id = m.id)`, id, accountID)
	if err == nil && tag.RowsAffected() == 0 {
		return ruche.ErrNotFound
	}
	return err
}

// DeleteStaleMedia deletes uploads never attached within maxAge (their keys go to the
// garbage), and returns how many.
func (s *Store) DeleteStaleMedia(ctx context.Context, maxAge time.Duration) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM media m WHERE m.post_id IS NULL AND m.created_at < now() - $1::interval
		AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.avatar_media_id = m.id OR a.header_media_id = m.id)`, maxAge)
	return int(tag.RowsAffected()), err
}

// MediaGarbage returns up to limit blob keys to delete.
func (s *Store) MediaGarbage(ctx context.Context, limit int) ([]string, error) {
	rows, _ := s.pool.Query(ctx, `SELECT key FROM media_garbage ORDER BY created_at LIMIT $1`, limit)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ForgetMediaGarbage drops keys whose blobs are deleted.
func (s *Store) ForgetMediaGarbage(ctx context.Context, keys []string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM media_garbage WHERE key = ANY($1)`, keys)
	return err
}
