package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEmbeddedClusterSurvivesKill9 runs the real binary on its own embedded cluster,
// as make run does: first start, an operator command while it serves, kill -9 of
// ruche and of its PostgreSQL, restart with every account intact, then a clean stop
// and an operator command with the server down.
func TestEmbeddedClusterSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	tmp, err := os.MkdirTemp("", "ruche-crash-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	os.Chmod(tmp, 0o711) // the cluster may run as another user when we are root
	bin := filepath.Join(tmp, "ruche")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := filepath.Join(tmp, "var")
	port := freePort(t)
	env := append(os.Environ(), "DATABASE_URL=", "RUCHE_DEV=true", "RUCHE_DATA="+data, "RUCHE_ADDR=127.0.0.1:"+port, "RUCHE_LOG_LEVEL=warn")

	cli := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ruche %v: %v\n%s", args, err, out)
		}
		return string(out)
	}

	srv, setup := serve(t, bin, env, port)
	if !strings.Contains(setup, "/setup/") {
		t.Fatalf("first start printed no setup link: %q", setup)
	}
	cli("a long password\n", "user", "create", "--username", "ana", "--email", "ana@example.com", "--role", "admin", "--password-stdin")

	// kill -9 of ruche and of its PostgreSQL.
	pgPid := postmasterPid(t, data)
	srv.Process.Signal(syscall.SIGKILL)
	srv.Wait()
	syscall.Kill(pgPid, syscall.SIGKILL)

	srv, setup = serve(t, bin, env, port)
	if setup != "" {
		t.Errorf("after the restart a setup link was printed again: %q", setup)
	}
	if out := cli("", "user", "set-password", "--username", "ana"); !strings.Contains(out, "password of @ana changed") {
		t.Errorf("ana is gone after kill -9: %s", out)
	}

	// kill -9 of ruche alone leaves PostgreSQL running: the next serve adopts it.
	srv.Process.Signal(syscall.SIGKILL)
	srv.Wait()
	srv, _ = serve(t, bin, env, port)

	// A clean stop stops PostgreSQL too, even one adopted from a killed ruche (it
	// removes its postmaster.pid on a clean shutdown).
	postmasterPid(t, data)
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Errorf("SIGTERM: ruche exited with %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "postgres", "postmaster.pid")); err == nil {
		t.Error("PostgreSQL still runs after ruche stopped")
	}
	// Operator commands work with the server down, and leave nothing running.
	cli("", "user", "create", "--username", "bob", "--email", "bob@example.com")
	if _, err := os.Stat(filepath.Join(data, "postgres", "postmaster.pid")); err == nil {
		t.Error("an operator command left PostgreSQL running")
	}
}

// serve starts ruche serve and waits until /readyz answers 200. It returns the
// process and the setup link line, if one was printed.
func serve(t *testing.T, bin string, env []string, port string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	})
	setup := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "/setup/") {
				setup <- strings.TrimSpace(sc.Text())
			}
		}
	}()
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:" + port + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ruche not ready after 90 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("ready in %v", time.Since(start).Round(time.Millisecond))
	// The setup link is printed before the server starts answering; allow the reader
	// a moment to pass it on.
	select {
	case link := <-setup:
		return cmd, link
	case <-time.After(500 * time.Millisecond):
		return cmd, ""
	}
}

func postmasterPid(t *testing.T, data string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "postgres", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}
