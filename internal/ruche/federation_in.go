package ruche

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

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
// answer is ErrNotPartner before any key is looked up. A key cached from an earlier
// fetch that no longer verifies is fetched again once (the partner may have rotated
// it), at most once a minute per key.
func (f *Federation) Authenticate(ctx context.Context, r *http.Request, body []byte) (Peer, error) {
	sig, err := activitypub.ParseSignature(r)
	if errors.Is(err, activitypub.ErrNoSignature) {
		return Peer{}, ErrSignatureMissing
	}
	if err != nil {
		return Peer{}, signatureInvalid(err)
	}
	host, err := activitypub.KeyHost(sig.KeyID)
	if err != nil {
		return Peer{}, signatureInvalid(err)
	}
	p, err := f.partner(ctx, host)
	if errors.Is(err, ErrNotFound) || err == nil && !p.Active() {
		return Peer{}, ErrNotPartner
	}
	if err != nil {
		return Peer{}, err
	}
	v := activitypub.Verifier{Now: f.Now, AllowHTTP: f.Dev, Host: f.Host()}
	cached := false
	verified, err := v.Verify(ctx, r, body, sig, func(ctx context.Context, keyID string) (crypto.PublicKey, string, error) {
		k, fromCache, err := f.remoteKey(ctx, keyID, false)
		cached = fromCache
		return k.key, k.owner, err
	})
	if errors.Is(err, activitypub.ErrSignatureMismatch) && cached && f.mayRefetch(sig.KeyID) {
		verified, err = v.Verify(ctx, r, body, sig, func(ctx context.Context, keyID string) (crypto.PublicKey, string, error) {
			k, _, err := f.remoteKey(ctx, keyID, true)
			return k.key, k.owner, err
		})
	}
	switch {
	case errors.Is(err, activitypub.ErrForbidden):
		return Peer{}, &Error{Code: CodeForbidden, Key: "error.key_not_actor", Err: err}
	case err != nil:
		return Peer{}, signatureInvalid(err)
	}
	return Peer{Partner: p, Actor: verified.Owner, KeyID: verified.KeyID}, nil
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

// remoteKey returns the public key keyID names and its owner: from memory, from the
// remote_actors table, or (fresh, or when nothing is cached or it is stale) by fetching
// the owner's document signed as the instance actor. fromCache says whether it came
// from what was stored before this call.
func (f *Federation) remoteKey(ctx context.Context, keyID string, fresh bool) (k parsedKey, fromCache bool, err error) {
	if !fresh {
		f.mu.Lock()
		e, ok := f.actors[keyID]
		f.mu.Unlock()
		if ok && f.now().Sub(e.at) < keysTTL {
			k, err := f.parseKey(keyID, e.actor)
			return k, true, err
		}
		a, err := f.Store.RemoteActorByKeyID(ctx, keyID)
		if err == nil && f.now().Sub(a.FetchedAt) < remoteActorTTL {
			f.rememberActor(a)
			k, err := f.parseKey(keyID, a)
			return k, true, err
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return parsedKey{}, false, err
		}
	}
	a, err := f.fetchActor(ctx, keyID)
	if err != nil {
		return parsedKey{}, false, err
	}
	if a.KeyID != keyID {
		return parsedKey{}, false, fmt.Errorf("%w: the actor at %s has key %s, not %s", activitypub.ErrForbidden, a.IRI, a.KeyID, keyID)
	}
	k, err = f.parseKey(keyID, a)
	return k, false, err
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
// names, signed as the instance actor, checks it, and caches it.
func (f *Federation) fetchActor(ctx context.Context, iri string) (RemoteActor, error) {
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
	if err := f.Store.PutRemoteActor(ctx, a); err != nil {
		return RemoteActor{}, err
	}
	f.rememberActor(a)
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
	if o.ID == "" || o.Type == "" || o.Actor.IRI == "" {
		return IncomingActivity{}, Errorf(CodeInvalid, "error.activity_invalid")
	}
	if err := (activitypub.Verified{KeyID: peer.KeyID, Owner: peer.Actor}).CheckActor(o.Actor.IRI); err != nil {
		return IncomingActivity{}, &Error{Code: CodeForbidden, Key: "error.key_not_actor", Err: err}
	}
	if h, err := activitypub.KeyHost(o.ID); err != nil || h != peer.Partner.Domain {
		return IncomingActivity{}, Errorf(CodeInvalid, "error.activity_invalid")
	}
	return IncomingActivity{IRI: o.ID, Actor: o.Actor.IRI, Host: peer.Partner.Domain, Type: o.Type, Body: body}, nil
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
		if activitypub.SameActor(o.Object.IRI, in.Actor) {
			// Fetched afresh rather than taken from the activity: what the actor's home
			// serves is what counts.
			if _, err := f.fetchActor(ctx, in.Actor); err != nil {
				return err
			}
		}
	case activitypub.TypeDelete:
		if activitypub.SameActor(o.Object.IRI, in.Actor) {
			if err := f.Store.ForgetRemoteActor(ctx, in.Actor); err != nil {
				return err
			}
			f.forgetActor(in.Actor)
		}
	}
	return f.Store.MarkProcessed(ctx, id)
}
