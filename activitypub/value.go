package activitypub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// Bounds on a document from elsewhere. An activity or an actor is a few kilobytes; a
// collection page of embedded activities rarely reaches a hundred. Nesting is bounded
// because every level of an embedded object is scanned again: an Announce of a Create
// of a Note with tags is five levels deep.
const (
	MaxDocumentSize = 1 << 20
	MaxDepth        = 16
)

// Errors of Decode and ReadObject that a caller may want to tell apart (e.g. 413).
var (
	ErrTooLarge = errors.New("activitypub: document too large")
	ErrTooDeep  = errors.New("activitypub: document nested too deeply")
)

// Ref is the value of a property that names one other object: by its IRI, or embedded
// (Object is then set, and IRI is its id — or its href for an anonymous Link). On input
// it may arrive as a string, an object, or an array holding one of those; an array of
// several is refused as ambiguous. On output an embedded Object is written whole,
// otherwise IRI as a string.
type Ref struct {
	IRI    string
	Object *Object
}

// IRI returns a Ref that names an object by its IRI.
func IRI(iri string) Ref { return Ref{IRI: iri} }

// Embed returns a Ref that carries o itself. A nil o gives the zero Ref.
func Embed(o *Object) Ref {
	if o == nil {
		return Ref{}
	}
	return Ref{IRI: o.ID, Object: o}
}

// IsZero reports whether the property is absent.
func (r Ref) IsZero() bool { return r.IRI == "" && r.Object == nil }

// MarshalJSON writes the embedded object, or else the IRI as a string.
func (r Ref) MarshalJSON() ([]byte, error) {
	if r.Object != nil {
		return r.Object.MarshalJSON()
	}
	return marshal(r.IRI)
}

// UnmarshalJSON reads a string, an object, null, or an array of at most one of those.
// Like Object.UnmarshalJSON, it bounds neither size nor depth.
func (r *Ref) UnmarshalJSON(data []byte) (err error) {
	if !json.Valid(data) {
		return errors.New("activitypub: invalid JSON")
	}
	*r, err = decodeRef(bytes.TrimSpace(data))
	return err
}

// Refs is the value of a property that may name several objects (tag, attachment, url,
// items…). On input a single string or object is a list of one; nulls are skipped.
type Refs []Ref

// IRIs returns the non-empty IRIs of rs, in order.
func (rs Refs) IRIs() []string {
	var iris []string
	for _, r := range rs {
		if r.IRI != "" {
			iris = append(iris, r.IRI)
		}
	}
	return iris
}

// One returns the single value of rs; ok is false when rs holds none or several — an
// author given twice is a question the caller must not answer by picking one.
func (rs Refs) One() (r Ref, ok bool) {
	if len(rs) != 1 {
		return Ref{}, false
	}
	return rs[0], true
}

// UnmarshalJSON reads a string, an object, null, or an array of strings and objects.
func (rs *Refs) UnmarshalJSON(data []byte) (err error) {
	if !json.Valid(data) {
		return errors.New("activitypub: invalid JSON")
	}
	*rs, err = decodeRefs(bytes.TrimSpace(data))
	return err
}

// Decode reads one top-level ActivityStreams document of at most MaxDocumentSize bytes
// and MaxDepth levels. The document must be a JSON object with a type; duplicate keys,
// ill-typed known properties and several values where one is expected are errors.
func Decode(data []byte) (*Object, error) {
	if len(data) > MaxDocumentSize {
		return nil, ErrTooLarge
	}
	return decode(data)
}

// ReadObject reads and decodes a document from r, refusing it with ErrTooLarge as soon
// as it passes limit bytes (MaxDocumentSize when limit <= 0). It does not close r.
func ReadObject(r io.Reader, limit int64) (*Object, error) {
	if limit <= 0 {
		limit = MaxDocumentSize
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("activitypub: read: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, ErrTooLarge
	}
	return decode(data)
}

func decode(data []byte) (*Object, error) {
	if err := checkDepth(data, MaxDepth); err != nil {
		return nil, err
	}
	if !json.Valid(data) {
		return nil, errors.New("activitypub: decode: invalid JSON")
	}
	o := new(Object)
	if err := o.decode(bytes.TrimSpace(data)); err != nil {
		return nil, fmt.Errorf("activitypub: decode: %w", err)
	}
	if o.Type == "" {
		return nil, errors.New("activitypub: decode: the document has no type")
	}
	return o, nil
}

// checkDepth refuses data nested deeper than max arrays and objects, before anything
// recursive sees it. Invalid JSON passes here and is refused by the decoder.
func checkDepth(data []byte, max int) error {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if depth++; depth > max {
				return ErrTooDeep
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// UnmarshalJSON decodes any ActivityStreams object leniently (see the package doc).
// It bounds neither size nor depth: use Decode or ReadObject for a whole document.
func (o *Object) UnmarshalJSON(data []byte) error {
	if !json.Valid(data) {
		return errors.New("activitypub: invalid JSON")
	}
	return o.decode(bytes.TrimSpace(data))
}

// decode fills o from v, a valid JSON value. Unknown properties are copied into Extra,
// so that o never shares memory with the caller's buffer.
func (o *Object) decode(v []byte) error {
	*o = Object{}
	seen := make(map[string]bool, 16)
	return eachMember(v, func(key string, v []byte) error {
		if seen[key] {
			return fmt.Errorf("duplicate property %q", key)
		}
		seen[key] = true
		if key == "@context" {
			return nil // Marshal writes its own; a received one changes nothing here
		}
		decode, known := fields[key]
		if !known {
			if o.Extra == nil {
				o.Extra = make(map[string]json.RawMessage)
			}
			o.Extra[key] = bytes.Clone(v)
			return nil
		}
		if v[0] == 'n' {
			return nil // null is absent
		}
		if err := decode(o, v); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		return nil
	})
}

// Marshal writes o as a top-level document: Ruche's @context first, then o's properties
// in a fixed order, then Extra sorted by key. Embedded objects carry no @context. HTML
// in content is not escaped, so the bytes are what a reader of the JSON would expect.
func Marshal(o *Object) ([]byte, error) {
	if o == nil || o.Type == "" {
		return nil, errors.New("activitypub: marshal: a document needs a type")
	}
	body, err := o.MarshalJSON()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+len(contextJSON)+16)
	out = append(out, `{"@context":`...)
	out = append(out, contextJSON...)
	if len(body) > 2 {
		out = append(out, ',')
		return append(out, body[1:]...), nil
	}
	return append(out, '}'), nil
}

// marshal is json.Marshal without HTML escaping, which would turn every tag of
// Content into \u003c…\u003e.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

var (
	errShape     = errors.New("want an IRI, an object or an array of them")
	errMalformed = errors.New("malformed JSON") // only if a caller skipped validation
)

// The decoders below take a valid JSON value with no surrounding space.

func decodeRef(v []byte) (Ref, error) {
	switch v[0] {
	case 'n':
		return Ref{}, nil
	case '"':
		s, err := decodeString(v)
		return Ref{IRI: s}, err
	case '{':
		o := new(Object)
		if err := o.decode(v); err != nil {
			return Ref{}, err
		}
		r := Ref{IRI: o.ID, Object: o}
		if r.IRI == "" {
			r.IRI = o.Href
		}
		return r, nil
	case '[':
		rs, err := decodeRefs(v)
		if err != nil || len(rs) == 0 {
			return Ref{}, err
		}
		if len(rs) > 1 {
			return Ref{}, errors.New("several values where one is expected")
		}
		return rs[0], nil
	}
	return Ref{}, errShape
}

func decodeRefs(v []byte) (Refs, error) {
	if v[0] != '[' {
		r, err := decodeRef(v)
		if err != nil || r.IsZero() {
			return nil, err
		}
		return Refs{r}, nil
	}
	var rs Refs
	err := eachElement(v, func(item []byte) error {
		if item[0] == '[' {
			return errors.New("an array inside an array")
		}
		r, err := decodeRef(item)
		if err == nil && !r.IsZero() {
			rs = append(rs, r)
		}
		return err
	})
	return rs, err
}

// decodeType takes a string, or the first known type of an array of strings (the
// first of all when none is known).
func decodeType(v []byte) (string, error) {
	if v[0] != '[' {
		return decodeString(v)
	}
	var first, known string
	err := eachElement(v, func(item []byte) error {
		t, err := decodeString(item)
		if first == "" {
			first = t
		}
		if known == "" && KnownType(t) {
			known = t
		}
		return err
	})
	if known != "" {
		return known, err
	}
	return first, err
}

// decodeTime reads an RFC 3339 time, in UTC, refusing years Marshal could not write.
func decodeTime(v []byte) (time.Time, error) {
	s, err := decodeString(v)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	t = t.UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		return time.Time{}, errors.New("time out of range")
	}
	return t, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// decodePublicKey reads a key object, a key IRI, or an array of one key.
func decodePublicKey(v []byte) (*PublicKey, error) {
	switch v[0] {
	case '"':
		id, err := decodeString(v)
		return &PublicKey{ID: id}, err
	case '[':
		var keys [][]byte
		if err := eachElement(v, func(k []byte) error { keys = append(keys, k); return nil }); err != nil {
			return nil, err
		}
		if len(keys) != 1 || keys[0][0] == '[' {
			return nil, errors.New("want exactly one key")
		}
		return decodePublicKey(keys[0])
	case '{':
		k := new(PublicKey)
		err := eachMember(v, func(key string, v []byte) (err error) {
			switch {
			case v[0] == 'n':
			case key == "id":
				k.ID, err = decodeIRI(v)
			case key == "owner":
				k.Owner, err = decodeIRI(v)
			case key == "publicKeyPem":
				k.PublicKeyPem, err = decodeString(v)
			}
			return err
		})
		return k, err
	}
	return nil, errShape
}

// decodeEndpoints keeps endpoints.sharedInbox; an endpoints IRI says nothing usable.
func decodeEndpoints(v []byte) (shared string, err error) {
	if v[0] != '{' {
		return "", nil
	}
	err = eachMember(v, func(key string, v []byte) (err error) {
		if key == "sharedInbox" && v[0] != 'n' {
			shared, err = decodeIRI(v)
		}
		return err
	})
	return shared, err
}

func decodeIRI(v []byte) (string, error) {
	r, err := decodeRef(v)
	return r.IRI, err
}

func decodeTextMap(v []byte) (map[string]string, error) {
	if v[0] != '{' {
		return nil, errors.New("want an object")
	}
	m := make(map[string]string)
	err := eachMember(v, func(lang string, v []byte) (err error) {
		if v[0] != 'n' {
			m[lang], err = decodeString(v)
		}
		return err
	})
	return m, err
}

func decodeString(v []byte) (string, error) {
	if v[0] != '"' {
		return "", errors.New("want a string")
	}
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return string(s), nil
	}
	var out string
	err := json.Unmarshal(v, &out) // escapes, and invalid UTF-8 replaced as usual
	return out, err
}

func decodeBool(v []byte) (bool, error) {
	switch string(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errors.New("want a boolean")
}

func decodeInt(v []byte) (int, error) {
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, errors.New("want an integer")
	}
	return n, nil
}

// eachMember calls f with each key and value of the object v (valid JSON), values
// without surrounding space, stopping at the first error.
func eachMember(v []byte, f func(key string, v []byte) error) error {
	if len(v) == 0 || v[0] != '{' {
		return errors.New("want a JSON object")
	}
	for i := skipSpace(v, 1); i < len(v) && v[i] != '}'; {
		end := valueEnd(v, i)
		if end <= i+1 || v[i] != '"' {
			return errMalformed
		}
		key, err := decodeString(v[i:end])
		if err != nil {
			return err
		}
		i = skipSpace(v, skipSpace(v, end)+1) // past ':'
		if end = valueEnd(v, i); end <= i {
			return errMalformed
		}
		if err := f(key, v[i:end]); err != nil {
			return err
		}
		i = skipSpace(v, end)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	return nil
}

// eachElement calls f with each element of the array v (valid JSON).
func eachElement(v []byte, f func(item []byte) error) error {
	for i := skipSpace(v, 1); i < len(v) && v[i] != ']'; {
		end := valueEnd(v, i)
		if end <= i {
			return errMalformed
		}
		if err := f(v[i:end]); err != nil {
			return err
		}
		i = skipSpace(v, end)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	return nil
}

func skipSpace(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value that starts at v[i]; v is valid.
func valueEnd(v []byte, i int) int {
	depth, inString := 0, false
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case inString && c == '\\':
			i++
		case inString:
			if c == '"' {
				inString = false
				if depth == 0 {
					return i + 1
				}
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				return i // the end of a number or literal that closes its container
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':'):
			return i
		}
	}
	return len(v)
}
