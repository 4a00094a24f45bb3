package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

// capacityDesk is an account with agents and tickets, for the capacity tests.
type capacityDesk struct {
	t       *testing.T
	st      *store.Store
	account string
	channel string
	agents  []string
	tickets []string
}

func newCapacityDesk(t *testing.T, capacities ...int) *capacityDesk {
	st, acc, ch := setup(t)
	d := &capacityDesk{t: t, st: st, account: acc.ID, channel: ch.ID}
	for i, c := range capacities {
		u, err := st.CreateUser(context.Background(), acc.ID, domain.User{
			Email: fmt.Sprintf("agent%d@acme.test", i), HasProfile: true, Capacity: c, Availability: domain.Available})
		require.NoError(t, err)
		d.agents = append(d.agents, u.ID)
	}
	return d
}

// ticket creates a ticket on a thread of its own.
func (d *capacityDesk) ticket(i int) string {
	ctx := context.Background()
	acc, err := d.st.AcceptInbound(ctx, store.Inbound{AccountID: d.account, ChannelID: d.channel, ThreadKey: fmt.Sprintf("t:%d", i),
		ExternalID: fmt.Sprintf("m%d", i), Text: "help", SentAt: time.Now()}, testenv.ConversationIDs(d.t).ID)
	require.NoError(d.t, err)
	tk, _, err := d.st.CreateTicket(ctx, store.NewTicket{AccountID: d.account, ConversationID: acc.ConversationID, ChannelID: d.channel,
		Status: "open"})
	require.NoError(d.t, err)
	d.tickets = append(d.tickets, tk.ID)
	return tk.ID
}

// overbooked lists every agent holding more open tickets than their capacity.
func overbooked(st *store.Store, accountID string) ([]string, error) {
	var over []string
	err := st.DB().Select(&over,
		`SELECT u.id || ' holds ' || count(t.id) || ' of capacity ' || u.capacity
		   FROM users u JOIN tickets t ON t.assignee_user_id = u.id AND t.status <> 'closed'
		  WHERE u.account_id = $1 GROUP BY u.id, u.capacity HAVING count(t.id) > u.capacity`, accountID)
	return over, err
}

// watchCapacity checks the invariant continuously until the returned stop is
// called, which reports every violation seen.
func watchCapacity(t *testing.T, st *store.Store, accountID string) (stop func()) {
	var seen atomic.Value
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if over, err := overbooked(st, accountID); err == nil && len(over) > 0 && seen.Load() == nil {
				seen.Store(over)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		if over := seen.Load(); over != nil {
			t.Errorf("the watcher saw agents over capacity: %v", over)
		}
	}
}

// TestConcurrentDispatchNeverExceedsCapacity is issue #9's defect 3: an
// agent of capacity 1 becomes available with 12 tickets waiting, and 8
// dispatches for them run at once. Exactly one ticket may be assigned.
func TestConcurrentDispatchNeverExceedsCapacity(t *testing.T) {
	d := newCapacityDesk(t, 1)
	ctx := context.Background()
	agent := d.agents[0]
	_, err := d.st.SetAvailability(ctx, d.account, agent, domain.Away)
	require.NoError(t, err)
	for i := range 12 {
		res, err := d.st.ClaimAgent(ctx, store.Claim{AccountID: d.account, TicketID: d.ticket(i), Candidates: d.agents, OnlyAvailable: true, Wait: true})
		require.NoError(t, err)
		require.Empty(t, res.UserID, "the agent is away")
	}
	_, err = d.st.SetAvailability(ctx, d.account, agent, domain.Available)
	require.NoError(t, err)

	const rounds = 10 // each round closes the assigned ticket and races 8 dispatches again
	for round := range rounds {
		var wg sync.WaitGroup
		start := make(chan struct{})
		var got atomic.Int64
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				out, err := d.st.Dispatch(ctx, d.account, agent)
				if err != nil {
					t.Errorf("dispatch: %v", err)
				}
				got.Add(int64(len(out)))
			}()
		}
		close(start)
		wg.Wait()
		over, err := overbooked(d.st, d.account)
		require.NoError(t, err)
		require.Empty(t, over, "round %d: 8 concurrent dispatches to an agent of capacity 1", round)
		require.EqualValues(t, 1, got.Load(), "round %d: exactly one dispatch assigns", round)
		var open []string
		require.NoError(t, d.st.DB().Select(&open, `SELECT id FROM tickets WHERE assignee_user_id = $1 AND status <> 'closed'`, agent))
		require.Len(t, open, 1)
		closed := "closed"
		_, err = d.st.ChangeTicket(ctx, d.account, open[0], store.TicketChange{Status: &closed})
		require.NoError(t, err)
	}
}

// TestCapacityHoldsUnderAssignmentStorm runs every path that assigns or frees
// an agent at once — routing claims with and without waiting, dispatches,
// availability flips, closes, reopens (by a customer and by PATCH), manual
// reassignments and wait timeouts — and checks after every step, and
// continuously from a watcher, that no agent ever holds more open tickets
// than their capacity. It also fails on any unexpected error (a deadlock, say).
func TestCapacityHoldsUnderAssignmentStorm(t *testing.T) {
	d := newCapacityDesk(t, 1, 2, 3, 1)
	ctx := context.Background()
	for i := range 40 {
		d.ticket(i)
	}
	stop := watchCapacity(t, d.st, d.account)
	defer stop()

	const workers, steps = 8, 120
	var wg sync.WaitGroup
	var refused atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for step := range steps {
				if err := d.randomStep(ctx, rng); err != nil {
					if errors.Is(err, domain.ErrConflict) {
						refused.Add(1) // a manual assignment to a full agent is refused
					} else {
						t.Errorf("worker %d step %d: %v", w, step, err)
						return
					}
				}
				over, err := overbooked(d.st, d.account)
				if err != nil {
					t.Errorf("check capacity: %v", err)
					return
				}
				if len(over) > 0 {
					t.Errorf("worker %d step %d: agents over capacity: %v", w, step, over)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d manual assignments refused at capacity", refused.Load())
}

// randomStep does one random thing that assigns or frees an agent.
func (d *capacityDesk) randomStep(ctx context.Context, rng *rand.Rand) error {
	ticket := d.tickets[rng.IntN(len(d.tickets))]
	agent := d.agents[rng.IntN(len(d.agents))]
	someAgents := func() []string {
		var out []string
		for _, a := range d.agents {
			if rng.IntN(2) == 0 {
				out = append(out, a)
			}
		}
		return append(out, agent)
	}
	str := func(s string) *string { return &s }
	var err error
	switch rng.IntN(9) {
	case 0, 1: // a conversation routes (or re-routes) its ticket
		_, err = d.st.ClaimAgent(ctx, store.Claim{AccountID: d.account, TicketID: ticket, Candidates: someAgents(),
			OnlyAvailable: rng.IntN(2) == 0, Wait: rng.IntN(2) == 0})
	case 2: // an agent becomes available, or gets room
		_, err = d.st.Dispatch(ctx, d.account, agent)
	case 3: // availability flips
		availability := []string{domain.Available, domain.Away, domain.Offline}[rng.IntN(3)]
		if _, err = d.st.SetAvailability(ctx, d.account, agent, availability); err == nil && availability == domain.Available {
			_, err = d.st.Dispatch(ctx, d.account, agent)
		}
	case 4: // an agent closes a ticket, which frees them
		var ch store.ChangedTicket
		if ch, err = d.st.ChangeTicket(ctx, d.account, ticket, store.TicketChange{Status: str(domain.TicketStatusClosed)}); err == nil && ch.Freed != "" {
			_, err = d.st.Dispatch(ctx, d.account, ch.Freed)
		}
	case 5: // a manual reassignment
		_, err = d.st.ChangeTicket(ctx, d.account, ticket, store.TicketChange{AssignUser: str(agent)})
	case 6: // a closed ticket is reopened by PATCH, keeping its assignee
		_, err = d.st.ChangeTicket(ctx, d.account, ticket, store.TicketChange{Status: str("open")})
	case 7: // the customer writes again on a closed ticket: back to the previous agent if they have room
		var prev string
		if prev, err = d.st.Reopen(ctx, d.account, ticket); err == nil && prev != "" {
			_, err = d.st.ClaimAgent(ctx, store.Claim{AccountID: d.account, TicketID: ticket, Candidates: []string{prev}, OnlyAvailable: true})
		}
	case 8: // a wait times out
		_, err = d.st.StopWaiting(ctx, d.account, ticket)
	}
	return err
}
