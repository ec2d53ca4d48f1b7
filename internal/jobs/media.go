package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// MediaQueue runs media processing apart from the default queue: a few large videos
// must not hold up the purge, and cleaning an image holds it in memory, so only a few
// run at once on a node.
const MediaQueue = "media"

// MediaProcessArgs asks for an upload to be cleaned (ruche.Media.Process).
type MediaProcessArgs struct {
	MediaID int64 `json:"media_id"`
}

// Kind names the job in River's table.
func (MediaProcessArgs) Kind() string { return "media_process" }

// InsertOpts puts the job on the media queue; a failure of the store or the blob store
// is retried a few times (a file that cannot be cleaned is not a failure: the upload
// is marked failed).
func (MediaProcessArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: MediaQueue, MaxAttempts: 5}
}

// mediaProcessTimeout bounds one cleaning: a 100 MB video on a slow disk, with a
// poster frame.
const mediaProcessTimeout = 5 * time.Minute

type mediaProcessWorker struct {
	river.WorkerDefaults[MediaProcessArgs]
	media *ruche.Media
}

func (w *mediaProcessWorker) Timeout(*river.Job[MediaProcessArgs]) time.Duration {
	return mediaProcessTimeout
}

func (w *mediaProcessWorker) Work(ctx context.Context, job *river.Job[MediaProcessArgs]) error {
	return w.media.Process(ctx, job.Args.MediaID)
}

// MediaSweepArgs asks for stale uploads and the files of deleted ones to go.
type MediaSweepArgs struct{}

// Kind names the job in River's table.
func (MediaSweepArgs) Kind() string { return "media_sweep" }

type mediaSweepWorker struct {
	river.WorkerDefaults[MediaSweepArgs]
	media *ruche.Media
}

func (w *mediaSweepWorker) Work(ctx context.Context, _ *river.Job[MediaSweepArgs]) error {
	return w.media.Sweep(ctx)
}

// MediaSweepInterval is how often deleted files leave the blob store.
const MediaSweepInterval = 10 * time.Minute

// AddMedia registers the media workers and returns the sweep's periodic job. The
// client's Queues must include MediaQueue.
func AddMedia(workers *river.Workers, m *ruche.Media) *river.PeriodicJob {
	river.AddWorker(workers, &mediaProcessWorker{media: m})
	river.AddWorker(workers, &mediaSweepWorker{media: m})
	return river.NewPeriodicJob(river.PeriodicInterval(MediaSweepInterval),
		func() (river.JobArgs, *river.InsertOpts) { return MediaSweepArgs{}, nil },
		&river.PeriodicJobOpts{ID: "media_sweep", RunOnStart: true})
}

// InsertMediaProcessing queues the cleaning of upload mediaID, in tx.
func (q Inserter) InsertMediaProcessing(ctx context.Context, tx pgx.Tx, mediaID int64) error {
	_, err := q.Client.InsertTx(ctx, tx, MediaProcessArgs{MediaID: mediaID}, nil)
	return err
}
