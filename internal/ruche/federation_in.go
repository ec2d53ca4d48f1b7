package ruche

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ruche-hive/ruche/activitypub"
)

// What arrives from partners. Every server-to-server request but the instance
// actor's document is signed (authorized fetch, always on). Authenticate refuses a
// key of a host that is not an active partner before anything is fetched or stored;
// Receive stores a verified activity as a job, once per activity id; Process applies
// it in the background.

// Errors of Authenticate, by the answer they call for.
var (
	// ErrSignatureMissing: 401, sign the request.
	ErrSignatureMissing = Errorf(CodeUnauthenticated, "error.signature_missing")
	// ErrNotPartner: 403, whatever the signature.
	ErrNotPartner = Errorf(CodeForbidden, "error.not_partner")
)

func signatureInvalid(err error) error {
	return &Error{Code: CodeUnauthenticated, Key: "error.signature_invalid", Err: err}
}

// Authenticate verifies the HTTP signature of a server-to-server request whose body
// (for a POST) is body. The keyId's host must be an active partner: otherwise the
// answer is ErrNotPartner before any key is looked up. Then every check that needs no
// key runs, and only then is the key looked up: in memory, in the database, or fetched
// from the partner (see fetchKey for the bounds). A fetched actor is stored only once a
// signature made with its key has verified. A key cached from an earlier fetch that no
// longer verifies is fetched again (the partner may have rotated it), at most once a
// minute per key; when the partner cannot be reached, a stale key still serves.
func (f *Federation) Authenticate(ctx context.Context, r *http.Request, body []byte) (Peer, error) {
	sig, p, err := f.admit(ctx, r)
	if err != nil {
		return Peer{}, err
	}
	v := activitypub.Verifier{Now: f.Now, AllowHTTP: f.Dev, Host: f.Host()}
	if err := v.Precheck(r, body, sig); err != nil {
		return Peer{}, signatureInvalid(err)
	}
	withKey := func(a RemoteActor) (activitypub.Verified, error) {
		k, err := f.parseKey(sig.KeyID, a)
		if err != nil {
			return activitypub.Verified{}, err
		}
		return v.Verify(ctx, r, body, sig, func(context.Context, string) (crypto.PublicKey, string, error) {
			return k.key, k.owner, nil
		})
	}
	known, err := f.knownActor(ctx, sig.KeyID)
	switch {
	case err == nil && f.now().Sub(known.FetchedAt) < remoteActorTTL:
		verified, err := withKey(known)
		if err == nil || !errors.Is(err, activitypub.ErrSignatureMismatch) || !f.mayRefetch(sig.KeyID) {
			return peerOf(p, verified, err)
		}
	case err != nil && !errors.Is(err, ErrNotFound):
		return Peer{}, unavailable(err)
	}
	fresh, err := f.fetchKey(ctx, sig.KeyID)
	if err != nil {
		if known.IRI != "" { // the partner cannot be reached: the key Ruche has is the best there is
			verified, verr := withKey(known)
			if verr == nil || !isTransient(err) {
				return peerOf(p, verified, verr)
			}
		}
		if isTransient(err) {
			return Peer{}, unavailable(err)
		}
		return Peer{}, signatureInvalid(err)
	}
	verified, err := withKey(fresh)
	if err == nil {
		if serr := f.Store.PutRemoteActor(ctx, fresh); serr != nil {
			f.log().Warn("federation: storing a partner's actor", "actor", fresh.IRI, "err", serr)
		}
		f.rememberActor(fresh)
	}
	return peerOf(p, verified, err)
}

// admit parses a request's signature and checks, before anything else, that its key
// is on an active partner's host.
func (f *Federation) admit(ctx context.Context, r *http.Request) (activitypub.Signature, Partner, error) {
	sig, err := activitypub.ParseSignature(r)
	if errors.Is(err, activitypub.ErrNoSignature) {
		return sig, Partner{}, ErrSignatureMissing
	}
	if err != nil {
		return sig, Partner{}, signatureInvalid(err)
	}
	host, err := activitypub.KeyHost(sig.KeyID)
	if err != nil {
		return sig, Partner{}, signatureInvalid(err)
	}
	p, err := f.partner(ctx, host)
	switch {
	case errors.Is(err, ErrNotFound) || err == nil && !p.Active():
		return sig, Partner{}, ErrNotPartner
	case err != nil:
		return sig, Partner{}, unavailable(err)
	}
	return sig, p, nil
}

// Admit is the first step of Authenticate, which a front door runs before reading a
// request's body: a request signed by a key of any host but an active partner's is
// refused without more work.
func (f *Federation) Admit(ctx context.Context, r *http.Request) error {
	_, _, err := f.admit(ctx, r)
	return err
}

func peerOf(p Partner, v activitypub.Verified, err error) (Peer, error) {
	switch {
	case errors.Is(err, activitypub.ErrForbidden):
		return Peer{}, &Error{Code: CodeForbidden, Key: "error.key_not_actor", Err: err}
	case err != nil:
		return Peer{}, signatureInvalid(err)
	}
	return Peer{Partner: p, Actor: v.Owner, KeyID: v.KeyID}, nil
}

func unavailable(err error) error {
	return &Error{Code: CodeUnavailable, Key: "error.unavailable", Err: err}
}

// isTransient reports whether a failed fetch may succeed later: the network, a 5xx,
// 408 or 429, or Ruche's own fetch budget. A document that is not what it should be
// (not an actor, another key) is not transient.
func isTransient(err error) bool {
	var he *activitypub.HTTPError
	var ne net.Error
	switch {
	case errors.Is(err, errFetchBudget), errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne):
		return true
	case errors.As(err, &he):
		return activitypub.Classify(err) == activitypub.OutcomeRetry
	}
	return false
}

// mayRefetch reports whether the key may be fetched again now, and notes it.
func (f *Federation) mayRefetch(keyID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refreshed == nil {
		f.refreshed = map[string]time.Time{}
	}
	if last, ok := f.refreshed[keyID]; ok && f.now().Sub(last) < refetchEvery {
		return false
	}
	if len(f.refreshed) > 10000 {
		clear(f.refreshed)
	}
	f.refreshed[keyID] = f.now()
	return true
}

// knownActor returns what Ruche knows of the actor holding keyID, whatever its age:
// from memory (read from the database at most keysTTL ago), else from the database.
func (f *Federation) knownActor(ctx context.Context, keyID string) (RemoteActor, error) {
	f.mu.Lock()
	e, ok := f.actors[keyID]
	f.mu.Unlock()
	if ok && f.now().Sub(e.at) < keysTTL {
		return e.actor, nil
	}
	a, err := f.Store.RemoteActorByKeyID(ctx, keyID)
	if err == nil {
		f.rememberActor(a)
	}
	return a, err
}

// rememberActor keeps a remote actor in memory under its key id, for keysTTL.
func (f *Federation) rememberActor(a RemoteActor) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.actors == nil || len(f.actors) > 10000 {
		f.actors = map[string]actorEntry{}
	}
	f.actors[a.KeyID] = actorEntry{actor: a, at: f.now()}
}

// forgetActor drops what memory holds of a remote actor (deleted at home).
func (f *Federation) forgetActor(iri string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, e := range f.actors {
		if e.actor.IRI == iri {
			delete(f.actors, k)
		}
	}
}

// parseKey parses a cached actor's key, remembering the parsed form per key id.
func (f *Federation) parseKey(keyID string, a RemoteActor) (parsedKey, error) {
	f.mu.Lock()
	k, ok := f.keys[keyID]
	f.mu.Unlock()
	if ok && k.pem == a.PublicPEM && k.owner == a.IRI {
		return k, nil
	}
	pub, err := activitypub.DecodePublicKeyPEM(a.PublicPEM)
	if err != nil {
		return parsedKey{}, err
	}
	k = parsedKey{pem: a.PublicPEM, key: pub, owner: a.IRI}
	f.mu.Lock()
	if f.keys == nil || len(f.keys) > 10000 {
		f.keys = map[string]parsedKey{}
	}
	f.keys[keyID] = k
	f.mu.Unlock()
	return k, nil
}

// fetchActor fetches the actor that iri (an actor id, or a key id with a fragment)
// names, signed as the instance actor, checks it, and caches it. It serves Ruche's own
// needs (a partner's inbox, an Update it announced); keys of incoming signatures go
// through fetchKey.
func (f *Federation) fetchActor(ctx context.Context, iri string) (RemoteActor, error) {
	a, err := f.fetchActorDoc(ctx, iri)
	if err != nil {
		return RemoteActor{}, err
	}
	if err := f.Store.PutRemoteActor(ctx, a); err != nil {
		return RemoteActor{}, err
	}
	f.rememberActor(a)
	return a, nil
}

// fetchActorDoc fetches and checks an actor document, without storing it.
func (f *Federation) fetchActorDoc(ctx context.Context, iri string) (RemoteActor, error) {
	c, err := f.client(ctx, InstanceActor)
	if err != nil {
		return RemoteActor{}, err
	}
	url, _, _ := strings.Cut(iri, "#")
	body, _, err := c.Get(ctx, url)
	if err != nil {
		return RemoteActor{}, err
	}
	o, err := activitypub.Decode(body)
	if err != nil {
		return RemoteActor{}, err
	}
	a, err := remoteActorOf(o, url, body)
	if err != nil {
		return RemoteActor{}, err
	}
	a.FetchedAt = f.now()
	return a, nil
}

// remoteActorOf checks that o, fetched from url, is an actor with a key of its own on
// its own host, and returns it as a RemoteActor.
func remoteActorOf(o *activitypub.Object, url string, doc []byte) (RemoteActor, error) {
	switch o.Type {
	case activitypub.TypePerson, activitypub.TypeGroup, activitypub.TypeApplication, activitypub.TypeService:
	default:
		return RemoteActor{}, fmt.Errorf("%s is a %q, not an actor", url, o.Type)
	}
	if o.ID != url {
		return RemoteActor{}, fmt.Errorf("%w: the document at %s claims to be %s", activitypub.ErrForbidden, url, o.ID)
	}
	if o.PublicKey == nil || o.PublicKey.ID == "" || o.PublicKey.PublicKeyPem == "" || o.Inbox == "" {
		return RemoteActor{}, fmt.Errorf("actor %s has no public key or no inbox", url)
	}
	host, err := activitypub.KeyHost(o.ID)
	if err != nil {
		return RemoteActor{}, err
	}
	for _, iri := range []string{o.PublicKey.ID, o.Inbox, o.SharedInbox} {
		if iri == "" {
			continue
		}
		if h, err := activitypub.KeyHost(iri); err != nil || h != host {
			return RemoteActor{}, fmt.Errorf("%w: actor %s names %s on another host", activitypub.ErrForbidden, o.ID, iri)
		}
	}
	if o.PublicKey.Owner != "" && !activitypub.SameActor(o.PublicKey.Owner, o.ID) {
		return RemoteActor{}, fmt.Errorf("%w: the key of %s is owned by %s", activitypub.ErrForbidden, o.ID, o.PublicKey.Owner)
	}
	return RemoteActor{IRI: o.ID, Host: host, KeyID: o.PublicKey.ID, PublicPEM: o.PublicKey.PublicKeyPem,
		Inbox: o.Inbox, SharedInbox: o.SharedInbox, Document: doc}, nil
}

// Receive takes a verified activity from peer into the inbox: it checks that the
// activity is by the actor whose key signed it, with an id on that actor's host, and
// stores it with its processing job. A second delivery of the same activity is
// acknowledged and changes nothing.
func (f *Federation) Receive(ctx context.Context, peer Peer, body []byte) error {
	a, err := f.incoming(peer, body)
	if err != nil {
		return err
	}
	return f.receiver().add(ctx, a)
}

// incoming checks one activity of peer's and returns it ready to store.
func (f *Federation) incoming(peer Peer, body []byte) (IncomingActivity, error) {
	o, err := activitypub.Decode(body)
	if err != nil {
		return IncomingActivity{}, &Error{Code: CodeInvalid, Key: "error.activity_invalid", Err: err}
	}
	if !plainText(o.ID, maxIRILength) || !plainText(o.Type, maxTypeLength) || !plainText(o.Actor.IRI, maxIRILength) {
		return IncomingActivity{}, Errorf(CodeInvalid, "error.activity_invalid")
	}
	if err := (activitypub.Verified{KeyID: peer.KeyID, Owner: peer.Actor}).CheckActor(o.Actor.IRI); err != nil {
		return IncomingActivity{}, &Error{Code: CodeForbidden, Key: "error.key_not_actor", Err: err}
	}
	if h, err := activitypub.KeyHost(o.ID); err != nil || h != peer.Partner.Domain {
		return IncomingActivity{}, Errorf(CodeInvalid, "error.activity_invalid")
	}
	// The key's owner, as the partner spells it, not the activity's spelling of it.
	return IncomingActivity{IRI: o.ID, Actor: peer.Actor, Host: peer.Partner.Domain, Type: o.Type, Body: body}, nil
}

// Bounds on what identifies an activity, which the database stores as text.
const (
	maxIRILength  = 2048
	maxTypeLength = 64
)

// plainText reports whether s is non-empty, at most max bytes, valid UTF-8 and free of
// control characters (PostgreSQL refuses NUL in text).
func plainText(s string, max int) bool {
	if s == "" || len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Process applies a received activity, once. Today that is what concerns actors: an
// Update of an actor refreshes what Ruche knows of it (its key, its inboxes), a Delete
// of an actor forgets it. Other activities are kept, and wait for the features that use
// them (shared groups).
func (f *Federation) Process(ctx context.Context, id int64) error {
	in, err := f.Store.IncomingActivity(ctx, id)
	if errors.Is(err, ErrNotFound) || err == nil && in.ProcessedAt != nil {
		return nil
	}
	if err != nil {
		return err
	}
	if p, err := f.partner(ctx, in.Host); err != nil || !p.Active() {
		return f.Store.MarkProcessed(ctx, id) // the partner left meanwhile: nothing to apply
	}
	o, err := activitypub.Decode(in.Body)
	if err != nil {
		return f.Store.MarkProcessed(ctx, id)
	}
	switch o.Type {
	case activitypub.TypeUpdate:
		if !activitypub.SameActor(o.Object.IRI, in.Actor) {
			if err := f.memberActivity(ctx, in, o); err != nil {
				return err
			}
		} else {
			// Fetched afresh rather than taken from the activity: what the actor's home
			// serves is what counts.
			if _, err := f.fetchActor(ctx, in.Actor); err != nil {
				return err
			}
		}
	case activitypub.TypeFollow:
		if err := f.followGroup(ctx, in, o); err != nil {
			return err
		}
	case activitypub.TypeAccept, activitypub.TypeReject:
		if err := f.followAnswered(ctx, in, o); err != nil {
			return err
		}
	case activitypub.TypeRemove:
		if err := f.memberRemoved(ctx, in, o); err != nil {
			return err
		}
	case activitypub.TypeCreate:
		if err := f.memberActivity(ctx, in, o); err != nil {
			return err
		}
	case activitypub.TypeAnnounce:
		// A group's relay carries what it relays; a member's boost names the post.
		if o.Object.Object == nil {
			if err := f.memberReaction(ctx, in, o, true); err != nil {
				return err
			}
		} else if err := f.groupAnnounce(ctx, in, o); err != nil {
			return err
		}
	case activitypub.TypeLike:
		if err := f.memberReaction(ctx, in, o, true); err != nil {
			return err
		}
	case activitypub.TypeUndo:
		u := o.Object.Object
		switch {
		case u == nil || !activitypub.SameActor(u.Actor.IRI, in.Actor):
		case u.Type == activitypub.TypeFollow:
			if err := f.unfollowGroup(ctx, in, u); err != nil {
				return err
			}
		case u.Type == activitypub.TypeLike || u.Type == activitypub.TypeAnnounce:
			if err := f.memberReaction(ctx, in, u, false); err != nil {
				return err
			}
		}
	case activitypub.TypeDelete:
		if !activitypub.SameActor(o.Object.IRI, in.Actor) {
			if err := f.memberActivity(ctx, in, o); err != nil {
				return err
			}
		} else {
			// A partner's group that is gone (or no longer shared with us) goes here too,
			// with all of it.
			if g, err := f.Store.GroupByActor(ctx, in.Actor); err == nil {
				if err := f.Store.DeleteRemoteGroup(ctx, g); err != nil {
					return err
				}
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
			if err := f.Store.ForgetRemoteActor(ctx, in.Actor); err != nil {
				return err
			}
			f.forgetActor(in.Actor)
		}
	}
	return f.Store.MarkProcessed(ctx, id)
}
