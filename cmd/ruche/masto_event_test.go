package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// TestMastoEventCard: an event written in the web UI reaches apps as its post's text
// plus a link card with the title, the times and the place.
func TestMastoEventCard(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	bob := member(t, m, base, "bob", ruche.RoleMember)
	start := time.Date(2027, 3, 4, 12, 30, 0, 0, time.UTC)
	p, err := (&ruche.Posts{Store: m.db.store, BaseURL: m.Config.BaseURL()}).Create(context.Background(), alice.user,
		ruche.NewPost{Source: "Team lunch, all welcome", Event: &ruche.Event{Title: "Team lunch", Start: start, Place: "Canteen"}})
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Content string
		Card    *struct {
			Title, Description, URL, Type string
		}
	}
	bob.get("/api/v1/statuses/"+idOf(p.ID), &st)
	if !strings.Contains(st.Content, "Team lunch, all welcome") || st.Card == nil {
		t.Fatalf("status = %+v", st)
	}
	c := st.Card
	if c.Title != "Team lunch" || !strings.Contains(c.Description, "4 Mar 2027 12:30 UTC") || !strings.Contains(c.Description, "Canteen") ||
		c.URL != m.Config.BaseURL()+"/posts/"+idOf(p.ID) || c.Type != "link" {
		t.Fatalf("card = %+v", c)
	}
}
