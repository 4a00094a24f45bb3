package imports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// job is what one batch knows about its import.
type job struct {
	in      BatchInput
	channel domain.Channel
	mail    channels.MailReader
	now     time.Time
	// workflowID names new conversations' workflows.
	workflowID store.WorkflowIDFor
}

// outcome is what importing one item did.
type outcome struct {
	imported bool
	would    store.WouldCreate
}

// errSkip marks an item skipped on purpose (history not wanted, a bounce), reported like a bad line.
type errSkip struct{ reason string }

func (e errSkip) Error() string { return e.reason }

// recent reports whether t lies within the import's recent window.
func (j *job) recent(t time.Time) bool {
	return t.After(j.now.Add(-time.Duration(j.in.RecentHours) * time.Hour))
}

// conversationItem turns an NDJSON conversation into what the store imports.
func (j *job) conversationItem(c Conversation) (store.ImportedConversation, domain.Author, error) {
	author := domain.Author{Email: c.Contact.Email, Name: c.Contact.Name, ExternalUserID: c.Contact.ExternalUserID}
	last := c.Last()
	open := c.Ticket == nil || c.Ticket.Status != domain.TicketStatusClosed && (c.Ticket.Status != "" || c.Ticket.ClosedAt == nil)
	lastInbound := -1
	for i, m := range c.Messages {
		if m.Direction == domain.DirectionInbound && (lastInbound < 0 || !m.SentAt.Before(c.Messages[lastInbound].SentAt)) {
			lastInbound = i
		}
	}
	live := j.recent(last.SentAt) && open && lastInbound >= 0
	if !live && !j.in.IncludeHistory {
		return store.ImportedConversation{}, author, errSkip{"historical conversation not imported (include_history=false)"}
	}
	out := store.ImportedConversation{
		AccountID: j.in.AccountID, ChannelID: j.in.ChannelID, ImportID: j.in.ImportID, ThreadKey: "t:" + c.ExternalID,
	}
	for i, m := range c.Messages {
		im := store.ImportedMessage{ExternalID: m.ExternalID, Direction: m.Direction, Text: m.Text, HTML: m.HTML,
			SentAt: m.SentAt.UTC(), Live: live && i == lastInbound, Attachments: m.stored()}
		switch {
		case m.Direction == domain.DirectionInbound:
			im.Author = author
		case strings.Contains(m.Author, "@"):
			im.Author = domain.Author{Email: m.Author}
		default:
			im.Author = domain.Author{Name: m.Author}
		}
		out.Messages = append(out.Messages, im)
	}
	first := c.Messages[0]
	for _, m := range c.Messages {
		if m.SentAt.Before(first.SentAt) {
			first = m
		}
	}
	switch t := c.Ticket; {
	case t != nil:
		out.Ticket = j.ticket(*t, first, last, live)
	case !live: // history gets a closed ticket, so it can be found like any other
		out.Ticket = j.ticket(Ticket{Status: domain.TicketStatusClosed}, first, last, false)
	}
	return out, author, nil
}

func (j *job) ticket(t Ticket, first, last Message, live bool) *store.ImportedTicket {
	d := j.channel.TicketDefaults
	it := &store.ImportedTicket{
		Subject: t.Subject, Description: t.Description, Status: domain.LegacyTicketStatus(or(t.Status, d.Status, domain.TicketStatusNew)),
		Pipeline: or(t.Pipeline, d.Pipeline), Priority: or(t.Priority, d.Priority), Properties: t.Properties,
		AssigneeEmail: t.AssigneeEmail, CreatedAt: first.SentAt.UTC(), Routed: live,
	}
	if t.Status == "" && t.ClosedAt != nil {
		it.Status = domain.TicketStatusClosed
	}
	if it.Subject == "" {
		it.Subject = activities.Subject(domain.Message{Text: first.Text}, j.channel.Name)
	}
	if it.Description == "" {
		it.Description = first.Text
	}
	if t.CreatedAt != nil {
		it.CreatedAt = t.CreatedAt.UTC()
	}
	switch {
	case t.ClosedAt != nil:
		closed := t.ClosedAt.UTC()
		it.ClosedAt = &closed
	case it.Status == domain.TicketStatusClosed:
		closed := last.SentAt.UTC()
		it.ClosedAt = &closed
	}
	return it
}

func or(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// mailItem turns one mbox mail into what the store imports, threaded by Message-ID.
func (j *job) mailItem(ctx context.Context, st *store.Store, rec record) (store.ImportedConversation, domain.Author, error) {
	m, err := j.mail.ReadHistoricalMail(rec.Data, j.channel.Config)
	if err != nil {
		return store.ImportedConversation{}, domain.Author{}, err
	}
	if m.Skip != "" {
		return store.ImportedConversation{}, domain.Author{}, errSkip{m.Skip}
	}
	extID := m.MessageID
	if extID == "" {
		sum := sha256.Sum256(rec.Data)
		extID = "sha256:" + hex.EncodeToString(sum[:])
	}
	sent := m.Date
	if sent.IsZero() {
		sent = rec.Received
	}
	if sent.IsZero() {
		sent = fromLineDate(rec.Header, j.now)
	}
	msg := store.ImportedMessage{ExternalID: extID, Direction: domain.DirectionInbound, Subject: m.Subject,
		Text: m.Text, HTML: m.HTML, SentAt: sent.UTC(), Author: m.Author, Attachments: m.Attachments}
	if m.Outbound {
		msg.Direction = domain.DirectionOutbound
	}
	author := m.Contact
	live := msg.Direction == domain.DirectionInbound && j.recent(msg.SentAt)
	if !live && !j.in.IncludeHistory {
		return store.ImportedConversation{}, author, errSkip{"historical mail not imported (include_history=false)"}
	}
	msg.Live = live
	key, err := j.mailThread(ctx, st, m, extID)
	if err != nil {
		return store.ImportedConversation{}, author, err
	}
	out := store.ImportedConversation{AccountID: j.in.AccountID, ChannelID: j.in.ChannelID, ImportID: j.in.ImportID,
		ThreadKey: key, Messages: []store.ImportedMessage{msg}}
	if !live { // history: the thread's ticket (made by its first mail) is closed
		closed := msg.SentAt
		out.Ticket = &store.ImportedTicket{Subject: activities.Subject(domain.Message{Subject: m.Subject, Text: msg.Text}, j.channel.Name),
			Description: msg.Text, Status: domain.TicketStatusClosed, Pipeline: j.channel.TicketDefaults.Pipeline,
			Priority: j.channel.TicketDefaults.Priority, CreatedAt: msg.SentAt, ClosedAt: &closed}
	}
	return out, author, nil
}

// mailThread is a mail's conversation: that of a stored mail it refers to
// (References, In-Reply-To; an inbound mail's Message-ID or one of our replies', as for live mail), else its thread's root Message-ID.
func (j *job) mailThread(ctx context.Context, st *store.Store, m channels.HistoricalMail, extID string) (string, error) {
	refs := append(append([]string{}, m.InReplyTo...), m.References...)
	if key, ok, err := st.ThreadByMessageIDs(ctx, j.in.ChannelID, refs); err != nil || ok {
		return key, err
	}
	root := extID
	switch {
	case len(m.References) > 0:
		root = m.References[0]
	case len(m.InReplyTo) > 0:
		root = m.InReplyTo[0]
	}
	return MailThreadKey(root), nil
}

// MailThreadKey is the thread key of an imported mail thread: its root Message-ID.
func MailThreadKey(rootMessageID string) string { return "mid:" + rootMessageID }

// fromLineDate reads the date of an mbox "From sender date" line; now when it has none.
func fromLineDate(header string, now time.Time) time.Time {
	f := strings.Fields(header)
	if len(f) >= 7 {
		if t, err := time.Parse(time.ANSIC, strings.Join(f[2:7], " ")); err == nil {
			return t
		}
	}
	return now
}

// apply imports one item (or, in a dry run, counts what it would create).
func (j *job) apply(ctx context.Context, st *store.Store, line int64, conv store.ImportedConversation, author domain.Author, phone string) (outcome, error) {
	if j.in.DryRun {
		return j.preview(ctx, st, line, conv, author)
	}
	if author.Email != "" || author.ExternalUserID != "" {
		c, err := st.UpsertContact(ctx, j.in.AccountID, j.in.ChannelID, author)
		if err != nil {
			return outcome{}, fmt.Errorf("contact: %w", err)
		}
		conv.ContactID = c.ContactID
		if phone != "" {
			if err := st.SetContactPhone(ctx, j.in.AccountID, c.ContactID, phone); err != nil {
				return outcome{}, err
			}
		}
	}
	if _, err := st.ImportConversation(ctx, conv, j.workflowID); err != nil {
		return outcome{}, err
	}
	return outcome{imported: true}, nil
}

func (j *job) preview(ctx context.Context, st *store.Store, line int64, conv store.ImportedConversation, author domain.Author) (outcome, error) {
	p, err := st.PreviewImport(ctx, conv, author)
	if err != nil {
		return outcome{}, err
	}
	out := outcome{imported: true}
	first := func(kind, key string) (bool, error) { return st.SeenFirst(ctx, j.in.ImportID, kind, key, line) }
	newConv, err := first("conversation", conv.ThreadKey)
	if err != nil {
		return out, err
	}
	if newConv || j.mail != nil { // a conversation repeated in the file counts once; mails are one message each
		out.would.Messages = p.NewMessages
	}
	if !p.ConversationExists && newConv {
		out.would.Conversations = 1
		if conv.Ticket != nil || conv.Messages[len(conv.Messages)-1].Live {
			out.would.Tickets = 1 // a live conversation's workflow makes its ticket
		}
	} else if !p.TicketExists && newConv && conv.Ticket != nil {
		out.would.Tickets = 1
	}
	if !p.ContactExists && (author.Email != "" || author.ExternalUserID != "") {
		key := strings.ToLower(author.Email)
		if key == "" {
			key = "u:" + author.ExternalUserID
		}
		if ok, err := first("contact", key); err != nil {
			return out, err
		} else if ok {
			out.would.NewContacts = 1
		}
	}
	if t := conv.Ticket; t != nil && t.AssigneeEmail != "" && !p.AssigneeKnown {
		if ok, err := first("assignee", strings.ToLower(t.AssigneeEmail)); err != nil {
			return out, err
		} else if ok {
			out.would.UnknownAssignees = 1
		}
	}
	return out, nil
}
