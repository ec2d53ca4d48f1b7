package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// CardFetchArgs asks for the preview of a link (ruche.Previews.Fetch).
type CardFetchArgs struct {
	URL string `json:"url"`
}

// Kind names the job in River's table.
func (CardFetchArgs) Kind() string { return "card_fetch" }

// InsertOpts: a page that does not answer is tried again a couple of times, then the
// post simply shows no card.
func (CardFetchArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

type cardFetchWorker struct {
	river.WorkerDefaults[CardFetchArgs]
	previews *ruche.Previews
}

// Timeout bounds a fetch beyond the fetcher's own limit.
func (w *cardFetchWorker) Timeout(*river.Job[CardFetchArgs]) time.Duration { return 30 * time.Second }

func (w *cardFetchWorker) Work(ctx context.Context, job *river.Job[CardFetchArgs]) error {
	return w.previews.Fetch(ctx, job.Args.URL)
}

// AddPreviews registers the link preview worker (default queue).
func AddPreviews(workers *river.Workers, p *ruche.Previews) {
	river.AddWorker(workers, &cardFetchWorker{previews: p})
}

// InsertCardFetch queues the fetch of url's preview, in tx.
func (q Inserter) InsertCardFetch(ctx context.Context, tx pgx.Tx, url string) error {
	_, err := q.Client.InsertTx(ctx, tx, CardFetchArgs{URL: url}, nil)
	return err
}
