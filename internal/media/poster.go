package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// PosterTimeout bounds one ffmpeg run when the caller's context has no earlier deadline.
const PosterTimeout = 30 * time.Second

const maxPosterBytes = 16 << 20

// Poster extracts the first frame of the video file at path as a JPEG, with ffmpeg,
// without its metadata. Any caller may use it; the caller should still pass the result
// through CleanImage for the thumbnail and blurhash. Errors: ErrNoVideoTool when ffmpeg
// is not on PATH (show a generic poster), ErrCorrupt when ffmpeg cannot read the file or
// produces nothing, context.DeadlineExceeded after PosterTimeout, or ctx's own error.
func Poster(ctx context.Context, path string) ([]byte, error) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, ErrNoVideoTool
	}
	ctx, cancel := context.WithTimeout(ctx, PosterTimeout)
	defer cancel()
	// "file:" keeps a path that looks like a protocol ("concat:", "http:") a path.
	cmd := exec.CommandContext(ctx, bin, "-nostdin", "-hide_banner", "-loglevel", "error",
		"-i", "file:"+path, "-map_metadata", "-1", "-an", "-frames:v", "1",
		"-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "3", "pipe:1")
	var out, stderr bytes.Buffer
	cmd.Stdout = &limitedBuffer{buf: &out, max: maxPosterBytes, fail: true}
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 4 << 10}
	err = cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil || out.Len() == 0 {
		return nil, fmt.Errorf("%w: ffmpeg: %v: %s", ErrCorrupt, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out.Bytes(), nil
}

var errPosterTooLarge = errors.New("media: poster output too large")

// limitedBuffer keeps at most max bytes of a child process's output. Past that, it fails
// the run (fail, for the image) or drops the rest (for the log).
type limitedBuffer struct {
	buf  *bytes.Buffer
	max  int
	fail bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); len(p) > room {
		if l.fail {
			return 0, errPosterTooLarge
		}
		l.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return l.buf.Write(p)
}
