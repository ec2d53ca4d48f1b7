package activitypub

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// WebFinger (RFC 7033) turns a handle, acct:alice@example.com, into an actor IRI. It is
// the first request made to an unknown name, so its parser is strict: whatever it
// accepts ends up in a URL Ruche fetches.
const (
	WebFingerPath  = "/.well-known/webfinger"
	JRDContentType = "application/jrd+json"
	RelSelf        = "self"
	RelProfilePage = "http://webfinger.net/rel/profile-page"
	MaxJRDSize     = 64 << 10 // a JRD is a few hundred bytes
)

const (
	acctPrefix     = "acct:"
	maxUserLength  = 255
	maxHostLength  = 253
	maxLabelLength = 63
)

// JRD is a JSON Resource Descriptor (RFC 7033 §4.4), as served at WebFingerPath.
// Properties and titles are not modelled: Ruche neither sends nor reads them.
type JRD struct {
	Subject string   `json:"subject"`
	Aliases []string `json:"aliases,omitempty"`
	Links   []Link   `json:"links,omitempty"`
}

// Link is a link of a JRD, or of the NodeInfo discovery document.
type Link struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

// Acct is a parsed acct: URI (RFC 7565). Host is lowercase and may carry a port, for
// development instances such as alpha.localhost:8080.
type Acct struct {
	User string
	Host string
}

// String returns the acct: URI.
func (a Acct) String() string { return acctPrefix + a.User + "@" + a.Host }

// ParseAcct parses "acct:user@host" and nothing else: no missing scheme, no leading
// "@", no percent-encoding, no second "@", no path, query or fragment. The user is made
// of letters, digits and "._~-" — or is the host itself, port included, which is how
// Mastodon (and Ruche) name the instance actor. The host is a DNS name, lowercased,
// with an optional port; IP literals in brackets are refused.
func ParseAcct(resource string) (Acct, error) {
	rest, ok := strings.CutPrefix(resource, acctPrefix)
	if !ok {
		return Acct{}, fmt.Errorf("activitypub: %q is not an acct: URI", resource)
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return Acct{}, fmt.Errorf("activitypub: %q has no host", resource)
	}
	user, host := rest[:at], strings.ToLower(rest[at+1:])
	if err := checkHost(host); err != nil {
		return Acct{}, fmt.Errorf("activitypub: %q: %w", resource, err)
	}
	if strings.ToLower(user) != host {
		if err := checkUser(user); err != nil {
			return Acct{}, fmt.Errorf("activitypub: %q: %w", resource, err)
		}
	} else {
		user = host
	}
	return Acct{User: user, Host: host}, nil
}

func checkUser(user string) error {
	if user == "" || len(user) > maxUserLength {
		return errors.New("bad user name length")
	}
	for i := 0; i < len(user); i++ {
		c := user[i]
		if !isAlnum(c) && !strings.ContainsRune("._~-", rune(c)) {
			return fmt.Errorf("character %q not allowed in a user name", c)
		}
	}
	return nil
}

// checkHost accepts a lowercase DNS name with an optional port.
func checkHost(host string) error {
	name, port, hasPort := strings.Cut(host, ":")
	if hasPort {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' || port[0] == '+' {
			return fmt.Errorf("bad port %q", port)
		}
	}
	if name == "" || len(name) > maxHostLength {
		return errors.New("bad host name length")
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > maxLabelLength || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("bad host name label %q", label)
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("character %q not allowed in a host name", c)
			}
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// WebFingerURL is where a's WebFinger document lives: https on a's host, or http when
// insecure is set, which only development mode may do (two instances on localhost).
func (a Acct) WebFingerURL(insecure bool) string {
	scheme := "https"
	if insecure {
		scheme = "http"
	}
	// The user and host are restricted by ParseAcct to characters a query may hold.
	return scheme + "://" + a.Host + WebFingerPath + "?resource=" + a.String()
}

// NewJRD returns the JRD Ruche serves for an actor: the acct: subject, the actor IRI
// (and the profile page, if any) as aliases, and the self link that resolves it.
func NewJRD(a Acct, actorIRI, profileURL string) JRD {
	j := JRD{Subject: a.String(), Aliases: []string{actorIRI}}
	if profileURL != "" {
		if profileURL != actorIRI {
			j.Aliases = append(j.Aliases, profileURL)
		}
		j.Links = append(j.Links, Link{Rel: RelProfilePage, Type: "text/html", Href: profileURL})
	}
	j.Links = append(j.Links, Link{Rel: RelSelf, Type: ContentType, Href: actorIRI})
	return j
}

// DecodeJRD reads a JRD of at most MaxJRDSize bytes.
func DecodeJRD(data []byte) (*JRD, error) {
	if len(data) > MaxJRDSize {
		return nil, ErrTooLarge
	}
	var j JRD
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("activitypub: decode JRD: %w", err)
	}
	return &j, nil
}

// Self returns the actor IRI of the JRD: the href of its "self" link whose type is an
// ActivityPub type (IsActivityPubType). It is an error if there is none, if the href is
// not an absolute http(s) URL, or if two such links disagree.
func (j *JRD) Self() (string, error) {
	var self string
	for _, l := range j.Links {
		if l.Rel != RelSelf || !IsActivityPubType(l.Type) {
			continue
		}
		u, err := url.Parse(l.Href)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return "", fmt.Errorf("activitypub: JRD self link %q is not an http(s) URL", l.Href)
		}
		if self != "" && self != l.Href {
			return "", errors.New("activitypub: JRD has two different self links")
		}
		self = l.Href
	}
	if self == "" {
		return "", errors.New("activitypub: JRD has no ActivityPub self link")
	}
	return self, nil
}
