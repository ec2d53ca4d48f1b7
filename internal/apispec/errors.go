package apispec

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// validate parses body and validates it against sch; what names the schema or
// operation in the error.
func validate(sch *jsonschema.Schema, what string, body []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("apispec: %s: body is not JSON: %v", what, err)
	}
	err = sch.Validate(v)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return &Error{What: what, Lines: errorLines(ve)}
	}
	return err
}

// Error is a failed validation: one line per problem, each naming the JSON pointer
// into the body and what was wrong, nested under oneOf/anyOf alternatives.
type Error struct {
	What  string   // schema name, or "METHOD template status"
	Lines []string // all lines; Error() shows the first maxErrorLines
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apispec: %s does not match the spec:", e.What)
	for i, l := range e.Lines {
		if i == maxErrorLines {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Lines)-i)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(l)
	}
	return b.String()
}

// errorLines flattens the error tree, dropping the nodes that only say "validation
// failed" ($ref, allOf, the root) and keeping oneOf/anyOf with their alternatives
// indented below them.
func errorLines(ve *jsonschema.ValidationError) []string {
	var lines []string
	var walk func(e *jsonschema.ValidationError, depth int)
	walk = func(e *jsonschema.ValidationError, depth int) {
		// Causes come in map order; sort them by location for a stable message.
		sort.SliceStable(e.Causes, func(i, j int) bool {
			return slices.Compare(e.Causes[i].InstanceLocation, e.Causes[j].InstanceLocation) < 0
		})
		switch e.ErrorKind.(type) {
		case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
			for _, c := range e.Causes {
				walk(c, depth)
			}
			return
		}
		loc := "(root)"
		if len(e.InstanceLocation) > 0 {
			loc = "/" + strings.Join(escapeTokens(e.InstanceLocation), "/")
		}
		lines = append(lines, fmt.Sprintf("%sat %s: %s", strings.Repeat("  ", depth), loc, e.ErrorKind.LocalizedString(printer)))
		for _, c := range e.Causes {
			walk(c, depth+1)
		}
	}
	walk(ve, 0)
	return lines
}

func escapeTokens(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return out
}
