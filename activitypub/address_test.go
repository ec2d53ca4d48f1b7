package activitypub

import (
	"strings"
	"testing"
)

func TestIsPublicIRI(t *testing.T) {
	for _, iri := range []string{Public, "http://www.w3.org/ns/activitystreams#Public", "as:Public", "Public",
		"as:public", "HTTPS://WWW.W3.ORG/ns/activitystreams#public", " Public "} {
		if !IsPublicIRI(iri) {
			t.Errorf("IsPublicIRI(%q) = false", iri)
		}
	}
	for _, iri := range []string{"", "https://www.w3.org/ns/activitystreams", "https://ruche.example/users/public",
		"https://www.w3.org/ns/activitystreams#Publicity", "as:Public2", "Publicly"} {
		if IsPublicIRI(iri) {
			t.Errorf("IsPublicIRI(%q) = true", iri)
		}
	}
}

// TestIsPublic decodes each document, so that every spelling is tried in every shape a
// sender may use: a single string, an array, an embedded object, and in each property.
func TestIsPublic(t *testing.T) {
	const members = `"https://r.example/g/bees/members"`
	tests := []struct {
		name string
		doc  string
		want bool
	}{
		{"members only", `{"type":"Note","to":[` + members + `],"audience":"https://r.example/g/bees"}`, false},
		{"no addressing", `{"type":"Note"}`, false},
		{"to, single full IRI", `{"type":"Note","to":"https://www.w3.org/ns/activitystreams#Public"}`, true},
		{"to, array with as:Public", `{"type":"Note","to":[` + members + `,"as:Public"]}`, true},
		{"cc, bare Public", `{"type":"Note","to":[` + members + `],"cc":"Public"}`, true},
		{"cc, array", `{"type":"Note","cc":["https://a.example/u/1","https://www.w3.org/ns/activitystreams#Public"]}`, true},
		{"bto", `{"type":"Note","bto":["as:Public"]}`, true},
		{"bcc", `{"type":"Note","bcc":"Public"}`, true},
		{"audience, single", `{"type":"Note","audience":"https://www.w3.org/ns/activitystreams#Public"}`, true},
		{"audience, array", `{"type":"Note","audience":["https://r.example/g/bees","as:Public"]}`, true},
		{"embedded collection object", `{"type":"Note","to":{"id":"https://www.w3.org/ns/activitystreams#Public","type":"Collection"}}`, true},
		{"http scheme", `{"type":"Note","cc":["http://www.w3.org/ns/activitystreams#Public"]}`, true},
		{"the embedded object only", `{"type":"Create","to":[` + members + `],"object":{"type":"Note","cc":["as:Public"]}}`, true},
		{"two levels down (Announce of Create of Note)", `{"type":"Announce","to":[` + members + `],
			"object":{"type":"Create","to":[` + members + `],"object":{"type":"Note","to":"Public"}}}`, true},
		{"an object IRI is not followed", `{"type":"Like","to":[` + members + `],"object":"https://www.w3.org/ns/activitystreams#Public"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Decode([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := IsPublic(o); got != tt.want {
				t.Errorf("IsPublic = %v, want %v", got, tt.want)
			}
		})
	}
	if IsPublic(nil) {
		t.Error("IsPublic(nil) = true")
	}
	// A cycle built in Go ends the walk instead of hanging it.
	cyclic := &Object{Type: TypeAnnounce}
	cyclic.Object = Embed(cyclic)
	if IsPublic(cyclic) {
		t.Error("IsPublic(cycle) = true")
	}
}

func TestRecipients(t *testing.T) {
	o := &Object{
		To:       []string{"https://a/1", "https://a/2", ""},
		CC:       []string{"https://a/2", "https://a/3"},
		BTo:      []string{"https://a/4"},
		BCC:      []string{"https://a/1", "https://a/5"},
		Audience: []string{"https://a/g"},
		Object:   Embed(&Object{To: []string{"https://a/not-followed"}}),
	}
	eq(t, "Recipients", Recipients(o), []string{"https://a/1", "https://a/2", "https://a/3", "https://a/4", "https://a/5", "https://a/g"})
	eq(t, "Recipients(nil)", Recipients(nil), nil)
}

func TestWithoutHidden(t *testing.T) {
	note := &Object{ID: "https://a/n", Type: TypeNote, To: []string{"https://a/1"}, BTo: []string{"https://a/secret1"}}
	create := &Object{ID: "https://a/c", Type: TypeCreate, To: []string{"https://a/1"},
		BCC: []string{"https://a/secret2"}, Object: Embed(note)}

	got := WithoutHidden(create)
	b, err := Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret") || strings.Contains(string(b), `"bto"`) || strings.Contains(string(b), `"bcc"`) {
		t.Errorf("WithoutHidden output still names hidden recipients: %s", b)
	}
	eq(t, "to kept", got.Object.Object.To, []string{"https://a/1"})
	// The original keeps its hidden recipients: delivery still needs them.
	eq(t, "original bcc", create.BCC, []string{"https://a/secret2"})
	eq(t, "original embedded bto", note.BTo, []string{"https://a/secret1"})
	if WithoutHidden(nil) != nil {
		t.Error("WithoutHidden(nil) != nil")
	}

	// Too deep to copy: the deepest embedded object becomes a reference, never a leak.
	deep := &Object{Type: TypeNote, ID: "https://a/deep", BTo: []string{"https://a/secret3"}}
	for range maxEmbedding + 2 {
		deep = &Object{Type: TypeAnnounce, Object: Embed(deep)}
	}
	b, _ = Marshal(WithoutHidden(deep))
	if strings.Contains(string(b), "secret") {
		t.Errorf("WithoutHidden of a deep chain leaks: %s", b)
	}
}
