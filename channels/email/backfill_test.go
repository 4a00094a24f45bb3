package email

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/routedesk/routedesk/channels"
)

// TestMailboxHistoryFetch: a backfill reads only UIDs at or below the seam that
// arrived within the window, in pages, and stops with ErrUIDValidityChanged
// when the folder is re-created; a server that stays down fails after bounded retries.
func TestMailboxHistoryFetch(t *testing.T) {
	f := startIMAP(t, false)
	now := time.Now()
	f.appendMail(t, "old-1", now.AddDate(0, 0, -40))
	f.appendMail(t, "old-2", now.AddDate(0, 0, -35))
	f.appendMail(t, "h-3", now.AddDate(0, 0, -2))
	f.appendMail(t, "h-4", now.AddDate(0, 0, -1))
	f.appendMail(t, "live-5", now) // above the seam: the live poller's
	p, err := NewPoller(f.settings(), "ch-1", &memState{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &mailboxHistory{p: p, days: 30}
	defer func() { _ = m.Close() }()
	ctx := context.Background()
	seam := channels.MailboxSeam{UIDValidity: f.status(t).UIDValidity, UID: 4, Since: now.AddDate(0, 0, -30)}
	var got []string
	after := uint32(0)
	for page := 0; ; page++ {
		mails, more, err := m.Fetch(ctx, seam, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, ml := range mails {
			got = append(got, fmt.Sprintf("%d:%t", ml.UID, ml.Raw != nil && !ml.Received.IsZero()))
			after = ml.UID
		}
		if !more {
			break
		}
		if page > 5 {
			t.Fatal("Fetch keeps reporting more")
		}
	}
	if fmt.Sprint(got) != "[3:true 4:true]" {
		t.Errorf("fetched %v, want UIDs 3 and 4 with bodies and dates", got)
	}
	if mails, more, err := m.Fetch(ctx, seam, 4, 10); len(mails) != 0 || more || err != nil {
		t.Errorf("after the seam: %d mails, more %v, %v", len(mails), more, err)
	}

	// The folder is re-created: its UIDs mean other mail now.
	if err := f.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := f.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Fetch(ctx, seam, 0, 10); !errors.Is(err, channels.ErrUIDValidityChanged) {
		t.Errorf("after a UIDVALIDITY change: %v", err)
	}

	// A server that stays down: an error after bounded retries, not a hang.
	f.stop()
	_ = m.Close()
	start := time.Now()
	if _, _, err := m.Fetch(ctx, seam, 0, 10); err == nil || time.Since(start) > 20*time.Second {
		t.Errorf("with the server down: %v after %s", err, time.Since(start))
	}
}
