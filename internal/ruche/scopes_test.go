package ruche

import "testing"

func TestScopes(t *testing.T) {
	tests := []struct {
		granted, required string
		want              bool
	}{
		{"read", "read:statuses", true},
		{"read:statuses", "read:statuses", true},
		{"read:statuses", "read:accounts", false},
		{"write", "read:statuses", false},
		{"read", "write:statuses", false},
		{"follow", "write:follows", true},
		{"follow", "read:follows", true},
		{"follow", "write:statuses", false},
		{"profile", "read:accounts:self", true},
		{"profile", "read:accounts", false},
		{"read:accounts", "read:accounts:self", true},
		{"read", "read:accounts:self", true},
		{"write", "read:accounts:self", false},
		{"push", "push", true},
		{"read write follow", "push", false},
		{"read:statuses", "read", false}, // granular never grants broad
	}
	for _, tt := range tests {
		sc, err := ParseScopes(tt.granted)
		if err != nil {
			t.Fatal(err)
		}
		if got := sc.Allows(tt.required); got != tt.want {
			t.Errorf("%q allows %q = %v, want %v", tt.granted, tt.required, got, tt.want)
		}
	}
	if sc, err := ParseScopes("read write follow push admin:read admin:write admin:read:accounts crypto"); err != nil || sc.String() != "read write follow push" {
		t.Errorf("admin scopes: %q, %v; want them dropped", sc, err)
	}
	for _, bad := range []string{"admin:everything", "read:everything", "root", "read:", "admin:read admin:write"} {
		if _, err := ParseScopes(bad); ErrorCode(err) != CodeInvalid {
			t.Errorf("ParseScopes(%q) = %v, want invalid", bad, err)
		}
	}
	if sc, _ := ParseScopes(""); sc.String() != "read" {
		t.Errorf("empty scope = %q, want read (Mastodon's default)", sc)
	}
	if sc, _ := ParseScopes("read+write"); sc.String() != "read write" {
		t.Errorf("read+write = %q", sc)
	}
	app, _ := ParseScopes("read write:statuses")
	for s, want := range map[string]bool{"read": true, "read:lists": true, "write:statuses": true, "write": false, "push": false} {
		sc, _ := ParseScopes(s)
		if got := sc.Within(app); got != want {
			t.Errorf("%q within %q = %v, want %v", s, app, got, want)
		}
	}
}

func TestValidRedirect(t *testing.T) {
	for r, want := range map[string]bool{
		OOB: true, "https://elk.zone/callback": true, "tusky://oauth": true, "http://127.0.0.1:8000/cb": true,
		"javascript:alert(1)": false, "data:text/html,x": false, "https://x/cb#frag": false, "/relative": false,
		"https:///nohost": false, "": false, "https://x/a b": false,
	} {
		if got := validRedirect(r); got != want {
			t.Errorf("validRedirect(%q) = %v, want %v", r, got, want)
		}
	}
}

func TestPKCE(t *testing.T) {
	// RFC 7636, Appendix B.
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	if !pkceMatches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM") {
		t.Error("RFC 7636 example does not match")
	}
	if pkceMatches(verifier+"x", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM") || pkceMatches("short", "x") {
		t.Error("a wrong verifier matches")
	}
}
