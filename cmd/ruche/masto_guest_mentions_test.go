package main

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// TestMastoGuestNeverLearnsHiddenNames: a reply names its parent's author (in its
// mentions and in_reply_to_account_id). When the parent is hidden from a guest the
// reply is addressed to, the guest must not learn that author from the reply, nor
// from the conversation's participants.
func TestMastoGuestNeverLearnsHiddenNames(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	carol := member(t, m, base, "carol", ruche.RoleMember)
	gina := member(t, m, base, "gina", ruche.RoleGuest)
	var dm, reply struct{ ID string }
	carol.ok("POST", "/api/v1/statuses", url.Values{"status": {"@alice the board meets on Friday"}, "visibility": {"direct"}}).into(t, &dm)
	alice.ok("POST", "/api/v1/statuses", url.Values{"status": {"@gina fyi"}, "visibility": {"direct"}, "in_reply_to_id": {dm.ID}}).into(t, &reply)

	var st struct {
		InReplyToID        *string `json:"in_reply_to_id"`
		InReplyToAccountID *string `json:"in_reply_to_account_id"`
		Mentions           []struct{ Username string }
	}
	gina.get("/api/v1/statuses/"+reply.ID, &st)
	if st.InReplyToAccountID != nil {
		t.Errorf("the guest learns whom the reply answers: %s", *st.InReplyToAccountID)
	}
	for _, mn := range st.Mentions {
		if mn.Username == "carol" {
			t.Errorf("the guest learns carol from the reply's mentions: %+v", st.Mentions)
		}
	}
	gina.want(http.StatusNotFound, "GET", "/api/v1/accounts/"+idOf(carol.user.ID), nil)
	var convs []struct {
		Accounts []struct{ Username string }
	}
	gina.get("/api/v1/conversations", &convs)
	for _, c := range convs {
		for _, a := range c.Accounts {
			if a.Username == "carol" {
				t.Errorf("the guest learns carol from the conversation: %+v", convs)
			}
		}
	}
	// Alice, who may see everything here, still sees whom she answered.
	alice.get("/api/v1/statuses/"+reply.ID, &st)
	if st.InReplyToAccountID == nil || *st.InReplyToAccountID != idOf(carol.user.ID) {
		t.Errorf("alice's own reply lost its parent's author")
	}
}

// TestMastoDeleteOwnBoost: deleting one's own boost by its id undoes the boost, as in
// Mastodon; someone else's boost cannot be deleted that way.
func TestMastoDeleteOwnBoost(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	bob := member(t, m, base, "bob", ruche.RoleMember)
	var st, boost struct {
		ID           string
		ReblogsCount int `json:"reblogs_count"`
		Reblog       *struct{ ID string }
	}
	alice.ok("POST", "/api/v1/statuses", url.Values{"status": {"Worth sharing"}}).into(t, &st)
	bob.ok("POST", "/api/v1/statuses/"+st.ID+"/reblog", nil).into(t, &boost)
	if boost.Reblog == nil || boost.Reblog.ID != st.ID {
		t.Fatalf("reblog = %+v", boost)
	}
	alice.want(http.StatusNotFound, "DELETE", "/api/v1/statuses/"+boost.ID, nil)
	bob.ok("DELETE", "/api/v1/statuses/"+boost.ID, nil)
	bob.want(http.StatusNotFound, "GET", "/api/v1/statuses/"+boost.ID, nil)
	alice.get("/api/v1/statuses/"+st.ID, &st)
	if st.ReblogsCount != 0 {
		t.Fatalf("after the boost was deleted: %d reblogs", st.ReblogsCount)
	}
}
