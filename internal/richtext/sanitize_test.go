package richtext

import (
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<p>Hello <strong>team</strong></p>`, `<p>Hello <strong>team</strong></p>`},
		{`<script>alert(1)</script>ok`, `ok`},
		{`<a href="javascript:alert(1)">x</a>`, `x`},
		{`<a href="https://example.com/">x</a>`, `<a href="https://example.com/" rel="nofollow noopener noreferrer">x</a>`},
		{`<img src=x onerror=alert(1)>`, ``},
		{`<span class="h-card"><a href="https://h/@a" class="u-url mention">@a</a></span>`, `<span class="h-card"><a href="https://h/@a" class="u-url mention" rel="nofollow noopener noreferrer">@a</a></span>`},
		{`<span class="evil">x</span>`, `<span>x</span>`},
		{`<p style="color:red" onclick="x()">t</p>`, `<p>t</p>`},
		{`<iframe src="https://evil"></iframe>`, ``},
		{`<a href="https://h/tags/go" class="mention hashtag" rel="tag">#go</a>`, `<a href="https://h/tags/go" class="mention hashtag" rel="tag nofollow noopener noreferrer">#go</a>`},
		{`<a href="https://x/" rel="opener me" target="_blank">x</a>`, `<a href="https://x/" rel="nofollow noopener noreferrer">x</a>`},
		{`<a class="mention" rel="tag">no href</a>`, `<a class="mention">no href</a>`},
		{`<a href="https://x/?a=1&amp;b=&#34;2&#34;">x</a>`, `<a href="https://x/?a=1&amp;b=&#34;2&#34;" rel="nofollow noopener noreferrer">x</a>`},
		{`<span class="h-card" translate="no">@a</span><span translate="yes">b</span>`, `<span class="h-card" translate="no">@a</span><span>b</span>`},
		{`<p>&lt;a href=&#34;https://x/&#34;&gt;</p>`, `<p>&lt;a href=&#34;https://x/&#34;&gt;</p>`},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if strings.Contains(strings.ToLower(Sanitize(tt.in)), "javascript:") {
			t.Errorf("javascript: survived in %q", tt.in)
		}
	}
}

// TestFixLinkRels covers start tags in forms bluemonday does not write, which take
// the tokenizer path.
func TestFixLinkRels(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<p>no links</p>`, `<p>no links</p>`},
		{`<abbr>x</abbr><a>y</a>`, `<abbr>x</abbr><a>y</a>`},
		{`<a href='https://x/' rel=tag>x</a>`, `<a href="https://x/" rel="tag nofollow noopener noreferrer">x</a>`},
		{`<a href="https://x/" REL="nofollow">x</a>`, `<a href="https://x/" rel="nofollow noopener noreferrer">x</a>`},
		{`<a  href="https://x/">x</a>`, `<a href="https://x/" rel="nofollow noopener noreferrer">x</a>`},
		{`<a href="https://x/?a=1&amp;b=2" rel="me">x</a><a href="mailto:m@x">m</a>`, `<a href="https://x/?a=1&amp;b=2" rel="nofollow noopener noreferrer">x</a><a href="mailto:m@x" rel="nofollow noopener noreferrer">m</a>`},
		{`<a href="https://x/"`, `<a href="https://x/"`},
	}
	for _, tt := range tests {
		if got := fixLinkRels(tt.in); got != tt.want {
			t.Errorf("fixLinkRels(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}
