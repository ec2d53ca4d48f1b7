package ruche

import (
	"context"
	"time"
)

// Federation's domain types and the store it needs. Ruche federates only with the
// partner instances an admin names; everything that leaves goes through the gate
// (gate.go); everything that arrives is verified (federation_in.go) before it is
// stored as a job.

// PartnerState says whether Ruche talks to a partner now.
type PartnerState string

// A suspended partner keeps its record (and what it shares, later) but nothing is
// fetched from it, delivered to it, or accepted from it.
const (
	PartnerActive    PartnerState = "active"
	PartnerSuspended PartnerState = "suspended"
)

// Valid reports whether s is a known state.
func (s PartnerState) Valid() bool { return s == PartnerActive || s == PartnerSuspended }

// Partner is an instance an admin chose to federate with. Domain is its host name,
// lowercased, with a port when it is not the default (development).
type Partner struct {
	Domain    string
	State     PartnerState
	Note      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// LocalActor names an actor of this instance in the store: InstanceActor,
// "user:<id>" or "group:<id>".
type LocalActor string

// InstanceActor is the instance's own Application actor, which signs instance-level
// fetches and is the only local actor federated before groups are shared.
const InstanceActor LocalActor = "instance"

// ActorKey is a local actor's key pair; the private key is sealed (see Secrets).
type ActorKey struct {
	Actor         LocalActor
	PublicPEM     string
	PrivateSealed []byte
	CreatedAt     time.Time
}

// RemoteActor is a partner's actor as last fetched: where to deliver to it and the key
// its signatures are checked with.
type RemoteActor struct {
	IRI         string
	Host        string // host[:port] of IRI, lowercased
	KeyID       string
	PublicPEM   string
	Inbox       string
	SharedInbox string // "" when it has none
	Document    []byte // the actor document as fetched (JSON)
	FetchedAt   time.Time
}

// OutgoingActivity is an activity as Ruche sent it: Body is the exact bytes delivered.
type OutgoingActivity struct {
	ID        int64
	IRI       string
	Actor     LocalActor
	Body      []byte
	CreatedAt time.Time
}

// Delivery is one job of the delivery queue: one activity to one inbox. Inbox is ""
// when the destination is a partner instance as a whole (its instance actor's shared
// inbox, found when the job runs, so a partner that is down when the activity is made
// still gets it).
type Delivery struct {
	ActivityID int64  `json:"activity_id"`
	Host       string `json:"host"`
	Inbox      string `json:"inbox,omitempty"`
}

// IncomingActivity is an activity received from a partner, verified.
type IncomingActivity struct {
	ID          int64
	IRI         string
	Actor       string // the actor IRI, which the signature's key belongs to
	Host        string // the partner it came from
	Type        string
	Body        []byte
	ReceivedAt  time.Time
	ProcessedAt *time.Time
}

// FailedDelivery is a delivery the queue gave up on (or is still retrying after
// errors), shown to admins.
type FailedDelivery struct {
	JobID       int64
	ActivityIRI string
	Host        string
	Inbox       string
	State       string // River's: retryable, discarded, cancelled
	Attempts    int
	LastError   string
	At          time.Time // when it was given up, or when it runs next
}

// FederationStore is what federation needs from persistence.
type FederationStore interface {
	// Partners lists every partner, by domain.
	Partners(ctx context.Context) ([]Partner, error)
	// Partner returns one partner; ErrNotFound when the domain is not one.
	Partner(ctx context.Context, domain string) (Partner, error)
	// PutPartner creates a partner or updates its state and note, with an audit entry.
	PutPartner(ctx context.Context, actorID int64, p Partner) (Partner, error)
	// RemovePartner deletes a partner, with an audit entry; ErrNotFound if none.
	RemovePartner(ctx context.Context, actorID int64, domain string) error

	// ActorKey returns a local actor's key; ErrNotFound when it has none yet.
	ActorKey(ctx context.Context, actor LocalActor) (ActorKey, error)
	// AddActorKey stores k unless the actor has a key already, and returns the key
	// the actor has afterwards (so two nodes making one at once agree on one).
	AddActorKey(ctx context.Context, k ActorKey) (ActorKey, error)
	// ReplaceActorKey stores k in place of the actor's key (rotation), and queues out
	// (the Update announcing the new key) in the same transaction.
	ReplaceActorKey(ctx context.Context, k ActorKey, out []Outbound) error
	// ActorKeys lists every local key, for re-sealing under a new secret.
	ActorKeys(ctx context.Context) ([]ActorKey, error)
	// ResealActorKey replaces the sealed private key of actor if it is still old.
	ResealActorKey(ctx context.Context, actor LocalActor, old, sealed []byte) error

	// RemoteActor returns a cached remote actor by IRI; RemoteActorByKeyID by key id.
	RemoteActor(ctx context.Context, iri string) (RemoteActor, error)
	RemoteActorByKeyID(ctx context.Context, keyID string) (RemoteActor, error)
	// PutRemoteActor inserts or replaces a remote actor.
	PutRemoteActor(ctx context.Context, a RemoteActor) error
	// ForgetRemoteActor deletes a cached remote actor (it was deleted at home).
	ForgetRemoteActor(ctx context.Context, iri string) error

	// QueueActivities stores each cleared activity and, in the same transaction, one
	// delivery job per destination. It refuses an Outbound the gate did not make.
	QueueActivities(ctx context.Context, out []Outbound) ([]OutgoingActivity, error)
	OutgoingActivity(ctx context.Context, id int64) (OutgoingActivity, error)
	// OutgoingActivities pages an actor's activities, newest first, with ids below
	// before (0: from the newest).
	OutgoingActivities(ctx context.Context, actor LocalActor, before int64, limit int) ([]OutgoingActivity, error)
	CountOutgoingActivities(ctx context.Context, actor LocalActor) (int, error)

	// ReceiveActivities stores each activity whose IRI is new and, in the same
	// transaction, one processing job for it; it reports which were new. An activity
	// received twice is stored and processed once.
	ReceiveActivities(ctx context.Context, in []IncomingActivity) ([]bool, error)
	// IncomingActivity returns a received activity by its row id.
	IncomingActivity(ctx context.Context, id int64) (IncomingActivity, error)
	// MarkProcessed records that the activity's effect is applied.
	MarkProcessed(ctx context.Context, id int64) error

	// FailedDeliveries lists the latest deliveries that failed, newest first.
	FailedDeliveries(ctx context.Context, limit int) ([]FailedDelivery, error)

	// CountGroupMembersFrom counts groupID's members whose accounts live on domain.
	CountGroupMembersFrom(ctx context.Context, groupID int64, domain string) (int, error)
	// InGroupSharedWith reports whether the local account is a member of a group
	// shared with domain.
	InGroupSharedWith(ctx context.Context, accountID int64, domain string) (bool, error)
	// UserByID returns a local user (members' actor documents).
	UserByID(ctx context.Context, id int64) (User, error)
	// UpsertRemoteAccount stores (or refreshes the name of) the account of a partner's
	// actor, and returns its id.
	UpsertRemoteAccount(ctx context.Context, a RemoteActor, username, displayName string, rename bool) (int64, error)
	// RemoteMember returns a remote account's standing in a group, with what answering
	// its Follow needs; ErrNotFound for a local account or no standing.
	RemoteMember(ctx context.Context, groupID, accountID int64) (RemoteMember, error)
	// RemoteMemberByActor is RemoteMember by the account's actor id.
	RemoteMemberByActor(ctx context.Context, groupID int64, apID string) (RemoteMember, error)
	// SetFollowID records the Follow a membership started with (a request, if there
	// is no standing yet).
	SetFollowID(ctx context.Context, groupID, accountID int64, followID string) error
	// SetMembership and RemoveMembership are GroupStore's: a remote account's standing
	// changes as a local one's does (moderators are notified of a request).
	SetMembership(ctx context.Context, groupID, accountID int64, state MembershipState, role GroupRole, notify NotificationKind, from int64) error
	RemoveMembership(ctx context.Context, groupID, accountID int64) error

	// UpsertRemoteGroup stores (or refreshes) a partner's group and returns its id.
	UpsertRemoteGroup(ctx context.Context, a RemoteActor, handle, name, description string, kind GroupKind) (int64, error)
	// RemoteGroup returns the actor id and instance of a partner's group; ErrNotFound
	// for a local group.
	RemoteGroup(ctx context.Context, groupID int64) (apID, domain string, err error)
	// GroupByActor returns the id of the partner's group with that actor id.
	GroupByActor(ctx context.Context, apID string) (int64, error)
	// DeleteRemoteGroup deletes a partner's group and everything of it here.
	DeleteRemoteGroup(ctx context.Context, groupID int64) error
	// LocalMembership returns a local account's standing in a group and the Follow it
	// sent to join it.
	LocalMembership(ctx context.Context, groupID, accountID int64) (MembershipState, string, error)

	// LockFederationOutbox takes the outbox drain's lock, if no other drain (on any
	// node) holds it; release gives it back.
	LockFederationOutbox(ctx context.Context) (release func(), ok bool, err error)
	// FederationOutbox returns the oldest changes to group posts that partners must hear
	// of; DoneFederationOutbox deletes one once its activities are queued.
	FederationOutbox(ctx context.Context, limit int) ([]OutboxItem, error)
	DoneFederationOutbox(ctx context.Context, id int64) error
	// FederationOutboxItem returns one outbox row (the gate checks what it is told).
	FederationOutboxItem(ctx context.Context, id int64) (OutboxItem, error)
	// GroupMemberDomains lists the instances with members in a group, sorted.
	GroupMemberDomains(ctx context.Context, groupID int64) ([]string, error)
	// AccountAPID returns the actor id of a remote account ("" for a local one).
	AccountAPID(ctx context.Context, accountID int64) (string, error)
	// FederatedPost returns a group post with what its Note needs, whatever its group.
	FederatedPost(ctx context.Context, postID int64) (FedPost, error)
	// PostByAPID returns the id, author and group of the post with that ActivityPub id
	// in groupID (0: any); PostsByAPID every copy of it, one per group that brought it.
	PostByAPID(ctx context.Context, apID string, groupID int64) (postID, authorID, group int64, err error)
	PostsByAPID(ctx context.Context, apID string) ([]APPost, error)
	// Tombstone and Tombstoned record and tell that a partner's post was deleted here,
	// in a group (0: everywhere).
	Tombstone(ctx context.Context, apID string, groupID int64) error
	Tombstoned(ctx context.Context, apID string, groupID int64) (bool, error)
	// ShareCreatedAt returns when a group was shared with a partner.
	ShareCreatedAt(ctx context.Context, groupID int64, domain string) (time.Time, error)
	// HasLocalMembers reports whether anyone here is a member of a group.
	HasLocalMembers(ctx context.Context, groupID int64) (bool, error)
	// Media returns an upload by id (attached files are served to partners).
	Media(ctx context.Context, id int64) (MediaRecord, error)
	// AccountByAPID returns the id of the account with that actor id.
	AccountByAPID(ctx context.Context, apID string) (int64, error)
	// CreatePost, EditPost and DeletePost are the posts store's: a post from a partner
	// is stored as any other.
	CreatePost(ctx context.Context, d PostDraft) (int64, error)
	SetLiked(ctx context.Context, accountID, postID int64, liked bool) error
	Boost(ctx context.Context, accountID, postID int64) (int64, error)
	Unboost(ctx context.Context, accountID, postID int64) error
	EditPost(ctx context.Context, id int64, d PostDraft) error
	DeletePost(ctx context.Context, id int64) error

	// GroupMemberIRIs lists a group's members for its members collection: the ids of
	// local members, and the actor ids of remote ones, in the order they joined.
	GroupMemberIRIs(ctx context.Context, groupID int64) (local []int64, remote []string, err error)
}

// RemoteMember is an account of a partner instance with a standing in a local group.
type RemoteMember struct {
	GroupID   int64
	AccountID int64
	APID      string // the account's actor id
	Domain    string // its instance
	FollowID  string // the Follow its membership started with ("" if unknown)
	State     MembershipState
}

// RemoteGroupFollow is a local member's Follow of a partner's group: what the member's
// joining (or leaving) sends.
type RemoteGroupFollow struct {
	GroupID   int64
	UserID    int64
	GroupAPID string // the group's actor id
	Domain    string // its instance
	FollowID  string
}

// OutboxItem is a change to a group post that partners must hear of.
type OutboxItem struct {
	ID       int64
	PostID   int64
	GroupID  int64
	AuthorID int64
	Kind     string // create, update, delete
	APID     string // the post's id when it came from a partner
}

// FedPost is a group post as the wire needs it.
type FedPost struct {
	ID          int64
	APID        string // "" for a post written here
	Author      Author
	AuthorAPID  string // "" for a local author
	GroupID     int64
	GroupAPID   string // "" for a local group
	GroupDomain string
	HTML        string
	SpoilerText string
	ParentID    int64
	ParentAPID  string
	// ParentLocalAuthor is who wrote the post it answers, when a member here (else 0).
	ParentLocalAuthor int64
	CreatedAt         time.Time
	EditedAt          *time.Time
	// Mentions are the people it mentions whom its readers elsewhere may know of: the
	// group's members and partners' people, never someone of this instance outside
	// the group.
	Mentions []FedMention
	// Media are its attachments, in order.
	Media []Attachment
}

// APPost is a copy of a partner's post: a post is kept once per group that brought it.
type APPost struct{ ID, AuthorID, GroupID int64 }

// FedMention is a person a group post mentions.
type FedMention struct {
	AccountID int64
	Username  string
	Domain    string // "" for this instance's
	APID      string // "" for this instance's
}

// Peer is a verified server-to-server request's sender: an active partner, and the
// actor whose key signed the request.
type Peer struct {
	Partner Partner
	Actor   string // the key's owner
	KeyID   string
}
