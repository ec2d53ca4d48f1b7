package activitypub

import (
	"encoding/json"
	"testing"
)

// TestNodeInfoPrivate: without counts, the document is the one internal/mastoapi serves
// today, property for property: required lists and objects present and empty, no number
// that tells how many people work at the company.
func TestNodeInfoPrivate(t *testing.T) {
	n := NodeInfo{
		Version:   "2.0",
		Software:  Software{Name: "ruche", Version: "0.4.0"},
		Protocols: []string{"activitypub"},
		Metadata:  map[string]any{"nodeName": "Acme", "private": true},
	}
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":"2.0","software":{"name":"ruche","version":"0.4.0"},"protocols":["activitypub"],` +
		`"services":{"inbound":[],"outbound":[]},"openRegistrations":false,"usage":{"users":{}},` +
		`"metadata":{"nodeName":"Acme","private":true}}`
	eq(t, "NodeInfo", string(b), want)

	b, _ = json.Marshal(NodeInfo{Version: "2.1"})
	eq(t, "empty NodeInfo", string(b), `{"version":"2.1","software":{"name":"","version":""},"protocols":[],`+
		`"services":{"inbound":[],"outbound":[]},"openRegistrations":false,"usage":{"users":{}},"metadata":{}}`)
}

func TestNodeInfoCounts(t *testing.T) {
	n := NodeInfo{
		Version:   "2.1",
		Software:  Software{Name: "ruche", Version: "0.4.0", Repository: "https://example.org/ruche"},
		Protocols: []string{"activitypub"},
		Usage:     Usage{Users: Users{Total: Int(2), ActiveMonth: Int(0), ActiveHalfyear: Int(2)}, LocalPosts: Int(7)},
	}
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":"2.1","software":{"name":"ruche","version":"0.4.0","repository":"https://example.org/ruche"},` +
		`"protocols":["activitypub"],"services":{"inbound":[],"outbound":[]},"openRegistrations":false,` +
		`"usage":{"users":{"total":2,"activeHalfyear":2,"activeMonth":0},"localPosts":7},"metadata":{}}`
	eq(t, "NodeInfo", string(b), want)

	// What a remote server publishes reads back, counts and all.
	var back NodeInfo
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	eq(t, "total", *back.Usage.Users.Total, 2)
	eq(t, "activeMonth", *back.Usage.Users.ActiveMonth, 0)
	eq(t, "localComments", back.Usage.LocalComments, nil)
}

func TestNodeInfoIndex(t *testing.T) {
	ix := NodeInfoIndex{Links: []Link{NodeInfoLink("2.0", "https://r.example/nodeinfo/2.0")}}
	b, _ := json.Marshal(ix)
	eq(t, "index", string(b), `{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"https://r.example/nodeinfo/2.0"}]}`)

	tests := []struct {
		name          string
		links         []Link
		href, version string
		ok            bool
	}{
		{"2.0 only", ix.Links, "https://r.example/nodeinfo/2.0", "2.0", true},
		{"2.1 preferred whatever the order", []Link{
			{Rel: NodeInfoRel20, Href: "https://m.example/nodeinfo/2.0"},
			{Rel: NodeInfoRel21, Href: "https://m.example/nodeinfo/2.1"},
		}, "https://m.example/nodeinfo/2.1", "2.1", true},
		{"unknown versions only", []Link{{Rel: "http://nodeinfo.diaspora.software/ns/schema/1.0", Href: "https://x/1.0"}}, "", "", false},
		{"no href", []Link{{Rel: NodeInfoRel21}}, "", "", false},
		{"none", nil, "", "", false},
	}
	for _, tt := range tests {
		href, version, ok := NodeInfoIndex{Links: tt.links}.Find()
		if href != tt.href || version != tt.version || ok != tt.ok {
			t.Errorf("%s: Find = %q, %q, %v; want %q, %q, %v", tt.name, href, version, ok, tt.href, tt.version, tt.ok)
		}
	}
	eq(t, "content type", NodeInfoContentType("2.0"), `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"`)
	eq(t, "rel constants agree", NodeInfoLink("2.1", "").Rel, NodeInfoRel21)
}
