package activitypub

import "strings"

// Public is the special collection that means "anyone, signed in or not" (AS2 vocabulary
// §5.6; ActivityPub §5.6). Ruche never sends it and refuses documents addressed to it:
// a company's posts are not the Internet's.
const Public = "https://www.w3.org/ns/activitystreams#Public"

// maxEmbedding bounds the walks through embedded objects below. Decode already bounds
// nesting; this guards values built in Go, which may even be cyclic.
const maxEmbedding = MaxDepth

// IsPublicIRI reports whether iri names the public collection in any spelling met in
// the wild: the full IRI (with http or https), the compact "as:Public", or the bare
// term "Public". Case is ignored: for a refusal, a false alarm is the safe mistake.
func IsPublicIRI(iri string) bool {
	iri = strings.TrimSpace(iri)
	return strings.EqualFold(iri, Public) ||
		strings.EqualFold(iri, "http://www.w3.org/ns/activitystreams#Public") ||
		strings.EqualFold(iri, "as:Public") ||
		strings.EqualFold(iri, "Public")
}

// IsPublic reports whether o, or any object it carries in its object property (an
// Announce of a Create of a Note, say), is addressed to the public collection in to,
// cc, bto, bcc or audience. A document for which it returns true must be refused.
func IsPublic(o *Object) bool {
	for depth := 0; o != nil && depth < maxEmbedding; depth++ {
		for _, list := range [][]string{o.To, o.CC, o.BTo, o.BCC, o.Audience} {
			for _, iri := range list {
				if IsPublicIRI(iri) {
					return true
				}
			}
		}
		o = o.Object.Object
	}
	return false
}

// Recipients lists the IRIs o is addressed to in to, cc, bto, bcc and audience, in that
// order, each once and without empty strings. It does not look into embedded objects
// (the activity's addressing is what delivery follows) and does not drop the public
// collection: check IsPublic first.
func Recipients(o *Object) []string {
	if o == nil {
		return nil
	}
	seen := make(map[string]bool)
	var out []string
	for _, list := range [][]string{o.To, o.CC, o.BTo, o.BCC, o.Audience} {
		for _, iri := range list {
			if iri != "" && !seen[iri] {
				seen[iri] = true
				out = append(out, iri)
			}
		}
	}
	return out
}

// WithoutHidden returns a copy of o without bto and bcc, on o and on the objects it
// carries in its object property, as a server must before delivery (ActivityPub §6 and
// §7.1): hidden recipients receive the activity but no one learns who they are. o is
// not modified; the copy shares everything else with it.
func WithoutHidden(o *Object) *Object {
	return withoutHidden(o, 0)
}

func withoutHidden(o *Object, depth int) *Object {
	if o == nil {
		return nil
	}
	c := *o
	c.BTo, c.BCC = nil, nil
	switch {
	case c.Object.Object == nil:
	case depth < maxEmbedding:
		c.Object.Object = withoutHidden(c.Object.Object, depth+1)
	default:
		c.Object = IRI(c.Object.IRI) // too deep to copy: send the reference, not the secret
	}
	return &c
}
