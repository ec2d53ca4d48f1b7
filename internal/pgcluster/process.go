package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	// shmemBusy is logged when backends of a killed postmaster still hold
	// its shared memory; they exit shortly, so starting again succeeds.
	shmemBusy      = "pre-existing shared memory block"
	shmemRetryFor  = 15 * time.Second
	fastStopWait   = 10 * time.Second // before escalating to immediate shutdown
	maxLogSize     = 16 << 20         // rotate postgres.log beyond this at start
	readyPollEvery = 50 * time.Millisecond
)

var errShmemBusy = errors.New("processes of a previous server on this directory are still running")

// launch starts the server, retrying for a while when a previous server's
// orphaned backends still hold the shared memory.
func (c *Cluster) launch(ctx context.Context, binDir string, acct *account, throwaway bool) error {
	deadline := time.Now().Add(shmemRetryFor)
	for {
		err := c.startOnce(ctx, binDir, acct, throwaway)
		if !errors.Is(err, errShmemBusy) || time.Now().After(deadline) {
			return err
		}
		c.log.Warn("old server processes still hold shared memory; retrying")
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// startOnce starts postgres as our child and waits until it is ready.
func (c *Cluster) startOnce(ctx context.Context, binDir string, acct *account, throwaway bool) error {
	logPath := filepath.Join(c.dir, logName)
	logf, offset, err := openLog(logPath, acct)
	if err != nil {
		return fmt.Errorf("pgcluster: opening server log: %w", err)
	}
	args := []string{"-D", c.dir, "-p", port,
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories=" + quoteListItem(c.socketDir),
		"-c", "unix_socket_permissions=0700",
		"-c", "max_connections=200",
	}
	if throwaway {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(binDir, "postgres"), args...)
	cmd.Dir = c.dir
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	attr := credentialAttr(acct)
	if attr == nil {
		attr = &syscall.SysProcAttr{}
	}
	// Its own process group: a Ctrl-C meant for Ruche must not reach the
	// server, which Stop shuts down in order.
	attr.Setpgid = true
	cmd.SysProcAttr = attr
	err = cmd.Start()
	logf.Close() // the child has its own descriptor
	if err != nil {
		return fmt.Errorf("pgcluster: starting postgres: %w", err)
	}
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()

	tick := time.NewTicker(readyPollEvery)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			fresh := readLogFrom(logPath, offset)
			if strings.Contains(fresh, shmemBusy) {
				return fmt.Errorf("pgcluster: postgres exited during startup: %w", errShmemBusy)
			}
			return fmt.Errorf("pgcluster: postgres exited during startup (%v); last lines of %s:\n%s",
				waitErr, logPath, lastLines(fresh, 20))
		case <-ctx.Done():
			_ = syscall.Kill(pid, syscall.SIGQUIT)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(pid, syscall.SIGKILL)
				<-exited
			}
			return fmt.Errorf("pgcluster: postgres did not become ready: %w; last lines of %s:\n%s",
				ctx.Err(), logPath, lastLines(readLogFrom(logPath, offset), 20))
		case <-tick.C:
			if c.ready(pid) {
				c.pid, c.exited, c.owned = pid, exited, true
				return nil
			}
		}
	}
}

// ready reports whether server pid declared itself ready in postmaster.pid
// (its PM_STATUS line) and its socket accepts connections.
func (c *Cluster) ready(pid int) bool {
	pf, err := readPidFile(filepath.Join(c.dir, "postmaster.pid"))
	return err == nil && pf.pid == pid && pf.status == "ready" && dialable(c.socketDir)
}

// quoteListItem quotes a directory for a list-valued setting when it holds a
// separator, space or quote.
func quoteListItem(s string) string {
	if !strings.ContainsAny(s, ", \t\"") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// openLog opens the server log for appending (rotating it once it is large)
// and returns its current size, where this run's output will start.
func openLog(path string, acct *account) (*os.File, int64, error) {
	if fi, err := os.Stat(path); err == nil && fi.Size() > maxLogSize {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	if acct != nil {
		if err := f.Chown(acct.uid, acct.gid); err != nil {
			f.Close()
			return nil, 0, err
		}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// readLogFrom returns the log written since offset (at most its last 64 KiB).
func readLogFrom(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size()-offset > 64<<10 {
		offset = fi.Size() - 64<<10
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// Stop shuts the server down if the Cluster is Owned, and otherwise does
// nothing. It uses fast shutdown (SIGINT: active sessions are cancelled,
// data is checkpointed), escalates to immediate shutdown (SIGQUIT) after 10
// seconds and waits for the postmaster to exit or ctx to end. Once it has
// returned nil, further calls return nil; it is safe for concurrent use.
func (c *Cluster) Stop(ctx context.Context) error {
	if c == nil || !c.owned {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	if err := c.shutdown(ctx); err != nil {
		return err
	}
	c.stopped = true
	c.log.Info("PostgreSQL stopped", "pid", c.pid)
	return nil
}

func (c *Cluster) shutdown(ctx context.Context) error {
	if c.gone() {
		return nil
	}
	if err := syscall.Kill(c.pid, syscall.SIGINT); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("pgcluster: signalling postgres pid %d: %w", c.pid, err)
	}
	if c.waitGone(ctx, fastStopWait) {
		return nil
	}
	if ctx.Err() == nil {
		c.log.Warn("fast shutdown is slow; requesting immediate shutdown", "pid", c.pid)
		_ = syscall.Kill(c.pid, syscall.SIGQUIT)
		if c.waitGone(ctx, 0) {
			return nil
		}
	}
	return fmt.Errorf("pgcluster: postgres pid %d did not exit: %w", c.pid, ctx.Err())
}

// gone reports whether the postmaster has exited. An attached one is not our
// child, so it is polled, checking it is still a server of our directory so
// that a reused pid is never signalled.
func (c *Cluster) gone() bool {
	if c.exited != nil {
		select {
		case <-c.exited:
			return true
		default:
			return false
		}
	}
	return !isPostmasterOf(c.pid, c.dir)
}

// waitGone waits until the postmaster exits (true), limit elapses (if > 0)
// or ctx ends.
func (c *Cluster) waitGone(ctx context.Context, limit time.Duration) bool {
	var timeout <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		timeout = t.C
	}
	tick := time.NewTicker(readyPollEvery)
	defer tick.Stop()
	for {
		if c.gone() {
			return true
		}
		select {
		case <-c.exited: // nil, blocking forever, when attached
			return true
		case <-tick.C:
		case <-timeout:
			return false
		case <-ctx.Done():
			return false
		}
	}
}
