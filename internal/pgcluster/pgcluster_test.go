package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStartStopRestart(t *testing.T) {
	requireServer(t)
	dir := deepDir(t)

	t0 := time.Now()
	c := start(t, Options{Dir: dir, Adopt: true})
	t.Logf("first start (with initdb) took %v", time.Since(t0))
	if !c.Owned() || c.Dir() != dir {
		t.Fatalf("Owned() = %v, Dir() = %s", c.Owned(), c.Dir())
	}
	if c.SocketDir() == dir || len(filepath.Join(c.SocketDir(), socketName)) > 107 {
		t.Errorf("socket dir %s unsuitable for %d-byte dir", c.SocketDir(), len(dir))
	}
	if got := psql(t, c, "select 1"); got != "1" {
		t.Fatalf("select 1 = %q", got)
	}
	settings := map[string]string{
		"listen_addresses":        "",
		"unix_socket_permissions": "0700",
		"max_connections":         "200",
		"fsync":                   "on",
		"server_encoding":         "UTF8",
		"current_user":            "ruche",
	}
	for name, want := range settings {
		q := "show " + name
		if name == "current_user" {
			q = "select current_user"
		}
		if got := psql(t, c, q); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if os.Geteuid() == 0 {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.pid))
		if err != nil {
			t.Fatal(err)
		}
		acct, _ := lookupAccount("postgres")
		if !strings.Contains(string(status), fmt.Sprintf("\nUid:\t%d\t", acct.uid)) {
			t.Errorf("postgres does not run as user postgres:\n%s", status)
		}
	}
	psql(t, c, "create table kept(x int); insert into kept values (7)")
	pid := c.pid
	stop(t, c)
	waitGone(t, pid)
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid still there after Stop: %v", err)
	}
	stop(t, c) // idempotent

	t0 = time.Now()
	c2 := start(t, Options{Dir: dir, Adopt: true})
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("restart took %v", d)
	} else {
		t.Logf("restart took %v", d)
	}
	if got := psql(t, c2, "select x from kept"); got != "7" {
		t.Errorf("data after restart = %q, want 7 (was initdb run again?)", got)
	}
	stop(t, c2)
}

func TestStaleLockFiles(t *testing.T) {
	requireServer(t)
	dir := deepDir(t)
	c := start(t, Options{Dir: dir, Throwaway: true})
	stop(t, c)

	tests := []struct {
		name string
		pid  int
	}{
		{"dead pid", deadPid(t)},
		{"pid of a process that is not postgres", os.Getpid()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := socketDirFor(dir)
			pidFile := fmt.Sprintf("%d\n%s\n1700000000\n5432\n%s\n\n  5432001         0\nready   \n", tt.pid, dir, sock)
			lockFile := fmt.Sprintf("%d\n%s\n1700000000\n5432\n%s\n", tt.pid, dir, sock)
			if err := os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte(pidFile), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sock, socketName+".lock"), []byte(lockFile), 0o600); err != nil {
				t.Fatal(err)
			}
			c := start(t, Options{Dir: dir, Throwaway: true})
			if !c.Owned() || c.pid == tt.pid {
				t.Fatalf("Owned() = %v, pid %d: attached to a stale pid file", c.Owned(), c.pid)
			}
			if got := psql(t, c, "select 1"); got != "1" {
				t.Fatalf("select 1 = %q", got)
			}
			stop(t, c)
		})
	}
}

func TestAttachToRunning(t *testing.T) {
	requireServer(t)
	dir := filepath.Join(baseDir(t), "pg") // short: the socket lives in dir
	first := start(t, Options{Dir: dir, Throwaway: true, Adopt: false})
	if !first.Owned() || first.SocketDir() != dir {
		t.Fatalf("Owned() = %v, SocketDir() = %s", first.Owned(), first.SocketDir())
	}
	pid := first.pid

	t0 := time.Now()
	visitor := start(t, Options{Dir: dir, Throwaway: true, Adopt: false})
	t.Logf("attach took %v", time.Since(t0))
	if visitor.Owned() || visitor.pid != pid || visitor.SocketDir() != first.SocketDir() {
		t.Fatalf("attach: Owned() = %v, pid %d (want %d), socket %s", visitor.Owned(), visitor.pid, pid, visitor.SocketDir())
	}
	if got := psql(t, visitor, "select 1"); got != "1" {
		t.Fatalf("select 1 via attached cluster = %q", got)
	}
	stop(t, visitor)
	if processGone(pid) {
		t.Fatal("Stop of a non-owned cluster stopped postgres")
	}
	if got := psql(t, first, "select 1"); got != "1" {
		t.Fatalf("select 1 after non-owned Stop = %q", got)
	}

	adopter := start(t, Options{Dir: dir, Throwaway: true, Adopt: true})
	if !adopter.Owned() || adopter.pid != pid {
		t.Fatalf("adopt: Owned() = %v, pid %d (want %d)", adopter.Owned(), adopter.pid, pid)
	}
	stop(t, adopter)
	waitGone(t, pid)
	stop(t, first) // already gone: nothing to do, no error
}

func TestKilledPostmaster(t *testing.T) {
	requireServer(t)
	dir := deepDir(t)
	c := start(t, Options{Dir: dir})
	psql(t, c, "create table survivor(x int); insert into survivor values (42)")
	if err := syscall.Kill(c.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.exited

	c2 := start(t, Options{Dir: dir})
	if !c2.Owned() || c2.pid == c.pid {
		t.Fatalf("restart after kill -9: Owned() = %v, pid %d", c2.Owned(), c2.pid)
	}
	if got := psql(t, c2, "select x from survivor"); got != "42" {
		t.Fatalf("data after crash = %q, want 42", got)
	}
	stop(t, c)
}

func TestInterruptedInitdb(t *testing.T) {
	requireServer(t)
	tests := []struct {
		name    string
		files   []string // created under Dir
		wantErr string   // "" = Start must succeed
	}{
		{name: "initdb leftovers", files: []string{"base/1/112", "global/pg_control", "pg_wal/000000010000000000000001", "postgresql.conf"}},
		{name: "leftover temp dir only", files: nil},
		{name: "foreign files", files: []string{"global/x", "notes.txt"}, wantErr: "refusing to initialise"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := deepDir(t)
			if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range append(tt.files, "../pgdata.initdb/base/junk") {
				p := filepath.Join(dir, f)
				if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c, err := Start(ctx, Options{Dir: dir, Throwaway: true})
			if tt.wantErr != "" {
				if err == nil {
					stop(t, c)
					t.Fatal("Start succeeded on a directory with foreign files")
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Start: %v, want %q", err, tt.wantErr)
				}
				if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
					t.Errorf("foreign file was touched: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			t.Cleanup(func() { stop(t, c) })
			if got := psql(t, c, "select 1"); got != "1" {
				t.Fatalf("select 1 = %q", got)
			}
			if _, err := os.Stat(dir + ".initdb"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("temporary initdb dir left behind: %v", err)
			}
		})
	}
}

func TestDataVersionPinned(t *testing.T) {
	bin := requireServer(t)
	tests := []struct {
		name   string
		binDir string
	}{
		{"discovered binaries", ""},
		{"explicit BinDir", bin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(baseDir(t), "pg")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "PG_VERSION"), []byte("99\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := Start(ctx, Options{Dir: dir, BinDir: tt.binDir, Throwaway: true})
			if err == nil {
				stop(t, c)
				t.Fatal("Start used binaries of another major version")
			}
			msg := err.Error()
			if !errors.Is(err, ErrNoServer) || !strings.Contains(msg, "PostgreSQL 99") || strings.Contains(msg, "\n") {
				t.Errorf("unclear error: %q", msg)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "PG_VERSION")); string(b) != "99\n" {
				t.Errorf("PG_VERSION changed to %q", b)
			}
		})
	}
}

func TestRootNeedsReachableDir(t *testing.T) {
	requireServer(t)
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to another user")
	}
	closed, err := os.MkdirTemp("", "pgcluster-closed-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(closed) })
	_, err = Start(context.Background(), Options{Dir: filepath.Join(closed, "pg")})
	if err == nil || !strings.Contains(err.Error(), "is not reachable by user postgres") ||
		!strings.Contains(err.Error(), "set RUCHE_DATA") {
		t.Fatalf("Start under a 0700 root dir: %v", err)
	}
}

// TestPidFileParsing covers a pid file caught while the server starts.
func TestPidFileParsing(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		content    string
		wantPid    int
		wantStatus string
		wantErr    bool
	}{
		{"123\n/d\n1\n5432\n/s\n\n 1 2\nready   \n", 123, "ready", false},
		{"123\n/d\n1\n5432\n", 123, "", false},
		{"", 0, "", true},
		{"abc\n", 0, "", true},
	}
	for i, tt := range tests {
		p := filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		pf, err := readPidFile(p)
		if (err != nil) != tt.wantErr || pf.pid != tt.wantPid || pf.status != tt.wantStatus {
			t.Errorf("readPidFile(%q) = %+v, %v", tt.content, pf, err)
		}
	}
}

// TestOrphanBackendsDelayStart freezes a backend of a postmaster before
// killing it, so the new server first finds the shared memory still in use
// and Start must retry until the orphan is gone.
func TestOrphanBackendsDelayStart(t *testing.T) {
	requireServer(t)
	dir := deepDir(t)
	c := start(t, Options{Dir: dir, Throwaway: true})
	orphan := childOf(t, c.pid)
	if err := syscall.Kill(orphan, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(orphan, syscall.SIGCONT) })
	if err := syscall.Kill(c.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.exited
	resume := time.AfterFunc(2*time.Second, func() { syscall.Kill(orphan, syscall.SIGCONT) })
	defer resume.Stop()

	t0 := time.Now()
	c2 := start(t, Options{Dir: dir, Throwaway: true})
	if d := time.Since(t0); d < 2*time.Second {
		t.Errorf("Start took only %v: the frozen orphan did not delay it", d)
	}
	if got := psql(t, c2, "select 1"); got != "1" {
		t.Fatalf("select 1 = %q", got)
	}
	log, _ := os.ReadFile(filepath.Join(dir, logName))
	if !strings.Contains(string(log), shmemBusy) {
		t.Errorf("postgres.log does not mention %q", shmemBusy)
	}
}

// childOf returns the pid of one child process of pid.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc")
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			return child
		}
	}
	t.Fatalf("no child process of %d", pid)
	return 0
}
