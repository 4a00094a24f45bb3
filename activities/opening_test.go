package activities_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/rules"
	"github.com/routedesk/routedesk/store"
)

// openDesk is an account with agents of capacity 1 and a chat channel routing to them.
type openDesk struct {
	t       *testing.T
	st      *store.Store
	acts    *activities.Activities
	account string
	channel string
	agents  []string
}

func newOpenDesk(t *testing.T, agents int) *openDesk {
	st := testenv.Store(t)
	ctx := context.Background()
	acc, _, err := st.CreateAccount(ctx, "Acme", domain.TierStarter, false)
	require.NoError(t, err)
	d := &openDesk{t: t, st: st, account: acc.ID,
		acts: &activities.Activities{Store: st, Rules: rules.NewEngine(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	for i := range agents {
		u, err := st.CreateUser(ctx, acc.ID, domain.User{
			Email: fmt.Sprintf("agent%d@acme.test", i), HasProfile: true, Capacity: 1, Availability: domain.Available})
		require.NoError(t, err)
		d.agents = append(d.agents, u.ID)
	}
	ch, err := st.CreateChannel(ctx, acc.ID, store.ChannelWrite{Type: "chat", Name: "Chat", Redacted: []byte(`{}`), Full: []byte(`{}`),
		Routing: domain.Routing{AssignTo: domain.AssignUsersAndTeams, Users: d.agents}})
	require.NoError(t, err)
	d.channel = ch.ID
	return d
}

// message stores a first message on a thread of its own and returns the opening's input.
func (d *openDesk) message(i int) activities.OpenInput {
	acc, err := d.st.AcceptInbound(context.Background(), store.Inbound{AccountID: d.account, ChannelID: d.channel,
		ThreadKey: fmt.Sprintf("t:%d", i), ExternalID: fmt.Sprintf("m%d", i), Text: "Where is my order?",
		Author: domain.Author{Email: fmt.Sprintf("customer%d@example.com", i)}, SentAt: time.Now()}, testenv.ConversationIDs(d.t).ID)
	require.NoError(d.t, err)
	return activities.OpenInput{AccountID: d.account, ChannelID: d.channel, ConversationID: acc.ConversationID, MessageID: acc.MessageID}
}

func (d *openDesk) count(query string, args ...any) int {
	var n int
	require.NoError(d.t, d.st.DB().Get(&n, query, args...))
	return n
}

// A crash at any point repeats the opening: it finds the contact and the
// ticket again, and a ticket already routed is not routed again.
func TestOpenConversationIsSafeToRepeat(t *testing.T) {
	d := newOpenDesk(t, 2)
	ctx := context.Background()
	in := d.message(1)

	first, err := d.acts.OpenConversation(ctx, in)
	require.NoError(t, err)
	require.True(t, first.Ticket.Created)
	require.True(t, first.Contact.IsNew)
	require.NotNil(t, first.Route)
	require.Equal(t, domain.RoutingAssigned, first.Route.State)
	require.Contains(t, d.agents, first.Route.UserID)

	again, err := d.acts.OpenConversation(ctx, in) // the attempt's result was lost with its worker
	require.NoError(t, err)
	require.False(t, again.Ticket.Created)
	require.Nil(t, again.Route, "a routed ticket is not routed again")
	require.Equal(t, first.Ticket.TicketID, again.Ticket.TicketID)
	require.Equal(t, first.Contact.ContactID, again.Contact.ContactID)
	require.Equal(t, domain.RoutingAssigned, again.Ticket.RoutingState)
	require.Equal(t, first.Route.UserID, again.Ticket.AssigneeID)

	require.Equal(t, 1, d.count(`SELECT count(*) FROM tickets WHERE conversation_id = $1`, in.ConversationID))
	require.Equal(t, 1, d.count(`SELECT count(*) FROM contacts WHERE account_id = $1`, d.account))
	require.Equal(t, 1, d.count(`SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND kind = 'Assigned'`, first.Ticket.TicketID))
}

// An attempt that died after creating the ticket and before routing it: the
// next attempt routes the ticket it finds.
func TestOpenConversationRoutesATicketLeftUnrouted(t *testing.T) {
	d := newOpenDesk(t, 1)
	ctx := context.Background()
	in := d.message(1)
	tk, created, err := d.st.CreateTicket(ctx, store.NewTicket{AccountID: d.account, ConversationID: in.ConversationID,
		ChannelID: d.channel, Status: "new", RequiredSkills: []string{}})
	require.NoError(t, err)
	require.True(t, created)

	o, err := d.acts.OpenConversation(ctx, in)
	require.NoError(t, err)
	require.False(t, o.Ticket.Created)
	require.Equal(t, tk.ID, o.Ticket.TicketID)
	require.NotNil(t, o.Route)
	require.Equal(t, domain.RoutingAssigned, o.Route.State)
	require.Equal(t, d.agents[0], o.Route.UserID)
	require.Equal(t, 1, d.count(`SELECT count(*) FROM tickets WHERE conversation_id = $1`, in.ConversationID))
}

// Openings racing for agents (each attempt also repeated) never put an agent
// over capacity: the claim locks the agents' rows first. Those who find no
// room wait for an agent.
func TestOpenConversationsNeverOverbookAnAgent(t *testing.T) {
	const conversations = 8
	d := newOpenDesk(t, 3)
	ins := make([]activities.OpenInput, conversations)
	for i := range ins {
		ins[i] = d.message(i)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2*conversations)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = d.acts.OpenConversation(context.Background(), ins[i%conversations])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "opening %d", i)
	}
	require.Equal(t, conversations, d.count(`SELECT count(*) FROM tickets WHERE account_id = $1`, d.account), "one ticket a conversation")
	require.Equal(t, 3, d.count(`SELECT count(*) FROM tickets WHERE account_id = $1 AND routing_state = 'assigned'`, d.account))
	require.Equal(t, conversations-3, d.count(`SELECT count(*) FROM tickets WHERE account_id = $1 AND routing_state = 'waiting_for_agent'`, d.account))
	require.Zero(t, d.count(`SELECT count(*) FROM (SELECT assignee_user_id FROM tickets WHERE account_id = $1 AND assignee_user_id IS NOT NULL
	                           GROUP BY assignee_user_id HAVING count(*) > 1) x`, d.account), "an agent over capacity 1")
}
