package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/store"
)

// TicketSource is what the ticket collector reads from PostgreSQL at scrape time.
type TicketSource interface {
	MeasureHistograms(ctx context.Context) ([]store.MeasureHistogram, error)
	OpenTicketCounts(ctx context.Context) ([]store.OpenTicketCount, error)
	TeamLoads(ctx context.Context) ([]store.TeamLoad, error)
	SLAOutcomes(ctx context.Context) ([]store.SLAOutcome, error)
	AgentLoads(ctx context.Context, limit int) ([]store.AgentLoad, int, error)
}

// Ticket metric names, as dashboards query them.
const (
	FirstResponseSeconds = "routedesk_ticket_first_response_seconds"
	ResolutionSeconds    = "routedesk_ticket_resolution_seconds"
	AgentWaitSeconds     = "routedesk_ticket_agent_wait_seconds"
	OpenTickets          = "routedesk_tickets_open"
	TeamAgents           = "routedesk_team_agents"
	TeamOpenTickets      = "routedesk_team_open_tickets"
	TeamCapacity         = "routedesk_team_capacity"
	TeamAgentsAtCapacity = "routedesk_team_agents_at_capacity"
	SLAAchievedTotal     = "routedesk_sla_achieved_total"
	SLABreachedTotal     = "routedesk_sla_breached_total"
)

// Tickets exports the reporting metrics from PostgreSQL at scrape time, so
// every process shows the same figures and a restart loses nothing: the
// durations (measured once per ticket, histograms by channel type and team),
// open tickets by channel type and routing state, and agents' load against
// capacity per team and per agent. Labels are bounded: channel types are a
// fixed set and teams are per account; the per-agent gauges (labelled by the
// agent's user id, never a name or address) cover at most MaxAgentSeries
// agents, the busiest first, and routedesk_agent_series_omitted counts the rest.
type Tickets struct {
	src       TicketSource
	log       *slog.Logger
	durations map[string]*prometheus.Desc
	open      *prometheus.Desc
	agents    *prometheus.Desc
	load      *prometheus.Desc
	capacity  *prometheus.Desc
	full      *prometheus.Desc
	// sla are the achieved and breached counters, by outcome.
	sla map[string]*prometheus.Desc
	// agentLoad, agentCapacity and agentsOmitted are the per-agent gauges (agents.go).
	agentLoad, agentCapacity, agentsOmitted *prometheus.Desc
}

// NewTickets returns the ticket collector reading src.
func NewTickets(src TicketSource, log *slog.Logger) *Tickets {
	byTeam := []string{"team"}
	return &Tickets{src: src, log: log,
		durations: map[string]*prometheus.Desc{
			store.MeasureFirstResponse: prometheus.NewDesc(FirstResponseSeconds,
				"Time from a ticket's creation to its first agent reply a channel took, by channel type and team.", []string{"channel_type", "team"}, nil),
			store.MeasureResolution: prometheus.NewDesc(ResolutionSeconds,
				"Time from a ticket's creation to its first resolution (solved or closed), by channel type and team.", []string{"channel_type", "team"}, nil),
			store.MeasureAgentWait: prometheus.NewDesc(AgentWaitSeconds,
				"Time from a ticket's creation to its first agent, by channel type and team.", []string{"channel_type", "team"}, nil),
		},
		open:     prometheus.NewDesc(OpenTickets, "Tickets not closed, by channel type and routing state (waiting_for_agent: waiting).", []string{"channel_type", "routing_state"}, nil),
		agents:   prometheus.NewDesc(TeamAgents, "Agents with a service profile, by team (none: in no team).", byTeam, nil),
		load:     prometheus.NewDesc(TeamOpenTickets, "Open tickets held by the team's agents.", byTeam, nil),
		capacity: prometheus.NewDesc(TeamCapacity, "Sum of the team's agents' capacities.", byTeam, nil),
		full:     prometheus.NewDesc(TeamAgentsAtCapacity, "The team's agents whose open tickets fill their capacity.", byTeam, nil),
		sla: map[string]*prometheus.Desc{
			"achieved": prometheus.NewDesc(SLAAchievedTotal, "SLA targets met in time, by target (first_response, next_response, resolution).", []string{"target"}, nil),
			"breached": prometheus.NewDesc(SLABreachedTotal, "SLA targets breached, by target.", []string{"target"}, nil),
		},
		agentLoad:     prometheus.NewDesc(AgentLoad, "Open tickets (not solved or closed) assigned to the agent, by agent (user id).", []string{"agent"}, nil),
		agentCapacity: prometheus.NewDesc(AgentCapacity, "The agent's capacity (open tickets it is given at most), by agent (user id).", []string{"agent"}, nil),
		agentsOmitted: prometheus.NewDesc(AgentSeriesOmitted, "Agents left out of routedesk_agent_load and routedesk_agent_capacity by the cap on their series (the least busy).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (t *Tickets) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range t.durations {
		ch <- d
	}
	ch <- t.open
	ch <- t.agents
	ch <- t.load
	ch <- t.capacity
	ch <- t.full
	for _, d := range t.sla {
		ch <- d
	}
	ch <- t.agentLoad
	ch <- t.agentCapacity
	ch <- t.agentsOmitted
}

// Collect implements prometheus.Collector; a query that fails leaves its metrics out of the scrape and is logged.
func (t *Tickets) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if hs, err := t.src.MeasureHistograms(ctx); err != nil {
		t.log.Warn("ticket duration metrics", "error", err)
	} else {
		for _, h := range hs {
			desc := t.durations[h.Kind]
			if desc == nil || len(h.Counts) != len(store.MeasureBuckets) {
				continue // bounds changed without resetting the table: nothing true to export
			}
			buckets := make(map[float64]uint64, len(h.Counts))
			for i, b := range store.MeasureBuckets {
				buckets[b] = uint64(h.Counts[i])
			}
			ch <- prometheus.MustNewConstHistogram(desc, h.Total, h.Sum, buckets, h.ChannelType, h.Team)
		}
	}
	if counts, err := t.src.OpenTicketCounts(ctx); err != nil {
		t.log.Warn("open ticket metrics", "error", err)
	} else {
		for _, c := range counts {
			ch <- prometheus.MustNewConstMetric(t.open, prometheus.GaugeValue, float64(c.Tickets), c.ChannelType, c.RoutingState)
		}
	}
	t.collectSLA(ctx, ch)
	t.collectAgents(ctx, ch)
	loads, err := t.src.TeamLoads(ctx)
	if err != nil {
		t.log.Warn("agent load metrics", "error", err)
		return
	}
	for _, l := range loads {
		ch <- prometheus.MustNewConstMetric(t.agents, prometheus.GaugeValue, float64(l.Agents), l.Team)
		ch <- prometheus.MustNewConstMetric(t.load, prometheus.GaugeValue, float64(l.OpenTickets), l.Team)
		ch <- prometheus.MustNewConstMetric(t.capacity, prometheus.GaugeValue, float64(l.Capacity), l.Team)
		ch <- prometheus.MustNewConstMetric(t.full, prometheus.GaugeValue, float64(l.AtCapacity), l.Team)
	}
}

// collectSLA exports the SLA counters (counted in PostgreSQL as escalations record them).
func (t *Tickets) collectSLA(ctx context.Context, ch chan<- prometheus.Metric) {
	outs, err := t.src.SLAOutcomes(ctx)
	if err != nil {
		t.log.Warn("sla metrics", "error", err)
		return
	}
	for _, o := range outs {
		if d := t.sla[o.Outcome]; d != nil {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(o.N), o.Target)
		}
	}
}
