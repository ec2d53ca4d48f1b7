package activitypub

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseAcct(t *testing.T) {
	tests := []struct {
		in   string
		want Acct
	}{
		{"acct:alice@ruche.example", Acct{"alice", "ruche.example"}},
		{"acct:Alice.B-c_d~e@Ruche.EXAMPLE", Acct{"Alice.B-c_d~e", "ruche.example"}},
		{"acct:bob@alpha.localhost:8080", Acct{"bob", "alpha.localhost:8080"}},
		{"acct:bob@localhost", Acct{"bob", "localhost"}},
		{"acct:ruche.example@ruche.example", Acct{"ruche.example", "ruche.example"}},
		{"acct:alpha.localhost:8080@alpha.localhost:8080", Acct{"alpha.localhost:8080", "alpha.localhost:8080"}},
		{"acct:xn--bcher-kva.example@xn--bcher-kva.example", Acct{"xn--bcher-kva.example", "xn--bcher-kva.example"}},
	}
	for _, tt := range tests {
		got, err := ParseAcct(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseAcct(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseAcctRefuses(t *testing.T) {
	for _, in := range []string{
		"",
		"alice@ruche.example",         // no scheme
		"@alice@ruche.example",        // a handle, not a URI
		"ACCT:alice@ruche.example",    // scheme spelt otherwise
		"acct:@alice@ruche.example",   // leading @
		"acct:alice",                  // no host
		"acct:alice@",                 // empty host
		"acct:@ruche.example",         // empty user
		"acct:a@b@ruche.example",      // two @
		"acct:al ice@ruche.example",   // space
		"acct:al%40ice@ruche.example", // percent-encoding
		"acct:al:ice@ruche.example",   // colon in an ordinary user
		"acct:alice@ruche.example/path",
		"acct:alice@ruche.example?x=1",
		"acct:alice@ruche.example#frag",
		"acct:alice@ruche.example.",      // trailing dot
		"acct:alice@.ruche.example",      // empty label
		"acct:alice@-ruche.example",      // label starts with -
		"acct:alice@ruche-.example",      // label ends with -
		"acct:alice@ruche_x.example",     // underscore in a host
		"acct:alice@bücher.example",      // not IDNA-encoded
		"acct:alice@[::1]",               // IP literal
		"acct:alice@[::1]:80",            // IP literal with port
		"acct:alice@ruche.example:",      // empty port
		"acct:alice@ruche.example:0",     // port 0
		"acct:alice@ruche.example:65536", // port too big
		"acct:alice@ruche.example:080",   // leading zero
		"acct:alice@ruche.example:+80",   // sign
		"acct:alice@ruche.example:80:81", // two ports
		"acct:alice@user:pass@ruche.example",
		"acct:alice@" + strings.Repeat("a", 64) + ".example",         // label too long
		"acct:alice@" + strings.Repeat("abcdefghi.", 26) + "example", // name too long
		"acct:" + strings.Repeat("a", 256) + "@ruche.example",        // user too long
		"acct:alice\n@ruche.example",
	} {
		if got, err := ParseAcct(in); err == nil {
			t.Errorf("ParseAcct(%q) = %+v, want an error", in, got)
		}
	}
}

func TestWebFingerURL(t *testing.T) {
	a := Acct{User: "alice", Host: "ruche.example"}
	eq(t, "https", a.WebFingerURL(false), "https://ruche.example/.well-known/webfinger?resource=acct:alice@ruche.example")
	dev := Acct{User: "bob", Host: "beta.localhost:8081"}
	eq(t, "http", dev.WebFingerURL(true), "http://beta.localhost:8081/.well-known/webfinger?resource=acct:bob@beta.localhost:8081")
	eq(t, "String", dev.String(), "acct:bob@beta.localhost:8081")
}

func TestNewJRD(t *testing.T) {
	a := Acct{User: "alice", Host: "acme.example"}
	b, err := json.Marshal(NewJRD(a, "https://ruche.acme.example/users/alice", "https://ruche.acme.example/@alice"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"subject":"acct:alice@acme.example",` +
		`"aliases":["https://ruche.acme.example/users/alice","https://ruche.acme.example/@alice"],` +
		`"links":[{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"https://ruche.acme.example/@alice"},` +
		`{"rel":"self","type":"application/activity+json","href":"https://ruche.acme.example/users/alice"}]}`
	eq(t, "JRD", string(b), want)

	// The instance actor has no profile page.
	j := NewJRD(Acct{User: "acme.example", Host: "acme.example"}, "https://ruche.acme.example/actor", "")
	eq(t, "instance JRD links", j.Links, []Link{{Rel: RelSelf, Type: ContentType, Href: "https://ruche.acme.example/actor"}})
	self, err := j.Self()
	eq(t, "Self of NewJRD", self, "https://ruche.acme.example/actor")
	eq(t, "Self error", err, nil)
}

func TestJRDSelf(t *testing.T) {
	const actor = "https://m.example/users/alice"
	tests := []struct {
		name  string
		links []Link
		want  string // "" means an error is wanted
	}{
		{"Mastodon", []Link{
			{Rel: RelProfilePage, Type: "text/html", Href: "https://m.example/@alice"},
			{Rel: RelSelf, Type: "application/activity+json", Href: actor},
			{Rel: "http://ostatus.org/schema/1.0/subscribe", Template: "https://m.example/authorize_interaction?uri={uri}"},
		}, actor},
		{"ld+json with profile", []Link{{Rel: RelSelf, Type: ContentTypeLD, Href: actor}}, actor},
		{"the same self link twice", []Link{{Rel: RelSelf, Type: ContentType, Href: actor}, {Rel: RelSelf, Type: ContentTypeLD, Href: actor}}, actor},
		{"a self link of another type is skipped", []Link{{Rel: RelSelf, Type: "text/html", Href: "https://m.example/x"}, {Rel: RelSelf, Type: ContentType, Href: actor}}, actor},
		{"no links", nil, ""},
		{"self without type", []Link{{Rel: RelSelf, Href: actor}}, ""},
		{"two different self links", []Link{{Rel: RelSelf, Type: ContentType, Href: actor}, {Rel: RelSelf, Type: ContentType, Href: "https://evil.example/u"}}, ""},
		{"relative href", []Link{{Rel: RelSelf, Type: ContentType, Href: "/users/alice"}}, ""},
		{"not http", []Link{{Rel: RelSelf, Type: ContentType, Href: "file:///etc/passwd"}}, ""},
		{"credentials in href", []Link{{Rel: RelSelf, Type: ContentType, Href: "https://u:p@m.example/users/alice"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &JRD{Subject: "acct:alice@m.example", Links: tt.links}
			got, err := j.Self()
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("Self = %q, want an error", got)
			case tt.want != "" && (err != nil || got != tt.want):
				t.Errorf("Self = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDecodeJRD(t *testing.T) {
	j, err := DecodeJRD([]byte(`{"subject":"acct:alice@m.example","aliases":["https://m.example/@alice"],
		"properties":{"http://example.org/p":null},
		"links":[{"rel":"self","type":"application/activity+json","href":"https://m.example/users/alice","titles":{"en":"x"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if self, err := j.Self(); err != nil || self != "https://m.example/users/alice" {
		t.Errorf("Self = %q, %v", self, err)
	}
	big := `{"subject":"` + strings.Repeat("a", MaxJRDSize) + `"}`
	if _, err := DecodeJRD([]byte(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("DecodeJRD of a huge JRD: %v, want ErrTooLarge", err)
	}
	if _, err := DecodeJRD([]byte(`[]`)); err == nil {
		t.Error("DecodeJRD of an array: no error")
	}
}
