package ruche

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/activitypub"
)

// What goes out and what partners may read: delivery of queued activities, WebFinger
// both ways, and the instance actor's outbox.

// DeliveryError is a delivery that failed, and what the queue should do about it.
type DeliveryError struct {
	// Permanent: retrying cannot help (the partner is gone, the inbox refuses for
	// good); the job ends.
	Permanent bool
	// RetryAfter is how long the partner asked Ruche to wait (429, 503), if it did.
	RetryAfter time.Duration
	Err        error
}

func (e *DeliveryError) Error() string {
	if e.Permanent {
		return "permanent: " + e.Err.Error()
	}
	return e.Err.Error()
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Deliver sends one queued activity to one inbox of a partner, signed by the activity's
// actor. The partner is checked again at this moment: a partner removed or suspended
// since the activity was queued gets nothing.
func (f *Federation) Deliver(ctx context.Context, d Delivery) error {
	if err := f.checkPartner(ctx, d.Host); err != nil {
		return &DeliveryError{Permanent: true, Err: err}
	}
	act, err := f.Store.OutgoingActivity(ctx, d.ActivityID)
	if errors.Is(err, ErrNotFound) {
		return &DeliveryError{Permanent: true, Err: err}
	}
	if err != nil {
		return err
	}
	if err := f.stillRelayable(ctx, act, d.Host); err != nil {
		return &DeliveryError{Permanent: true, Err: err}
	}
	inbox := d.Inbox
	if inbox == "" {
		if inbox, err = f.partnerInbox(ctx, d.Host); err != nil {
			var he *activitypub.HTTPError
			retryAfter := time.Duration(0)
			if errors.As(err, &he) {
				retryAfter = he.RetryAfter
			}
			return f.deliveryError(err, retryAfter)
		}
	}
	if h, err := activitypub.KeyHost(inbox); err != nil || h != d.Host {
		return &DeliveryError{Permanent: true, Err: fmt.Errorf("inbox %s is not on %s", inbox, d.Host)}
	}
	c, err := f.client(ctx, act.Actor)
	if err != nil {
		return err
	}
	status, retryAfter, err := c.Post(ctx, inbox, act.Body)
	if err != nil && d.Inbox == "" && (status == http.StatusNotFound || status == http.StatusGone) {
		f.forgetInbox(d.Host) // the partner moved its inbox: find it again next time
		return &DeliveryError{Err: err}
	}
	return f.deliveryError(err, retryAfter)
}

// stillRelayable checks, at the moment of delivery, a group's relay of a post: the
// group must still be shared with the partner, which must still have members in it. A
// relay queued before an unsharing or a removal is not delivered after it.
func (f *Federation) stillRelayable(ctx context.Context, act OutgoingActivity, host string) error {
	kind, idText, _ := strings.Cut(string(act.Actor), ":")
	if kind != "group" {
		return nil
	}
	o, err := activitypub.Decode(act.Body)
	if err != nil {
		return err
	}
	if o.Type != activitypub.TypeAnnounce {
		return nil // answers and the group's Delete of itself go whatever came since
	}
	id, _ := strconv.ParseInt(idText, 10, 64)
	if err := f.Shares.GroupShared(ctx, id, host); err != nil {
		return fmt.Errorf("%w: the group is no longer shared with %s", ErrNotFederated, host)
	}
	if n, err := f.Store.CountGroupMembersFrom(ctx, id, host); err != nil || n == 0 {
		return fmt.Errorf("%w: %s has no members in the group any more", ErrNotFederated, host)
	}
	return nil
}

func (f *Federation) deliveryError(err error, retryAfter time.Duration) error {
	switch activitypub.Classify(err) {
	case activitypub.OutcomeDelivered:
		return nil
	case activitypub.OutcomeGiveUp:
		return &DeliveryError{Permanent: true, Err: err}
	}
	return &DeliveryError{RetryAfter: retryAfter, Err: err}
}

// partnerInbox finds where activities for a partner instance as a whole go: the shared
// inbox (else the inbox) of its instance actor, found through WebFinger
// (acct:host@host, as Mastodon names its instance actor), remembered for an hour.
func (f *Federation) partnerInbox(ctx context.Context, host string) (string, error) {
	f.mu.Lock()
	e, ok := f.inboxes[host]
	f.mu.Unlock()
	if ok && f.now().Sub(e.at) < inboxTTL {
		return e.inbox, nil
	}
	self, err := f.resolveAcct(ctx, activitypub.Acct{User: host, Host: host})
	if err != nil {
		return "", err
	}
	a, err := f.fetchActor(ctx, self)
	if err != nil {
		return "", err
	}
	inbox := a.SharedInbox
	if inbox == "" {
		inbox = a.Inbox
	}
	f.mu.Lock()
	if f.inboxes == nil {
		f.inboxes = map[string]inboxEntry{}
	}
	f.inboxes[host] = inboxEntry{inbox: inbox, at: f.now()}
	f.mu.Unlock()
	return inbox, nil
}

func (f *Federation) forgetInbox(host string) {
	f.mu.Lock()
	delete(f.inboxes, host)
	f.mu.Unlock()
}

// resolveAcct asks a partner's WebFinger for the actor of a, signed as the instance
// actor (a partner may answer only to partners).
func (f *Federation) resolveAcct(ctx context.Context, a activitypub.Acct) (string, error) {
	c, err := f.client(ctx, InstanceActor)
	if err != nil {
		return "", err
	}
	body, _, err := c.GetAccept(ctx, a.WebFingerURL(f.Dev), activitypub.JRDContentType)
	if err != nil {
		return "", err
	}
	j, err := activitypub.DecodeJRD(body)
	if err != nil {
		return "", err
	}
	self, err := j.Self()
	if err != nil {
		return "", err
	}
	if h, err := activitypub.KeyHost(self); err != nil || h != a.Host {
		return "", fmt.Errorf("%w: WebFinger of %s points to another host: %s", activitypub.ErrForbidden, a, self)
	}
	return self, nil
}

// WebFinger answers a WebFinger query for resource, from peer (nil: unsigned). Only
// federated actors are found: the instance actor, as acct:<host>@<host> (or @<account
// domain>) or by its IRI, to anyone; a shared group, by its handle, to the partners it
// is shared with (gate.go). Everything else is not found.
func (f *Federation) WebFinger(ctx context.Context, peer *Peer, resource string) (activitypub.JRD, error) {
	self := f.InstanceActorIRI()
	acct := activitypub.Acct{User: f.Host(), Host: f.HandleDomain()}
	if resource != self {
		a, err := activitypub.ParseAcct(resource)
		if err != nil {
			return activitypub.JRD{}, Errorf(CodeInvalid, "error.webfinger_resource")
		}
		if a.Host != f.Host() && a.Host != f.HandleDomain() {
			return activitypub.JRD{}, ErrNotFound
		}
		if a.User != f.Host() && a.User != f.HandleDomain() {
			handle, iri, err := f.webFingerLocal(ctx, peer, a)
			if err != nil {
				return activitypub.JRD{}, err
			}
			return activitypub.NewJRD(activitypub.Acct{User: handle, Host: f.HandleDomain()}, iri, ""), nil
		}
		acct = a
	}
	return activitypub.NewJRD(acct, self, ""), nil
}

// OutboxPageSize is how many activities a page of an outbox holds.
const OutboxPageSize = 20

// InstanceOutbox is the instance actor's outbox, for a partner: the collection
// (page false) or one page of it, before the activity with id maxID (0: the newest).
func (f *Federation) InstanceOutbox(ctx context.Context, peer Peer, page bool, maxID int64) (*activitypub.Object, error) {
	iri := f.InstanceActorIRI() + "/outbox"
	if err := f.Reveal(ctx, peer, iri); err != nil {
		return nil, err
	}
	if !page {
		n, err := f.Store.CountOutgoingActivities(ctx, InstanceActor)
		if err != nil {
			return nil, err
		}
		return &activitypub.Object{ID: iri, Type: activitypub.TypeOrderedCollection, TotalItems: activitypub.Int(n),
			First: activitypub.IRI(iri + "?page=true")}, nil
	}
	acts, err := f.Store.OutgoingActivities(ctx, InstanceActor, maxID, OutboxPageSize)
	if err != nil {
		return nil, err
	}
	id := iri + "?page=true"
	if maxID > 0 {
		id += "&max_id=" + strconv.FormatInt(maxID, 10)
	}
	p := &activitypub.Object{ID: id, Type: activitypub.TypeOrderedCollectionPage, PartOf: activitypub.IRI(iri)}
	for _, a := range acts {
		o, err := activitypub.Decode(a.Body)
		if err != nil {
			return nil, err
		}
		p.OrderedItems = append(p.OrderedItems, activitypub.Embed(o))
	}
	if len(acts) == OutboxPageSize {
		p.Next = activitypub.IRI(iri + "?page=true&max_id=" + strconv.FormatInt(acts[len(acts)-1].ID, 10))
	}
	return p, nil
}

// Fetch gets a partner's document signed as the instance actor (an operator's check
// that two instances trust each other; the tests' view of a partner).
func (f *Federation) Fetch(ctx context.Context, url string) ([]byte, error) {
	c, err := f.client(ctx, InstanceActor)
	if err != nil {
		return nil, err
	}
	body, _, err := c.Get(ctx, url)
	return body, err
}
