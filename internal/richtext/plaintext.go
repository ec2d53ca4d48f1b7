package richtext

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// PlainText returns the text content of rendered HTML (for search, notifications,
// summaries), with paragraphs separated by blank lines. Line breaks (<br>) and list
// items become single newlines; other whitespace collapses to one space, except
// inside <pre>. Entities are decoded, so the result is text, not HTML: escape it
// before putting it into a page.
func PlainText(s string) string {
	var pt plainText
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0 // depth inside elements whose content is not text (script, style)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(string(pt.out))
		case html.TextToken:
			if skip == 0 {
				pt.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Template, atom.Textarea, atom.Title:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case atom.Br:
				pt.lineBreak() // browsers treat </br> as <br> too
			case atom.Pre:
				pt.breakAtLeast(2)
				if tt == html.StartTagToken {
					pt.pre++
				} else if tt == html.EndTagToken && pt.pre > 0 {
					pt.pre--
				}
			case atom.Li, atom.Tr:
				pt.breakAtLeast(1)
			case atom.P, atom.Div, atom.Blockquote, atom.Ul, atom.Ol, atom.Table,
				atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Hr:
				pt.breakAtLeast(2)
			}
		}
	}
}

// plainText accumulates text; breaks are held back until more text follows, so
// that nothing but text decides where blank lines go.
type plainText struct {
	out     []byte
	pending int  // newlines owed before the next text
	space   bool // whitespace seen since the last text
	pre     int  // depth inside <pre>
}

func (pt *plainText) breakAtLeast(n int) {
	pt.pending = max(pt.pending, n)
}

// lineBreak adds a newline even where one is already owed (<br><br> is a blank line).
func (pt *plainText) lineBreak() {
	pt.flush()
	pt.trimSpaces()
	pt.out = append(pt.out, '\n')
	pt.space = false
}

// flush writes the newlines owed, counting those already at the end of out.
func (pt *plainText) flush() {
	if pt.pending == 0 {
		return
	}
	if len(pt.out) > 0 {
		pt.trimSpaces()
		have := 0
		for i := len(pt.out) - 1; i >= 0 && pt.out[i] == '\n'; i-- {
			have++
		}
		for ; have < pt.pending; have++ {
			pt.out = append(pt.out, '\n')
		}
	}
	pt.pending = 0
	pt.space = false
}

func (pt *plainText) trimSpaces() {
	for len(pt.out) > 0 && pt.out[len(pt.out)-1] == ' ' {
		pt.out = pt.out[:len(pt.out)-1]
	}
}

func (pt *plainText) text(s string) {
	if pt.pre > 0 {
		pt.flush()
		pt.out = append(pt.out, s...)
		return
	}
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && !isHTMLSpace(s[j]) {
			j++
		}
		if j > i {
			if pt.pending > 0 {
				pt.flush()
			} else if pt.space && !atLineStart(pt.out) {
				pt.out = append(pt.out, ' ')
			}
			pt.space = false
			pt.out = append(pt.out, s[i:j]...)
		}
		for j < len(s) && isHTMLSpace(s[j]) {
			pt.space = true
			j++
		}
		i = j
	}
}

func atLineStart(out []byte) bool {
	return len(out) == 0 || out[len(out)-1] == '\n'
}

// isHTMLSpace reports ASCII whitespace as HTML defines it; other spaces (NBSP) are text.
func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}
