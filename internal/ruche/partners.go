package ruche

import (
	"context"
	"net"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Partners are managed by admins (web admin page) and operators (ruche partner …).
// Federation is off until the first one is added.

// MaxPartnerNote bounds a partner's note, in characters.
const MaxPartnerNote = 500

// Active reports whether Ruche talks to p now.
func (p Partner) Active() bool { return p.Domain != "" && p.State == PartnerActive }

// NormalizeDomain lowercases a host[:port] and drops a default port. It does not
// validate; ParsePartnerDomain does.
func NormalizeDomain(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimSuffix(d, ":443")
	return d
}

// ParsePartnerDomain reads what an admin typed as a partner: a host name with an
// optional port (example.com, hub.localhost:8443). A URL is refused with a message that
// says what to type instead, as is an IP address: partners are named, so that their
// certificates name them.
func ParsePartnerDomain(s string) (string, error) {
	d := NormalizeDomain(s)
	bad := Errorf(CodeInvalid, "error.partner_domain_invalid", s)
	if d == "" || strings.ContainsAny(d, "/@?#\\ \t") || len(d) > 253+6 {
		return "", bad
	}
	host, port := d, ""
	if h, p, err := net.SplitHostPort(d); err == nil {
		host, port = h, p
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
			return "", bad
		}
	} else if strings.Contains(d, ":") {
		return "", bad
	}
	if net.ParseIP(host) != nil || !strings.Contains(host, ".") && host != "localhost" {
		return "", bad
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", bad
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", bad
			}
		}
	}
	if port != "" {
		return host + ":" + port, nil
	}
	return host, nil
}

// Partners lists the partner instances, for admins (nil actor: the operator console).
func (f *Federation) Partners(ctx context.Context, actor *User) ([]Partner, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	return f.Store.Partners(ctx)
}

// AddPartner makes domain an active partner, or updates its note (and reactivates it)
// if it is one already.
func (f *Federation) AddPartner(ctx context.Context, actor *User, domain, note string) (Partner, error) {
	if err := requireAdmin(actor); err != nil {
		return Partner{}, err
	}
	d, err := ParsePartnerDomain(domain)
	if err != nil {
		return Partner{}, err
	}
	if d == f.Host() {
		return Partner{}, Errorf(CodeInvalid, "error.partner_is_self")
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxPartnerNote {
		return Partner{}, Errorf(CodeInvalid, "error.partner_note_too_long", MaxPartnerNote)
	}
	defer f.partnersChanged()
	return f.Store.PutPartner(ctx, actorID(actor), Partner{Domain: d, State: PartnerActive, Note: note})
}

// SetPartnerState suspends or reactivates a partner. A suspended partner's pending
// deliveries are dropped when they come up, and its requests are refused.
func (f *Federation) SetPartnerState(ctx context.Context, actor *User, domain string, state PartnerState) (Partner, error) {
	if err := requireAdmin(actor); err != nil {
		return Partner{}, err
	}
	if !state.Valid() {
		return Partner{}, Errorf(CodeInvalid, "error.partner_state_invalid")
	}
	p, err := f.Store.Partner(ctx, NormalizeDomain(domain))
	if err != nil {
		return Partner{}, err
	}
	p.State = state
	defer f.partnersChanged()
	return f.Store.PutPartner(ctx, actorID(actor), p)
}

// RemovePartner ends federation with a partner: nothing more is sent to it or
// accepted from it.
func (f *Federation) RemovePartner(ctx context.Context, actor *User, domain string) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	defer f.partnersChanged()
	return f.Store.RemovePartner(ctx, actorID(actor), NormalizeDomain(domain))
}

// FailedDeliveries lists deliveries that failed, for admins.
func (f *Federation) FailedDeliveries(ctx context.Context, actor *User, limit int) ([]FailedDelivery, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	return f.Store.FailedDeliveries(ctx, limit)
}
