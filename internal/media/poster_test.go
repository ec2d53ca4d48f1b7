package media

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPosterWithoutFFmpeg(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := Poster(context.Background(), "/nonexistent.mp4"); !errors.Is(err, ErrNoVideoTool) {
		t.Errorf("err = %v, want %v", err, ErrNoVideoTool)
	}
}

// fakeFFmpeg puts a shell script named ffmpeg first on PATH; it records its arguments
// in args.txt next to it and then runs body.
func fakeFFmpeg(t *testing.T, body string) (argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args.txt")
	script := "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\" >> '" + argsFile + "'; done\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, "ffmpeg"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	return argsFile
}

func TestPosterRunsFFmpegSafely(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	jpg := filepath.Join(t.TempDir(), "frame.jpg")
	if err := os.WriteFile(jpg, readCorpus(t, "exif-gps.jpg"), 0o644); err != nil {
		t.Fatal(err)
	}
	argsFile := fakeFFmpeg(t, "exec /bin/cat '"+jpg+"'")
	got, err := Poster(context.Background(), "concat:/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, readCorpus(t, "exif-gps.jpg")) {
		t.Errorf("poster is not ffmpeg's output")
	}
	args, _ := os.ReadFile(argsFile)
	lines := strings.Split(strings.TrimSpace(string(args)), "\n")
	joined := " " + strings.Join(lines, " ") + " "
	for _, want := range []string{" -nostdin ", " -map_metadata -1 ", " -i file:concat:/etc/passwd ", " -frames:v 1 ", " pipe:1 "} {
		if !strings.Contains(joined, want) {
			t.Errorf("ffmpeg arguments %q lack %q", joined, want)
		}
	}
}

func TestPosterFailures(t *testing.T) {
	tests := []struct {
		name string
		body string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"ffmpeg fails", "echo 'Invalid data found' >&2; exit 1", nil, ErrCorrupt},
		{"ffmpeg writes nothing", "exit 0", nil, ErrCorrupt},
		{"caller gives up", "exec /bin/sleep 30", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeFFmpeg(t, tt.body)
			ctx, cancel := context.Background(), func() {}
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			if _, err := Poster(ctx, "video.mp4"); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestPosterWithFFmpeg needs a real ffmpeg, which the build machines need not have.
func TestPosterWithFFmpeg(t *testing.T) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	video := filepath.Join(t.TempDir(), "clip.mp4")
	gen := exec.Command(bin, "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
		"-t", "1", "-metadata", "location="+coords, "-pix_fmt", "yuv420p", video)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Skipf("ffmpeg cannot make a test clip: %v: %s", err, out)
	}
	got, err := Poster(context.Background(), video)
	if err != nil {
		t.Fatal(err)
	}
	m, err := jpeg.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatalf("poster is not a JPEG: %v", err)
	}
	if b := m.Bounds(); b.Dx() != 160 || b.Dy() != 120 {
		t.Errorf("poster is %v, want 160x120", b)
	}
	assertClean(t, "poster", got)
}
