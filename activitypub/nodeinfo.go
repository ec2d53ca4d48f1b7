package activitypub

// NodeInfo (nodeinfo.diaspora.software) tells other servers what software an instance
// runs. Ruche serves it without people counts unless the operator chooses otherwise —
// how many people a company has is the company's business — so every count here is a
// pointer, and nil is not written.
const (
	NodeInfoPath  = "/.well-known/nodeinfo"
	NodeInfoRel20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
	NodeInfoRel21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
)

// NodeInfoIndex is the document at NodeInfoPath: where the NodeInfo documents are, one
// Link (Rel and Href) per schema version.
type NodeInfoIndex struct {
	Links []Link `json:"links"`
}

// NodeInfoLink returns the index entry for the document of the given schema version
// ("2.0" or "2.1") served at href.
func NodeInfoLink(version, href string) Link {
	return Link{Rel: "http://nodeinfo.diaspora.software/ns/schema/" + version, Href: href}
}

// Find returns the href of the newest NodeInfo version the index offers that this
// package models, and that version; ok is false when it offers neither 2.1 nor 2.0.
func (ix NodeInfoIndex) Find() (href, version string, ok bool) {
	for _, want := range []struct{ rel, version string }{{NodeInfoRel21, "2.1"}, {NodeInfoRel20, "2.0"}} {
		for _, l := range ix.Links {
			if l.Rel == want.rel && l.Href != "" {
				return l.Href, want.version, true
			}
		}
	}
	return "", "", false
}

// NodeInfoContentType is the Content-Type of a NodeInfo document of the given version.
func NodeInfoContentType(version string) string {
	return `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/` + version + `#"`
}

// NodeInfo is a NodeInfo 2.0 or 2.1 document; Version says which. Every property the
// schemas require is always written: nil Protocols and service lists as [], nil
// Metadata as {}, Usage.Users as {} when it holds no count.
type NodeInfo struct {
	Version           string         `json:"version"`
	Software          Software       `json:"software"`
	Protocols         []string       `json:"protocols"` // "activitypub" for Ruche
	Services          Services       `json:"services"`
	OpenRegistrations bool           `json:"openRegistrations"`
	Usage             Usage          `json:"usage"`
	Metadata          map[string]any `json:"metadata"`
}

// Software names the server software. Name must match ^[a-z0-9-]+$; Repository and
// Homepage exist in 2.1 only.
type Software struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository,omitempty"`
	Homepage   string `json:"homepage,omitempty"`
}

// Services lists third-party sites the server reads from and posts to (none, for Ruche).
type Services struct {
	Inbound  []string `json:"inbound"`
	Outbound []string `json:"outbound"`
}

// Usage holds the optional statistics; nil is "not disclosed" and is not written.
type Usage struct {
	Users         Users `json:"users"`
	LocalPosts    *int  `json:"localPosts,omitempty"`
	LocalComments *int  `json:"localComments,omitempty"`
}

// Users counts people, each count optional.
type Users struct {
	Total          *int `json:"total,omitempty"`
	ActiveHalfyear *int `json:"activeHalfyear,omitempty"`
	ActiveMonth    *int `json:"activeMonth,omitempty"`
}

// MarshalJSON writes n with the required properties present even when empty.
func (n NodeInfo) MarshalJSON() ([]byte, error) {
	type plain NodeInfo // without this method
	p := plain(n)
	if p.Protocols == nil {
		p.Protocols = []string{}
	}
	if p.Services.Inbound == nil {
		p.Services.Inbound = []string{}
	}
	if p.Services.Outbound == nil {
		p.Services.Outbound = []string{}
	}
	if p.Metadata == nil {
		p.Metadata = map[string]any{}
	}
	return marshal(p)
}
