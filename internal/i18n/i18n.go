// Package i18n is Ruche's one message catalogue: every string shown to a person (pages,
// e-mails, API errors meant for people) is looked up here by key, in the member's
// language, then the browser's, then English.
package i18n

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

// Catalog holds the messages of every language, loaded once at start-up.
type Catalog struct {
	langs   []Language
	msgs    map[string]map[string]string
	matcher language.Matcher
}

// Language is one language the interface is available in.
type Language struct {
	Code string // BCP 47, e.g. "fr"
	Name string // in the language itself, e.g. "Français"
}

// Fallback is the language every other one is checked against.
const Fallback = "en"

// Load reads locales/<code>.json from fsys. Each file is a flat JSON object of key to
// fmt format; "_language" gives the language's own name. Every file must have exactly
// the keys of the English one, so a missing translation fails at start-up (and in
// tests), not in front of a person.
func Load(fsys fs.FS) (*Catalog, error) {
	files, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return nil, err
	}
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		code := strings.TrimSuffix(path.Base(f), ".json")
		if _, err := language.Parse(code); err != nil {
			return nil, fmt.Errorf("%s: not a language code: %w", f, err)
		}
		c.msgs[code] = m
		c.langs = append(c.langs, Language{Code: code, Name: m["_language"]})
	}
	en, ok := c.msgs[Fallback]
	if !ok {
		return nil, fmt.Errorf("locales: %s.json is missing", Fallback)
	}
	for code, m := range c.msgs {
		if missing, extra := diffKeys(en, m); len(missing)+len(extra) > 0 {
			return nil, fmt.Errorf("locales/%s.json: missing %v, unknown %v", code, missing, extra)
		}
	}
	// The matcher's first tag is its default, so English goes first.
	sort.Slice(c.langs, func(i, j int) bool {
		return c.langs[i].Code == Fallback || (c.langs[j].Code != Fallback && c.langs[i].Code < c.langs[j].Code)
	})
	tags := make([]language.Tag, len(c.langs))
	for i, l := range c.langs {
		tags[i] = language.MustParse(l.Code)
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

func diffKeys(want, got map[string]string) (missing, extra []string) {
	for k := range want {
		if _, ok := got[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

// Languages lists the available languages, English first.
func (c *Catalog) Languages() []Language { return c.langs }

// Has reports whether code is an available language.
func (c *Catalog) Has(code string) bool { _, ok := c.msgs[code]; return ok }

// HasKey reports whether key is in the catalogue.
func (c *Catalog) HasKey(key string) bool { _, ok := c.msgs[Fallback][key]; return ok }

// Printer returns the printer for the member's chosen language when it is available,
// else the best match of the browser's Accept-Language header, else English.
func (c *Catalog) Printer(chosen, acceptLanguage string) Printer {
	if c.Has(chosen) {
		return Printer{code: chosen, msgs: c.msgs[chosen]}
	}
	prefs, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	_, idx, conf := c.matcher.Match(prefs...)
	code := Fallback
	if conf != language.No {
		code = c.langs[idx].Code
	}
	return Printer{code: code, msgs: c.msgs[code]}
}

// Printer formats messages in one language.
type Printer struct {
	code string
	msgs map[string]string
}

// Lang is the printer's language code, for <html lang>.
func (p Printer) Lang() string { return p.code }

// T formats the message key with args. An unknown key prints as itself, which tests
// catch; it never panics in front of a person.
func (p Printer) T(key string, args ...any) string {
	f, ok := p.msgs[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

type ctxKey struct{}

// WithPrinter returns ctx carrying p, for the request's handlers.
func WithPrinter(ctx context.Context, p Printer) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the request's printer; English if none was set.
func FromContext(ctx context.Context, c *Catalog) Printer {
	if p, ok := ctx.Value(ctxKey{}).(Printer); ok {
		return p
	}
	return Printer{code: Fallback, msgs: c.msgs[Fallback]}
}
