package i18n_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/web"
)

func load(t *testing.T) *i18n.Catalog {
	t.Helper()
	c, err := i18n.Load(web.FS)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEnglishAndFrench(t *testing.T) {
	c := load(t)
	var codes []string
	for _, l := range c.Languages() {
		codes = append(codes, l.Code)
	}
	if got, want := strings.Join(codes, ","), "en,fr"; got != want {
		t.Errorf("languages = %s, want %s", got, want)
	}
}

func TestPrinterChoice(t *testing.T) {
	c := load(t)
	tests := []struct{ chosen, accept, want string }{
		{"", "", "en"},
		{"", "fr-FR,fr;q=0.9,en;q=0.8", "fr"},
		{"", "de-DE,de;q=0.9", "en"},
		{"en", "fr", "en"}, // the member's setting wins over the browser
		{"fr", "en-US", "fr"},
		{"xx", "fr", "fr"}, // an unknown setting falls back to the browser
	}
	for _, tt := range tests {
		if got := c.Printer(tt.chosen, tt.accept).Lang(); got != tt.want {
			t.Errorf("Printer(%q, %q) = %s, want %s", tt.chosen, tt.accept, got, tt.want)
		}
	}
	if got, want := c.Printer("fr", "").T("stream.home", "Ana"), "Bonjour, Ana"; got != want {
		t.Errorf("T = %q, want %q", got, want)
	}
}

func TestLoadRefusesMissingTranslation(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "locales"), 0o755)
	os.WriteFile(filepath.Join(dir, "locales", "en.json"), []byte(`{"a": "A", "b": "B"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "locales", "fr.json"), []byte(`{"a": "A"}`), 0o644)
	if _, err := i18n.Load(os.DirFS(dir)); err == nil || !strings.Contains(err.Error(), "b") {
		t.Errorf("Load = %v, want an error naming the missing key b", err)
	}
}

// TestEveryKeyUsedExists finds the message keys that templates and Go code use and
// checks that the catalogue has each, so no page ever shows a raw key.
func TestEveryKeyUsedExists(t *testing.T) {
	c := load(t)
	root := filepath.Join("..", "..")
	tmplKey := regexp.MustCompile(`\.T "([a-z_.]+)"`)
	goKey := regexp.MustCompile(`"((?:error|flash|login|setup|join|home|admin|settings|nav|role|audit|account)\.[a-z_.]+)"`)
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var re *regexp.Regexp
		switch {
		case strings.HasSuffix(path, ".html"):
			re = tmplKey
		case strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go"):
			re = goKey
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			found++
			if !c.HasKey(m[1]) {
				t.Errorf("%s uses message %q, which the catalogue lacks", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 50 {
		t.Errorf("found only %d key uses; is the scan broken?", found)
	}
	// Keys built at run time.
	for _, r := range []ruche.Role{ruche.RoleAdmin, ruche.RoleModerator, ruche.RoleMember, ruche.RoleGuest} {
		if !c.HasKey("role." + string(r)) {
			t.Errorf("no message for role %s", r)
		}
	}
	for _, a := range []string{ruche.AuditUserCreated, ruche.AuditOwnerCreated, ruche.AuditPasswordSet, ruche.AuditRoleChanged,
		ruche.AuditUserSuspended, ruche.AuditUserUnsuspended, ruche.AuditInviteCreated, ruche.AuditInviteUsed, ruche.AuditInviteRevoked} {
		if !c.HasKey("audit." + a) {
			t.Errorf("no message for audit action %s", a)
		}
	}
}
