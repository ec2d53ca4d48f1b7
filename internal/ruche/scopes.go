package ruche

import (
	"slices"
	"strings"
)

// Scopes are what an OAuth token may do, in Mastodon's words: the broad scopes read,
// write, follow, push and profile, and their granular forms (read:statuses, …).
type Scopes []string

// The granular scopes Ruche knows. Admin scopes are not offered: administration
// happens in the web UI and at the console.
var granular = map[string][]string{
	"read": {"accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists",
		"mutes", "notifications", "search", "statuses"},
	"write": {"accounts", "blocks", "bookmarks", "conversations", "favourites", "filters",
		"follows", "lists", "media", "mutes", "notifications", "reports", "statuses"},
}

// follow is Mastodon's old broad scope for relationships.
var followScopes = []string{"read:blocks", "read:follows", "read:mutes", "write:blocks", "write:follows", "write:mutes"}

// SupportedScopes lists every scope Ruche accepts, for discovery documents.
func SupportedScopes() []string {
	out := []string{"read", "write", "follow", "push", "profile"}
	for _, broad := range []string{"read", "write"} {
		for _, g := range granular[broad] {
			out = append(out, broad+":"+g)
		}
	}
	return out
}

// ParseScopes reads a space-separated scope list (OAuth's form; Mastodon also accepts
// "+" between them). Empty means "read", as in Mastodon. An unknown scope is refused;
// admin and crypto scopes are dropped (neverGranted).
func ParseScopes(s string) (Scopes, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '+' })
	if len(fields) == 0 {
		return Scopes{"read"}, nil
	}
	out := Scopes{}
	for _, f := range fields {
		if neverGranted(f) {
			continue
		}
		if !knownScope(f) {
			return nil, Errorf(CodeInvalid, "error.oauth_scope_unknown", f)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 { // only scopes never granted: nothing could be given
		return nil, Errorf(CodeInvalid, "error.oauth_scope_unknown", fields[0])
	}
	return out, nil
}

// neverGranted are scopes some apps always ask for (Fedilab's admin login, Tokodon)
// that Ruche never grants: administration is done in the web UI. They are dropped
// rather than refused, so those apps can still sign in; the token's scope says what
// was granted.
func neverGranted(s string) bool {
	return s == "crypto" || s == "admin:read" || s == "admin:write" ||
		strings.HasPrefix(s, "admin:read:") || strings.HasPrefix(s, "admin:write:")
}

func knownScope(s string) bool {
	switch s {
	case "read", "write", "follow", "push", "profile":
		return true
	}
	broad, g, ok := strings.Cut(s, ":")
	return ok && slices.Contains(granular[broad], g)
}

// Allows reports whether these scopes grant required (a granular or broad scope).
// "read:statuses" is granted by "read" or "read:statuses"; relationships also by
// "follow"; the member's own account by "profile".
func (sc Scopes) Allows(required string) bool {
	if required == "" {
		return true
	}
	for _, s := range sc {
		switch {
		case s == required:
			return true
		case strings.HasPrefix(required, s+":"): // broad covers its granular forms
			return true
		case s == "follow" && slices.Contains(followScopes, required):
			return true
		case s == "profile" && required == "read:accounts:self":
			return true
		}
	}
	// "read:accounts:self" is what verify_credentials asks: read:accounts also gives it.
	if required == "read:accounts:self" {
		return sc.Allows("read:accounts")
	}
	return false
}

// Within reports whether every scope of sc is allowed by the registered scopes of an
// application (a token may ask for less than its app, never more).
func (sc Scopes) Within(app Scopes) bool {
	for _, s := range sc {
		if !app.Allows(s) {
			return false
		}
	}
	return true
}

// String is the space-separated form.
func (sc Scopes) String() string { return strings.Join(sc, " ") }
