package pgcluster

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestAsNonRoot covers the non-root code path (no chown, no credential
// switch) when the suite runs as root, as CI does: it re-runs some tests of
// this very test binary as user postgres.
func TestAsNonRoot(t *testing.T) {
	requireServer(t)
	if os.Geteuid() != 0 {
		t.Skip("already not root: the other tests cover this path")
	}
	acct, err := lookupAccount("postgres")
	if err != nil {
		t.Skip("no postgres user")
	}
	// The test binary lives in a 0700 build directory: copy it somewhere
	// the user can execute it from.
	exe := filepath.Join(baseDir(t), "pgcluster.test")
	if err := copyFile(os.Args[0], exe); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.count=1", "-test.v",
		"-test.run=^(TestStartStopRestart|TestAttachToRunning|TestReachable)$")
	cmd.Dir = filepath.Dir(exe)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
		Uid: uint32(acct.uid), Gid: uint32(acct.gid), Groups: acct.groups,
	}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tests as user postgres: %v\n%s", err, out)
	}
	t.Logf("as user postgres:\n%s", lastLines(string(out), 40))
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
