package activitypub

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// nested returns a Note nesting depth JSON levels in all, through an unknown property.
func nested(depth int) string {
	return `{"type":"Note","extra":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
}

func TestDecodeBounds(t *testing.T) {
	big := `{"type":"Note","content":"` + strings.Repeat("a", MaxDocumentSize) + `"}`
	tests := []struct {
		name    string
		doc     string
		wantErr error // nil: any error; see ok
		ok      bool
	}{
		{"at the depth limit", nested(MaxDepth), nil, true},
		{"one level too deep", nested(MaxDepth + 1), ErrTooDeep, false},
		{"deep through embedded objects", strings.Repeat(`{"type":"Announce","object":`, 20) + `"x"` + strings.Repeat("}", 20), ErrTooDeep, false},
		{"brackets inside strings do not count", `{"type":"Note","content":"` + strings.Repeat("[{", 100) + `\""}`, nil, true},
		{"too large", big, ErrTooLarge, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.doc))
			switch {
			case tt.ok && err != nil:
				t.Errorf("Decode: %v, want success", err)
			case !tt.ok && !errors.Is(err, tt.wantErr):
				t.Errorf("Decode: %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestReadObjectLimit(t *testing.T) {
	doc := `{"type":"Note","content":"hello"}`
	if _, err := ReadObject(strings.NewReader(doc), int64(len(doc))); err != nil {
		t.Errorf("ReadObject at exactly the limit: %v", err)
	}
	if _, err := ReadObject(strings.NewReader(doc), int64(len(doc)-1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadObject one byte over: %v, want ErrTooLarge", err)
	}
	// The default limit reads no more than it must: an endless body is refused.
	endless := &repeatReader{b: '['}
	if _, err := ReadObject(endless, 0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadObject of an endless body: %v, want ErrTooLarge", err)
	}
	if endless.n > MaxDocumentSize+1 {
		t.Errorf("ReadObject read %d bytes, limit %d", endless.n, MaxDocumentSize)
	}
}

type repeatReader struct {
	b byte
	n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	r.n += len(p)
	return len(p), nil
}

func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name, doc, wantInErr string
	}{
		{"not JSON", `{"type":"Note"`, ""},
		{"trailing data", `{"type":"Note"} {}`, ""},
		{"an array", `[{"type":"Note"}]`, "object"},
		{"no type", `{"id":"https://a.example/1"}`, "no type"},
		{"null type", `{"type":null}`, "no type"},
		{"duplicate key", `{"type":"Note","actor":"https://a/1","actor":"https://b/2"}`, "duplicate"},
		{"duplicate key in an embedded object", `{"type":"Create","object":{"type":"Note","type":"Delete"}}`, "duplicate"},
		{"two actors", `{"type":"Follow","actor":["https://a/1","https://b/2"]}`, "actor: several values"},
		{"two objects", `{"type":"Delete","object":["https://a/1","https://a/2"]}`, "object: several values"},
		{"two keys", `{"type":"Person","publicKey":[{"id":"k1"},{"id":"k2"}]}`, "publicKey"},
		{"a number where an IRI is", `{"type":"Note","attributedTo":42}`, "attributedTo"},
		{"a boolean in to", `{"type":"Note","to":[true]}`, "to"},
		{"nested arrays in to", `{"type":"Note","to":[["https://a/1"]]}`, "to"},
		{"an object as content", `{"type":"Note","content":{"en":"x"}}`, "content"},
		{"an object as type", `{"type":{"id":"Note"}}`, "type"},
		{"a bad time", `{"type":"Note","published":"yesterday"}`, "published"},
		{"a time past year 9999 in UTC", `{"type":"Note","published":"9999-12-31T23:59:59-23:00"}`, "published"},
		{"a fractional width", `{"type":"Image","width":1.5}`, "width"},
		{"a string as sensitive", `{"type":"Note","sensitive":"true"}`, "sensitive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Decode([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Decode = %+v, want an error", o)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("Decode: %v, want an error mentioning %q", err, tt.wantInErr)
			}
		})
	}
}

func TestRefShapes(t *testing.T) {
	note := &Object{ID: "https://a/n", Type: TypeNote}
	tests := []struct {
		in   string
		want Ref
	}{
		{`"https://a/1"`, IRI("https://a/1")},
		{`null`, Ref{}},
		{`[]`, Ref{}},
		{`[null]`, Ref{}},
		{`["https://a/1"]`, IRI("https://a/1")},
		{`{"id":"https://a/n","type":"Note"}`, Embed(note)},
		{`[{"id":"https://a/n","type":"Note"}]`, Embed(note)},
		{`{"type":"Link","href":"https://a/page"}`, Ref{IRI: "https://a/page", Object: &Object{Type: TypeLink, Href: "https://a/page"}}},
	}
	for _, tt := range tests {
		var r Ref
		if err := r.UnmarshalJSON([]byte(tt.in)); err != nil {
			t.Errorf("Ref from %s: %v", tt.in, err)
			continue
		}
		eq(t, "Ref from "+tt.in, r, tt.want)
	}
	var rs Refs
	if err := rs.UnmarshalJSON([]byte(`["https://a/1",null,{"id":"https://a/n","type":"Note"}]`)); err != nil {
		t.Fatal(err)
	}
	eq(t, "Refs", rs, Refs{IRI("https://a/1"), Embed(note)})
	if _, ok := rs.One(); ok {
		t.Error("Refs.One of two values: ok")
	}
	if r, ok := rs[:1].One(); !ok || r.IRI != "https://a/1" {
		t.Errorf("Refs.One of one value = %v, %v", r, ok)
	}
	eq(t, "Embed(nil)", Embed(nil), Ref{})
}

// TestStdlibUnmarshal: Ref, Refs and Object work inside a caller's own struct, and
// refuse invalid JSON handed to them directly instead of misreading it.
func TestStdlibUnmarshal(t *testing.T) {
	var v struct {
		A Ref
		B Refs
		C Object
	}
	err := json.Unmarshal([]byte(` { "A" : [ "https://a/1" ] , "B" : "https://a/2" , "C" : { "type" : "Note" , "to" : "as:Public" } } `), &v)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "A", v.A, IRI("https://a/1"))
	eq(t, "B", v.B, Refs{IRI("https://a/2")})
	eq(t, "C", v.C, Object{Type: TypeNote, To: []string{"as:Public"}})

	for _, bad := range []string{``, `{`, `{"type":"Note"`, `{"type" "Note"}`, `{"a":1,}`, `[`, `"x`, `{"a":[}`} {
		if err := new(Object).UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("Object.UnmarshalJSON(%q): no error", bad)
		}
		if err := new(Ref).UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("Ref.UnmarshalJSON(%q): no error", bad)
		}
		if err := new(Refs).UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("Refs.UnmarshalJSON(%q): no error", bad)
		}
	}
}

// TestMarshalSkipsAbsentRefs: a zero Ref inside a list has no JSON form and is dropped.
func TestMarshalSkipsAbsentRefs(t *testing.T) {
	b, err := Marshal(&Object{Type: TypeNote, Tag: Refs{{}, IRI("https://a/t")}, URL: Refs{{}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"type":"Note","tag":["https://a/t"]}`; !bytes.HasSuffix(b, []byte(want)) {
		t.Errorf("Marshal = %s, want it to end with %s", b, want)
	}
}

// FuzzDecode: no input panics Decode, and whatever it accepts, Marshal writes and
// Decode reads back to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{mastodonCreate, gtsActor, groupAnnounce, nested(MaxDepth),
		`{"type":["Note"],"to":{"id":"as:Public"},"published":"2024-01-01T00:00:00.5+14:00"}`,
		`{"type":"Note","x":"\ud800","tag":[null,{"href":"h"}],"@context":[{}]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Decode(data)
		if err != nil {
			return
		}
		b1, err := Marshal(o)
		if err != nil {
			t.Fatalf("Marshal of a decoded document: %v", err)
		}
		o2, err := Decode(b1)
		if errors.Is(err, ErrTooLarge) {
			return // the @context made it bigger
		}
		if err != nil {
			t.Fatalf("Decode(Marshal(Decode(x))): %v\n%s", err, b1)
		}
		b2, err := Marshal(o2)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("not stable (%v):\n%s\n%s", err, b1, b2)
		}
	})
}
