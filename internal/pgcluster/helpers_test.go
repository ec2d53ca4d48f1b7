package pgcluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireServer skips the test when no PostgreSQL server is installed.
func requireServer(t *testing.T) string {
	t.Helper()
	bin, err := FindBinDir("")
	if err != nil {
		t.Skipf("no PostgreSQL server binaries: %v", err)
	}
	return bin
}

// baseDir returns a fresh directory the service account can traverse (the
// default 0700 of MkdirTemp would block it when the tests run as root).
func baseDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// deepDir returns a not yet existing cluster directory whose path is too long
// for a socket inside it.
func deepDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(baseDir(t), strings.Repeat("a", 40), strings.Repeat("b", 40), "pgdata")
	if len(dir) <= 110 {
		t.Fatalf("test dir %s is only %d bytes long", dir, len(dir))
	}
	t.Cleanup(func() { os.RemoveAll(socketDirFor(dir)) })
	return dir
}

// start starts a cluster and registers its Stop.
func start(t *testing.T, opts Options) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start(%s): %v", opts.Dir, err)
	}
	t.Cleanup(func() { stop(t, c) })
	return c
}

// stop stops c and fails the test on error.
func stop(t *testing.T, c *Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// psql runs sql on database postgres of c and returns its unaligned output.
func psql(t *testing.T, c *Cluster, sql string) string {
	t.Helper()
	bin := filepath.Join(requireServer(t), "psql")
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("psql"); err != nil {
			t.Skip("psql not installed")
		}
	}
	cmd := exec.Command(bin, "-X", "-v", "ON_ERROR_STOP=1", "-Atc", sql, c.ConnString("postgres"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

// waitGone waits up to 10 s for pid to exit.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if processGone(pid) {
			return
		}
	}
	t.Fatalf("process %d still running", pid)
}

// deadPid returns the pid of a process that has exited.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}
