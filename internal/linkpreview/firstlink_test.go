package linkpreview

import "testing"

func TestFirstLink(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
		ok       bool
	}{
		{"rendered post: mention then link",
			`<p><span class="h-card" translate="no"><a href="https://ruche.example/@alice" class="u-url mention" rel="nofollow noopener noreferrer">@<span>alice</span></a></span> look <a href="https://example.com/a?b=c&amp;d=e" rel="nofollow noopener noreferrer">example.com/a</a> and <a href="https://second.example/">2</a></p>`,
			"https://example.com/a?b=c&d=e", true},
		{"hashtag first",
			`<p><a href="https://ruche.example/tags/go" class="mention hashtag" rel="tag nofollow noopener noreferrer">#<span>go</span></a> <a href="http://example.org/">x</a></p>`,
			"http://example.org/", true},
		{"tag rel without class",
			`<p><a href="https://other.example/tags/go" rel="tag">#go</a> <a href="https://example.net/">x</a></p>`,
			"https://example.net/", true},
		{"quote-inline link skipped",
			`<p class="quote-inline">RE: <a href="https://remote.example/post/1">remote.example/post/1</a></p><p>hi <a href="https://example.com/">e</a></p>`,
			"https://example.com/", true},
		{"non-http links skipped",
			`<p><a href="mailto:a@example.com">mail</a> <a href="javascript:alert(1)">js</a> <a href="/relative">rel</a> <a href="HTTPS://Example.COM/Path">ok</a></p>`,
			"https://Example.COM/Path", true},
		{"only mentions", `<p><a href="https://ruche.example/@bob" class="u-url mention">@bob</a></p>`, "", false},
		{"URL as text inside HTML is not a link", `<p><code>https://example.com/not-linked</code></p>`, "", false},
		{"plain text", "look at https://example.com/path, nice", "https://example.com/path", true},
		{"plain text in parentheses", "(see https://en.wikipedia.org/wiki/Go_(language)) and http://b.example", "https://en.wikipedia.org/wiki/Go_(language)", true},
		{"plain text sentence end", "Read http://example.com/x.", "http://example.com/x", true},
		{"plain text with a less-than sign", "1 < 2 https://example.com/lt", "https://example.com/lt", true},
		{"plain text without URL", "nothing here: ftp://files.example/", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		got, ok := FirstLink(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: FirstLink = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
