// Package apispec validates JSON responses against Mastodon's OpenAPI description
// (testdata/mastodon-openapi.json, OpenAPI 3.1 for Mastodon 4.7, embedded), with a
// JSON Schema 2020-12 validator. It is ordinary code but only tests use it: a client
// API response that fails its schema breaks real apps.
//
// The whole OpenAPI document is loaded as one JSON Schema resource under a fixed URL,
// so the schemas' $refs to #/components/... resolve inside it; OpenAPI-only keywords
// (example, discriminator, externalDocs, xml, ...) are unknown to JSON Schema and
// ignored. Formats asserted: date-time and date (RFC 3339), and uri (absolute URI)
// except that "" is accepted, as Mastodon itself sends "" for unset URLs such as a
// preview card's author_url. email and iso-639-1 are not asserted: Mastodon sends ""
// for an unset contact email and languages outside ISO 639-1 (e.g. "ast", "tok").
package apispec

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed testdata/mastodon-openapi.json
var specJSON []byte

// docURL is the fixed URL the OpenAPI document is loaded under.
const docURL = "https://ruche.invalid/mastodon-openapi.json"

// maxErrorLines caps the lines of a validation error, so a test failure stays readable.
const maxErrorLines = 12

type spec struct {
	schemas   map[string]*jsonschema.Schema // components/schemas by name
	responses map[string]*jsonschema.Schema // "METHOD template status" → application/json schema
	ops       map[string]map[string]any     // template → lower-case method → operation
	templates [][]string                    // path templates split on "/"
}

var (
	loadOnce sync.Once
	loaded   *spec
	loadErr  error
)

func get() (*spec, error) {
	loadOnce.Do(func() { loaded, loadErr = load() })
	return loaded, loadErr
}

func load() (*spec, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(specJSON))
	if err != nil {
		return nil, fmt.Errorf("apispec: parse embedded spec: %w", err)
	}
	root, _ := doc.(map[string]any)
	comps, _ := root["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	paths, _ := root["paths"].(map[string]any)
	if len(schemas) == 0 || len(paths) == 0 {
		return nil, errors.New("apispec: embedded spec has no components/schemas or paths")
	}

	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "uri", Validate: validateURI})
	c.RegisterFormat(&jsonschema.Format{Name: "email", Validate: func(any) error { return nil }})
	if err := c.AddResource(docURL, doc); err != nil {
		return nil, fmt.Errorf("apispec: load spec: %w", err)
	}
	compile := func(ptr ...string) (*jsonschema.Schema, error) {
		loc := docURL + "#" + pointer(ptr...)
		sch, err := c.Compile(loc)
		if err != nil {
			return nil, fmt.Errorf("apispec: compile %s: %w", pointer(ptr...), err)
		}
		return sch, nil
	}

	s := &spec{
		schemas:   map[string]*jsonschema.Schema{},
		responses: map[string]*jsonschema.Schema{},
		ops:       map[string]map[string]any{},
	}
	for name := range schemas {
		if s.schemas[name], err = compile("components", "schemas", name); err != nil {
			return nil, err
		}
	}
	for tmpl, item := range paths {
		item, _ := item.(map[string]any)
		s.ops[tmpl] = map[string]any{}
		s.templates = append(s.templates, strings.Split(tmpl, "/"))
		for method, op := range item {
			op, ok := op.(map[string]any)
			if !ok || !isMethod(method) {
				continue
			}
			s.ops[tmpl][method] = op
			resps, _ := op["responses"].(map[string]any)
			for code, r := range resps {
				r, _ := r.(map[string]any)
				content, _ := r["content"].(map[string]any)
				mt, _ := content["application/json"].(map[string]any)
				if _, ok := mt["schema"]; !ok {
					continue
				}
				sch, err := compile("paths", tmpl, method, "responses", code, "content", "application/json", "schema")
				if err != nil {
					return nil, err
				}
				s.responses[strings.ToUpper(method)+" "+tmpl+" "+code] = sch
			}
		}
	}
	return s, nil
}

func isMethod(m string) bool {
	switch m {
	case "get", "put", "post", "delete", "options", "head", "patch", "trace":
		return true
	}
	return false
}

// pointer builds a URL fragment holding the JSON pointer to tokens.
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		t = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
		b.WriteByte('/')
		b.WriteString(url.PathEscape(t))
	}
	return b.String()
}

// validateURI accepts "" (Mastodon's value for an unset URL) and absolute URIs.
func validateURI(v any) error {
	s, ok := v.(string)
	if !ok || s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if !u.IsAbs() {
		return errors.New("not an absolute URI")
	}
	return nil
}

// ErrNotInSpec is wrapped by the errors of Schema and Response when the schema,
// operation or status asked for is not in the spec.
var ErrNotInSpec = errors.New("not in the Mastodon spec")

// ErrNoSchema is wrapped by Response's error when the spec lists the response but
// gives it no application/json schema: Mastodon's "Empty" ({}) responses, streaming,
// GET /api/v1/preferences (use Schema("Preferences", body) there), and a few more.
var ErrNoSchema = errors.New("no application/json schema in the Mastodon spec")

// Schema validates body against #/components/schemas/<name> of the spec, e.g.
// "Status", "Account", "Instance", "Error".
func Schema(name string, body []byte) error {
	s, err := get()
	if err != nil {
		return err
	}
	sch, ok := s.schemas[name]
	if !ok {
		return fmt.Errorf("apispec: schema %q: %w (components/schemas)", name, ErrNotInSpec)
	}
	return validate(sch, name, body)
}

// Response validates body as the application/json response with the given status of
// the operation method pathTemplate, pathTemplate written as in the spec (e.g.
// "/api/v1/statuses/{id}"); a concrete path without "{" is matched with MatchPath.
// If the spec lists no response for status, its "default" response (or "2XX"-style
// range) is used. On success the operation is recorded for Covered.
func Response(method, pathTemplate string, status int, body []byte) error {
	s, err := get()
	if err != nil {
		return err
	}
	m := strings.ToUpper(method)
	tmpl := pathTemplate
	op := s.ops[tmpl][strings.ToLower(method)]
	if op == nil && !strings.Contains(tmpl, "{") {
		if t, ok := MatchPath(method, tmpl); ok {
			tmpl = t
			op = s.ops[tmpl][strings.ToLower(method)]
		}
	}
	if op == nil {
		if ms := s.ops[tmpl]; ms != nil {
			return fmt.Errorf("apispec: %s %s: %w (the path has %s)", m, tmpl, ErrNotInSpec, methodsOf(ms))
		}
		return fmt.Errorf("apispec: %s %s: %w", m, pathTemplate, ErrNotInSpec)
	}
	resps, _ := op.(map[string]any)["responses"].(map[string]any)
	code := strconv.Itoa(status)
	if _, ok := resps[code]; !ok {
		switch {
		case resps[code[:1]+"XX"] != nil:
			code = code[:1] + "XX"
		case resps["default"] != nil:
			code = "default"
		default:
			codes := make([]string, 0, len(resps))
			for c := range resps {
				codes = append(codes, c)
			}
			sort.Strings(codes)
			return fmt.Errorf("apispec: %s %s status %d: %w (it has %s)", m, tmpl, status, ErrNotInSpec, strings.Join(codes, ", "))
		}
	}
	sch := s.responses[m+" "+tmpl+" "+code]
	if sch == nil {
		return fmt.Errorf("apispec: %s %s status %d: %w", m, tmpl, status, ErrNoSchema)
	}
	if err := validate(sch, fmt.Sprintf("%s %s %d", m, tmpl, status), body); err != nil {
		return err
	}
	Record(m, tmpl)
	return nil
}

func methodsOf(ms map[string]any) string {
	var l []string
	for k := range ms {
		l = append(l, strings.ToUpper(k))
	}
	sort.Strings(l)
	return strings.Join(l, ", ")
}

// MatchPath maps a concrete request path (e.g. "/api/v1/statuses/123/favourite") to
// the spec's path template that has an operation for method (here
// "/api/v1/statuses/{id}/favourite"). A query string is ignored. When several
// templates match, the one with a literal segment where the others have a parameter,
// earliest from the left, wins: /api/v1/accounts/verify_credentials over
// /api/v1/accounts/{id}.
func MatchPath(method, concretePath string) (template string, ok bool) {
	s, err := get()
	if err != nil {
		return "", false
	}
	if i := strings.IndexAny(concretePath, "?#"); i >= 0 {
		concretePath = concretePath[:i]
	}
	segs := strings.Split(concretePath, "/")
	m := strings.ToLower(method)
	var best []string
	for _, t := range s.templates {
		if len(t) != len(segs) || s.ops[strings.Join(t, "/")][m] == nil || !segmentsMatch(t, segs) {
			continue
		}
		if best == nil || moreLiteral(t, best) {
			best = t
		}
	}
	if best == nil {
		return "", false
	}
	return strings.Join(best, "/"), true
}

func isParam(seg string) bool {
	return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}")
}

func segmentsMatch(tmpl, segs []string) bool {
	for i, t := range tmpl {
		if isParam(t) {
			if segs[i] == "" {
				return false
			}
		} else if t != segs[i] {
			return false
		}
	}
	return true
}

// moreLiteral reports whether template a has, at the first segment where a and b
// differ in kind, a literal where b has a parameter.
func moreLiteral(a, b []string) bool {
	for i := range a {
		pa, pb := isParam(a[i]), isParam(b[i])
		if pa != pb {
			return !pa
		}
	}
	return false
}

// Operations lists every operation of the spec as "METHOD template", sorted.
func Operations() []string {
	s, err := get()
	if err != nil {
		return nil
	}
	var l []string
	for t, ms := range s.ops {
		for m := range ms {
			l = append(l, strings.ToUpper(m)+" "+t)
		}
	}
	sort.Strings(l)
	return l
}

var (
	coverMu sync.Mutex
	covered = map[string]bool{}
)

// Record notes that a response of method template was validated. Response calls it on
// success.
func Record(method, template string) {
	coverMu.Lock()
	defer coverMu.Unlock()
	covered[strings.ToUpper(method)+" "+template] = true
}

// Covered lists the operations recorded so far as "METHOD template", sorted.
func Covered() []string {
	coverMu.Lock()
	defer coverMu.Unlock()
	l := make([]string, 0, len(covered))
	for k := range covered {
		l = append(l, k)
	}
	sort.Strings(l)
	return l
}
