package ruche

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ruche-hive/ruche/activitypub"
)

// Federation is Ruche's side of ActivityPub: its actors and their keys, the partners
// it talks to, what it accepts (federation_in.go) and what it delivers
// (federation_out.go, through the gate in gate.go).
type Federation struct {
	Store   FederationStore
	Shares  ShareStore // which groups are shared with which partners
	Secrets *Secrets
	// BaseURL is the public root, e.g. https://ruche.acme.com; actor ids start with it.
	BaseURL string
	// AccountDomain is the domain of handles (@alice@acme.com); "" is the host.
	AccountDomain string
	// Dev allows http and loopback partners (RUCHE_DEV).
	Dev       bool
	UserAgent string
	// Media keeps the files of shared groups' posts: served to partners, and fetched
	// from them (nil: posts travel without their files).
	Media *Media
	Log   *slog.Logger
	Now   func() time.Time

	mu        sync.Mutex
	signers   map[LocalActor]signerEntry
	clients   map[*activitypub.Signer]*activitypub.Client
	keys      map[string]parsedKey  // remote key id → parsed key
	refreshed map[string]time.Time  // remote key id → last refetch after a failure
	inboxes   map[string]inboxEntry // partner host → its shared inbox

	receiverOnce sync.Once
	batcher      *receiveBatcher

	partnersMu sync.Mutex
	partners   map[string]Partner // a snapshot of the partner list, taken at partnersAt
	partnersAt time.Time
	actors     map[string]actorEntry // remote key id → its actor, as read at
	keyFetch   keyFetcher
}

type actorEntry struct {
	actor RemoteActor
	at    time.Time
}

type signerEntry struct {
	signer *activitypub.Signer
	public string // the public half of its key, to see whether the key changed
	at     time.Time
}

type parsedKey struct {
	pem   string
	key   *rsa.PublicKey
	owner string
}

type inboxEntry struct {
	inbox string
	at    time.Time
}

// How long a node trusts what it remembers. A signer is re-read after a minute so a
// rotation on another node (or by ruche federation rotate-key) reaches this one, and a
// partner that refuses a signature meanwhile is retried (jobs: notYetTrusted); a
// partner's inbox after an hour.
const (
	// partnersTTL bounds how long a node acts on a partner list another process changed
	// (another node, ruche partner remove); this node's own changes apply at once.
	partnersTTL    = time.Second
	keysTTL        = 5 * time.Minute // a remote key in memory; a failing signature refetches it
	signerTTL      = 30 * time.Second
	inboxTTL       = time.Hour
	remoteActorTTL = 24 * time.Hour
	// refetchEvery bounds how often a failing signature makes Ruche fetch the key
	// again, so a partner cannot make it fetch on every request.
	refetchEvery = time.Minute
)

func (f *Federation) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Federation) log() *slog.Logger {
	if f.Log != nil {
		return f.Log
	}
	return slog.Default()
}

// Host is the instance's host[:port], lowercased.
func (f *Federation) Host() string {
	u, err := url.Parse(f.BaseURL)
	if err != nil {
		return ""
	}
	return NormalizeDomain(u.Host)
}

// HandleDomain is the domain of handles: AccountDomain, or the host.
func (f *Federation) HandleDomain() string {
	if f.AccountDomain != "" {
		return f.AccountDomain
	}
	return f.Host()
}

// InstanceActorIRI is the id of the instance's Application actor.
func (f *Federation) InstanceActorIRI() string { return f.BaseURL + "/actor" }

// InstanceKeyID is the id of the instance actor's public key.
func (f *Federation) InstanceKeyID() string { return f.InstanceActorIRI() + "#main-key" }

// SharedInbox is the instance's shared inbox.
func (f *Federation) SharedInbox() string { return f.BaseURL + "/inbox" }

// isLocalIRI reports whether iri is under this instance's base URL.
func (f *Federation) isLocalIRI(iri string) bool {
	return strings.HasPrefix(iri, f.BaseURL+"/")
}

// newActivityIRI makes a fresh id for an activity by the instance actor.
func (f *Federation) newActivityIRI() string {
	b := make([]byte, 12)
	rand.Read(b)
	return f.InstanceActorIRI() + "/activities/" + hex.EncodeToString(b)
}

// ActorKey returns a local actor's key pair, making it on first need.
func (f *Federation) actorKey(ctx context.Context, actor LocalActor) (ActorKey, error) {
	k, err := f.Store.ActorKey(ctx, actor)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return k, err
	}
	k, err = f.newKey(actor)
	if err != nil {
		return ActorKey{}, err
	}
	return f.Store.AddActorKey(ctx, k)
}

func (f *Federation) newKey(actor LocalActor) (ActorKey, error) {
	if f.Secrets == nil {
		return ActorKey{}, errors.New("federation: no secret key to seal private keys with (RUCHE_SECRET_KEY)")
	}
	priv, err := activitypub.GenerateKey()
	if err != nil {
		return ActorKey{}, err
	}
	privPEM, err := activitypub.EncodePrivateKeyPEM(priv)
	if err != nil {
		return ActorKey{}, err
	}
	pubPEM, err := activitypub.EncodePublicKeyPEM(&priv.PublicKey)
	if err != nil {
		return ActorKey{}, err
	}
	return ActorKey{Actor: actor, PublicPEM: pubPEM, PrivateSealed: f.Secrets.Seal([]byte(privPEM), string(actor))}, nil
}

// signer returns the signer of a local actor, from memory for up to signerTTL.
func (f *Federation) signer(ctx context.Context, actor LocalActor) (*activitypub.Signer, error) {
	f.mu.Lock()
	e, ok := f.signers[actor]
	f.mu.Unlock()
	if ok && f.now().Sub(e.at) < signerTTL {
		return e.signer, nil
	}
	keyID, err := f.keyIDOf(actor)
	if err != nil {
		return nil, err
	}
	k, err := f.actorKey(ctx, actor)
	if err != nil {
		return nil, err
	}
	if ok && e.public == k.PublicPEM { // the same key: keep the signer, and its client's connections
		f.mu.Lock()
		f.signers[actor] = signerEntry{signer: e.signer, public: e.public, at: f.now()}
		f.mu.Unlock()
		return e.signer, nil
	}
	if f.Secrets == nil {
		return nil, errors.New("federation: no secret key (RUCHE_SECRET_KEY)")
	}
	plain, err := f.Secrets.Open(k.PrivateSealed, string(actor))
	if err != nil {
		return nil, fmt.Errorf("federation: opening the key of %s: %w", actor, err)
	}
	priv, err := activitypub.DecodePrivateKeyPEM(string(plain))
	if err != nil {
		return nil, err
	}
	s := &activitypub.Signer{KeyID: keyID, Key: priv, Now: f.Now}
	f.mu.Lock()
	if f.signers == nil {
		f.signers = map[LocalActor]signerEntry{}
	}
	f.signers[actor] = signerEntry{signer: s, public: k.PublicPEM, at: f.now()}
	f.mu.Unlock()
	return s, nil
}

// keyIDOf is the public key id of a local actor.
func (f *Federation) keyIDOf(actor LocalActor) (string, error) {
	kind, idText, _ := strings.Cut(string(actor), ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	switch {
	case actor == InstanceActor:
		return f.InstanceKeyID(), nil
	case err != nil || id <= 0:
	case kind == "group":
		return f.GroupIRI(id) + "#main-key", nil
	case kind == "user":
		return f.UserIRI(id) + "#main-key", nil
	}
	return "", ErrNotFederated
}

// client returns the HTTP client that signs as actor. Every request it makes is
// checked against the partner list first: Ruche never fetches from, or delivers to, a
// host that is not an active partner, the target of a redirect included.
func (f *Federation) client(ctx context.Context, actor LocalActor) (*activitypub.Client, error) {
	s, err := f.signer(ctx, actor)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.clients[s]; ok {
		return c, nil
	}
	if f.clients == nil || len(f.clients) > 64 {
		f.clients = map[*activitypub.Signer]*activitypub.Client{}
	}
	c := activitypub.NewClient(activitypub.ClientOptions{
		UserAgent: f.UserAgent, Signer: s, Development: f.Dev, Now: f.Now,
		CheckHost: f.checkPartner,
	})
	f.clients[s] = c
	return c, nil
}

// partner returns the partner with that domain (ErrNotFound if none) from a snapshot
// of the list at most partnersTTL old: requests from partners are checked without a
// query each.
func (f *Federation) partner(ctx context.Context, domain string) (Partner, error) {
	f.partnersMu.Lock()
	defer f.partnersMu.Unlock()
	if f.partners == nil || f.now().Sub(f.partnersAt) >= partnersTTL {
		ps, err := f.Store.Partners(ctx)
		if err != nil {
			return Partner{}, err
		}
		f.partners = make(map[string]Partner, len(ps))
		for _, p := range ps {
			f.partners[p.Domain] = p
		}
		f.partnersAt = f.now()
	}
	p, ok := f.partners[NormalizeDomain(domain)]
	if !ok {
		return Partner{}, ErrNotFound
	}
	return p, nil
}

// partnersChanged drops the snapshot after a change made through this node.
func (f *Federation) partnersChanged() {
	f.partnersMu.Lock()
	f.partners = nil
	f.partnersMu.Unlock()
}

// checkPartner refuses any host that is not an active partner.
func (f *Federation) checkPartner(ctx context.Context, host string) error {
	p, err := f.partner(ctx, host)
	if err != nil || !p.Active() {
		return fmt.Errorf("%w: %s is not an active partner", ErrNotFederated, host)
	}
	return nil
}

// CheckKeys opens the instance actor's private key, if it has one, so that a node
// started with the wrong RUCHE_SECRET_KEY says so at once instead of having its
// signatures refused by every partner.
func (f *Federation) CheckKeys(ctx context.Context) error {
	k, err := f.Store.ActorKey(ctx, InstanceActor)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if f.Secrets == nil {
		return errors.New("no secret key to open the instance's private key with")
	}
	if _, err := f.Secrets.Open(k.PrivateSealed, string(InstanceActor)); err != nil {
		return fmt.Errorf("the instance's private key does not open: %w", err)
	}
	return nil
}

// InstanceActor is the instance's Application actor document: its key and where its
// inbox and outbox are, nothing personal. It is served to anyone, signed or not, since
// it is how a partner checks Ruche's own signatures.
func (f *Federation) InstanceActor(ctx context.Context) (*activitypub.Object, error) {
	k, err := f.actorKey(ctx, InstanceActor)
	if err != nil {
		return nil, err
	}
	return f.instanceActorDoc(k), nil
}

func (f *Federation) instanceActorDoc(k ActorKey) *activitypub.Object {
	iri := f.InstanceActorIRI()
	return &activitypub.Object{
		ID: iri, Type: activitypub.TypeApplication,
		PreferredUsername: f.Host(), Name: "Ruche " + f.Host(),
		Inbox: iri + "/inbox", Outbox: iri + "/outbox", SharedInbox: f.SharedInbox(),
		ManuallyApprovesFollowers: activitypub.Bool(true), Discoverable: activitypub.Bool(false),
		PublicKey: &activitypub.PublicKey{ID: f.InstanceKeyID(), Owner: iri, PublicKeyPem: k.PublicPEM},
	}
}

// RotateKey gives a local actor a new key pair and tells every active partner with an
// Update of the actor, queued in the same transaction as the new key.
func (f *Federation) RotateKey(ctx context.Context, actor LocalActor) error {
	if actor != InstanceActor {
		return ErrNotFederated
	}
	k, err := f.newKey(actor)
	if err != nil {
		return err
	}
	out, err := f.updateInstanceActor(ctx, k)
	if err != nil {
		return err
	}
	if err := f.Store.ReplaceActorKey(ctx, k, out); err != nil {
		return err
	}
	f.mu.Lock()
	delete(f.signers, actor)
	f.mu.Unlock()
	return nil
}

// AnnounceInstanceActor sends every active partner an Update of the instance actor as
// it is now (after a change of name or key, or to check that delivery works).
func (f *Federation) AnnounceInstanceActor(ctx context.Context) (int, error) {
	k, err := f.actorKey(ctx, InstanceActor)
	if err != nil {
		return 0, err
	}
	out, err := f.updateInstanceActor(ctx, k)
	if err != nil || len(out) == 0 {
		return 0, err
	}
	_, err = f.Store.QueueActivities(ctx, out)
	return len(out[0].to), err
}

// updateInstanceActor clears an Update of the instance actor with key k for every
// active partner; none when there is no partner.
func (f *Federation) updateInstanceActor(ctx context.Context, k ActorKey) ([]Outbound, error) {
	partners, err := f.Store.Partners(ctx)
	if err != nil {
		return nil, err
	}
	var to []string
	for _, p := range partners {
		if p.Active() {
			to = append(to, p.Domain)
		}
	}
	if len(to) == 0 {
		return nil, nil
	}
	o, err := f.Clear(ctx, Departure{Actor: InstanceActor, Activity: f.instanceActorUpdate(k), To: to})
	if err != nil {
		return nil, err
	}
	return []Outbound{o}, nil
}

// InstanceActorUpdate is a new Update of the instance actor's document as it is now.
func (f *Federation) InstanceActorUpdate(ctx context.Context) (*activitypub.Object, error) {
	k, err := f.actorKey(ctx, InstanceActor)
	if err != nil {
		return nil, err
	}
	return f.instanceActorUpdate(k), nil
}

func (f *Federation) instanceActorUpdate(k ActorKey) *activitypub.Object {
	self := f.InstanceActorIRI()
	a := &activitypub.Object{
		ID: f.newActivityIRI(), Type: activitypub.TypeUpdate,
		Actor: activitypub.IRI(self), Object: activitypub.Embed(f.instanceActorDoc(k)),
		Published: f.now().UTC().Truncate(time.Second),
	}
	a.Object.IRI = self
	return a
}

// Reseal seals every local private key under the current secret, after a rotation of
// RUCHE_SECRET_KEY. It returns how many keys it moved.
func (f *Federation) Reseal(ctx context.Context) (int, error) {
	keys, err := f.Store.ActorKeys(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if f.Secrets.Current(k.PrivateSealed) {
			continue
		}
		plain, err := f.Secrets.Open(k.PrivateSealed, string(k.Actor))
		if err != nil {
			return n, fmt.Errorf("key of %s: %w", k.Actor, err)
		}
		if err := f.Store.ResealActorKey(ctx, k.Actor, k.PrivateSealed, f.Secrets.Seal(plain, string(k.Actor))); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
