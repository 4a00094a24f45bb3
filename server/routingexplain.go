package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/routedesk/routedesk/store"
)

// routingDecision is one routing decision of a routing record: the strategy,
// its outcome, the agent chosen, and every candidate's verdict (at most 20
// listed; reasons counts all of them), each with a reason code and its text.
type routingDecision struct {
	DecidedAt      time.Time          `json:"decided_at"`
	Strategy       string             `json:"strategy"`
	Outcome        string             `json:"outcome"`
	Chosen         *agentRef          `json:"chosen"`
	RequiredSkills []string           `json:"required_skills"`
	OnlyAvailable  bool               `json:"only_available"`
	Considered     int                `json:"considered"`
	Reasons        map[string]int     `json:"reasons"`
	Candidates     []routingCandidate `json:"candidates"`
	// Summary says in one sentence why the ticket went where it did, or why nobody took it.
	Summary string `json:"summary"`
}

// agentRef is a user as the routing record names them.
type agentRef struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
}

// routingCandidate is one candidate's verdict.
type routingCandidate struct {
	UserID        string   `json:"user_id"`
	Name          string   `json:"name"`
	Reason        string   `json:"reason"`
	Text          string   `json:"text"`
	MissingSkills []string `json:"missing_skills"`
	Availability  string   `json:"availability"`
	Load          int      `json:"load"`
	Capacity      int      `json:"capacity"`
}

// explainDecisions renders recorded decisions (and the live one of a waiting
// ticket) with the users' current names, looked up once.
func (s *Server) explainDecisions(ctx context.Context, accountID string, recorded []store.RoutingDecision, waiting *store.RoutingDecision) ([]routingDecision, *routingDecision, error) {
	var ids []string
	all := append([]store.RoutingDecision(nil), recorded...)
	if waiting != nil {
		all = append(all, *waiting)
	}
	for _, d := range all {
		if d.ChosenUserID != nil {
			ids = append(ids, *d.ChosenUserID)
		}
		for _, c := range d.Candidates {
			ids = append(ids, c.UserID)
		}
	}
	names, err := s.store.UserNames(ctx, accountID, ids)
	if err != nil {
		return nil, nil, err
	}
	out := make([]routingDecision, len(recorded))
	for i, d := range recorded {
		out[i] = explainDecision(d, names)
	}
	if waiting == nil {
		return out, nil, nil
	}
	w := explainDecision(*waiting, names)
	return out, &w, nil
}

func explainDecision(d store.RoutingDecision, names map[string]string) routingDecision {
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	out := routingDecision{DecidedAt: d.DecidedAt, Strategy: d.Strategy, Outcome: d.Outcome, RequiredSkills: d.RequiredSkills,
		OnlyAvailable: d.OnlyAvailable, Considered: d.Considered, Reasons: d.Reasons, Candidates: []routingCandidate{}}
	if out.Reasons == nil {
		out.Reasons = map[string]int{}
	}
	if out.RequiredSkills == nil {
		out.RequiredSkills = []string{}
	}
	if d.ChosenUserID != nil {
		out.Chosen = &agentRef{UserID: *d.ChosenUserID, Name: name(*d.ChosenUserID)}
	}
	for _, c := range d.Candidates {
		rc := routingCandidate{UserID: c.UserID, Name: name(c.UserID), Reason: c.Reason, MissingSkills: c.MissingSkills,
			Availability: c.Availability, Load: c.Load, Capacity: c.Capacity}
		if rc.MissingSkills == nil {
			rc.MissingSkills = []string{}
		}
		rc.Text = rc.Name + " " + candidateText(d.Strategy, c)
		out.Candidates = append(out.Candidates, rc)
	}
	out.Summary = summary(d, out.Chosen)
	return out
}

// candidateText is why a candidate was or was not given the ticket, after their name.
func candidateText(strategy string, c store.CandidateVerdict) string {
	load := fmt.Sprintf("%d of %d open tickets", c.Load, c.Capacity)
	switch c.Reason {
	case store.ReasonChosen:
		switch strategy {
		case store.StrategyDispatch:
			return "had room (" + load + ") when the ticket was the oldest waiting one they could serve, and got it"
		case store.StrategyPreviousAgent:
			return "had this ticket before and was available with room (" + load + ")"
		case store.StrategyContactOwner:
			return "owns the contact and had room (" + load + ")"
		}
		return "was chosen: the least loaded eligible agent (" + load + ")"
	case store.ReasonNotChosen:
		return "could take it (" + load + ") but another agent came first (fewer open tickets, or assigned longer ago)"
	case store.ReasonEligible:
		return "can take it now (" + load + ")"
	case store.ReasonRemoved:
		return "is no longer a user of this account"
	case store.ReasonNotInTeam:
		return "is no longer among the channel's users and teams"
	case store.ReasonNoProfile:
		return "has no service profile, so takes no tickets"
	case store.ReasonMissingSkill:
		return "lacks " + plural(len(c.MissingSkills), "skill", "skills") + " " + strings.Join(c.MissingSkills, ", ")
	case store.ReasonAway:
		return "is " + c.Availability + " and the routing takes only available agents"
	case store.ReasonAtCapacity:
		return "is at capacity (" + load + ")"
	}
	return "was skipped (" + c.Reason + ")"
}

// reasonPhrases are the skip reasons as a summary counts them, in the order it lists them.
var reasonPhrases = []struct{ reason, one, many string }{
	{store.ReasonMissingSkill, "lacks a required skill", "lack a required skill"},
	{store.ReasonAway, "is away or offline", "are away or offline"},
	{store.ReasonAtCapacity, "is at capacity", "are at capacity"},
	{store.ReasonNoProfile, "has no service profile", "have no service profile"},
	{store.ReasonNotInTeam, "is no longer in the channel's users and teams", "are no longer in the channel's users and teams"},
	{store.ReasonRemoved, "is no longer a user", "are no longer users"},
}

// summary is the one-sentence answer to "why did this go to Ada?" or "why is nobody taking it?".
func summary(d store.RoutingDecision, chosen *agentRef) string {
	if chosen != nil {
		switch d.Strategy {
		case store.StrategyDispatch:
			return "Went to " + chosen.Name + " when they had room: the oldest waiting ticket they could serve."
		case store.StrategyPreviousAgent:
			return "Went back to " + chosen.Name + ", who had it before the ticket was closed."
		case store.StrategyContactOwner:
			return "Went to " + chosen.Name + ", the contact's owner."
		}
		return fmt.Sprintf("Went to %s, the least loaded of %d eligible %s.", chosen.Name,
			d.Reasons[store.ReasonChosen]+d.Reasons[store.ReasonNotChosen], plural(d.Reasons[store.ReasonChosen]+d.Reasons[store.ReasonNotChosen], "agent", "agents"))
	}
	if d.Considered == 0 {
		switch d.Strategy {
		case store.StrategyNone:
			return "The channel assigns tickets to nobody: the ticket stays unassigned in its queue."
		case store.StrategyContactOwner:
			return "The contact has no owner: the ticket stays unassigned in its queue."
		}
		return "The channel's users and teams have nobody in them: the ticket stays unassigned."
	}
	if n := d.Reasons[store.ReasonEligible]; n > 0 {
		return fmt.Sprintf("%d %s could take it now; the next change of an agent's availability, capacity or skills gives it out.", n, plural(n, "agent", "agents"))
	}
	var needs []string
	if len(d.RequiredSkills) > 0 {
		needs = append(needs, plural(len(d.RequiredSkills), "skill", "skills")+" "+strings.Join(d.RequiredSkills, ", "))
	}
	agent := "an agent with room"
	if d.OnlyAvailable {
		agent = "an available agent with room"
	}
	needs = append(needs, agent)
	var parts []string
	for _, p := range reasonPhrases {
		if n := d.Reasons[p.reason]; n > 0 {
			phrase := p.many
			if n == 1 {
				phrase = p.one
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, phrase))
		}
	}
	lead := "No one can take it"
	if d.Strategy == store.StrategyPreviousAgent {
		lead = "The previous agent could not take it"
	}
	return lead + " (needs " + strings.Join(needs, " and ") + "): " + strings.Join(parts, "; ") + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// routingDecisions is the candidate part of a ticket's routing record.
func (s *Server) routingDecisions(ctx context.Context, accountID, ticketID string) ([]routingDecision, *routingDecision, error) {
	recorded, err := s.store.RoutingDecisions(ctx, accountID, ticketID)
	if err != nil {
		return nil, nil, err
	}
	waiting, err := s.store.WaitingVerdicts(ctx, accountID, ticketID)
	if err != nil {
		return nil, nil, err
	}
	return s.explainDecisions(ctx, accountID, recorded, waiting)
}
