package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// Routing strategies a decision names.
const (
	StrategyLeastLoaded   = "least_loaded"   // the least loaded eligible user of the channel's users and teams
	StrategyContactOwner  = "contact_owner"  // the contact's owner
	StrategyPreviousAgent = "previous_agent" // a reopened ticket's previous agent, tried first
	StrategyDispatch      = "dispatch"       // an agent who got room or became available took the oldest waiting ticket
	StrategyNone          = "none"           // nobody to route to
)

// Reasons a candidate was or was not given the ticket, checked in this order.
const (
	ReasonChosen       = "chosen"
	ReasonNotChosen    = "not_chosen" // eligible, but another came first (fewer open tickets, or assigned longer ago)
	ReasonEligible     = "eligible"   // could take a waiting ticket now (live evaluation)
	ReasonRemoved      = "removed"    // no longer a user of the account
	ReasonNotInTeam    = "not_in_team"
	ReasonNoProfile    = "no_service_profile"
	ReasonMissingSkill = "missing_skill"
	ReasonAway         = "away" // away or offline while the routing takes only available agents
	ReasonAtCapacity   = "at_capacity"
)

// Decision outcomes.
const (
	OutcomeAssigned = "assigned"
	OutcomeWaiting  = "waiting_for_agent"
	OutcomeNone     = "unassigned"
	OutcomeNotTaken = "not_taken" // a previous agent who could not take the ticket; routing went on
)

// Bounds of the routing record.
const (
	maxListedCandidates = 20
	keptDecisions       = 10
)

// CandidateVerdict is one candidate of a routing decision and why they were or were not chosen.
type CandidateVerdict struct {
	UserID        string   `json:"user_id"`
	Reason        string   `json:"reason"`
	MissingSkills []string `json:"missing_skills,omitempty"`
	Availability  string   `json:"availability,omitempty"`
	Load          int      `json:"load"`
	Capacity      int      `json:"capacity"`
}

// RoutingDecision is one routing decision as recorded with its ticket.
type RoutingDecision struct {
	DecidedAt      time.Time
	Strategy       string
	Outcome        string
	ChosenUserID   *string
	RequiredSkills []string
	OnlyAvailable  bool
	// Considered counts every candidate; Reasons counts them per reason; Candidates lists at most 20.
	Considered int
	Reasons    map[string]int
	Candidates []CandidateVerdict
}

// candidateRow is a candidate's state as a decision sees it.
type candidateRow struct {
	UserID       string       `db:"id"`
	Found        bool         `db:"found"`
	HasProfile   bool         `db:"has_profile"`
	Availability string       `db:"availability"`
	Capacity     int          `db:"capacity"`
	Load         int          `db:"load"`
	Missing      textArray    `db:"missing"`
	LastAssigned sql.NullTime `db:"last_assigned_at"`
}

// evaluateCandidates reads every candidate's profile, skills, availability and
// load; inside a claim it runs after the candidates' rows are locked, so it is exact.
func evaluateCandidates(ctx context.Context, q sqlx.QueryerContext, accountID string, ids, skills []string) ([]candidateRow, error) {
	var rows []candidateRow
	err := sqlx.SelectContext(ctx, q, &rows,
		`SELECT c.id, u.id IS NOT NULL AS found, COALESCE(u.has_profile, false) AS has_profile,
		        COALESCE(u.availability, '') AS availability, COALESCE(u.capacity, 0) AS capacity,
		        (SELECT count(*) FROM tickets o WHERE o.assignee_user_id = c.id AND o.status NOT IN ('solved', 'closed')) AS load,
		        ARRAY(SELECT s FROM unnest($3::text[]) s WHERE u.skills IS NULL OR NOT s = ANY(u.skills)) AS missing,
		        u.last_assigned_at
		   FROM (SELECT DISTINCT unnest($2::text[]) AS id) c LEFT JOIN users u ON u.id = c.id AND u.account_id = $1`,
		accountID, nonNil(ids), nonNil(skills))
	if err != nil {
		return nil, fmt.Errorf("evaluate candidates: %w", err)
	}
	return rows, nil
}

// verdict is why a candidate can or cannot take a ticket; "" when they can.
func (r candidateRow) verdict(onlyAvailable bool) CandidateVerdict {
	v := CandidateVerdict{UserID: r.UserID, Availability: r.Availability, Load: r.Load, Capacity: r.Capacity}
	switch {
	case !r.Found:
		v.Reason = ReasonRemoved
	case !r.HasProfile:
		v.Reason = ReasonNoProfile
	case len(r.Missing) > 0:
		v.Reason, v.MissingSkills = ReasonMissingSkill, r.Missing
	case onlyAvailable && r.Availability != domain.Available:
		v.Reason = ReasonAway
	case r.Load >= r.Capacity:
		v.Reason = ReasonAtCapacity
	}
	return v
}

// pickCandidate judges every candidate and picks the least loaded eligible one
// (ties: assigned longest ago, then by id); chosen is -1 when nobody can take it.
func pickCandidate(rows []candidateRow, onlyAvailable bool, eligible string) (verdicts []CandidateVerdict, chosen int) {
	chosen = -1
	verdicts = make([]CandidateVerdict, len(rows))
	for i, r := range rows {
		verdicts[i] = r.verdict(onlyAvailable)
		if verdicts[i].Reason != "" {
			continue
		}
		verdicts[i].Reason = eligible
		if chosen < 0 || before(r, rows[chosen]) {
			chosen = i
		}
	}
	if chosen >= 0 && eligible == ReasonNotChosen {
		verdicts[chosen].Reason = ReasonChosen
	}
	return verdicts, chosen
}

// before orders eligible candidates: fewer open tickets, then assigned longest ago (never first), then id.
func before(a, b candidateRow) bool {
	if a.Load != b.Load {
		return a.Load < b.Load
	}
	if a.LastAssigned.Valid != b.LastAssigned.Valid {
		return !a.LastAssigned.Valid
	}
	if a.LastAssigned.Valid && !a.LastAssigned.Time.Equal(b.LastAssigned.Time) {
		return a.LastAssigned.Time.Before(b.LastAssigned.Time)
	}
	return a.UserID < b.UserID
}

// reasonRank lists the chosen agent first, then the eligible, then the skipped.
var reasonRank = map[string]int{ReasonChosen: 0, ReasonNotChosen: 1, ReasonEligible: 1}

// newDecision bounds the verdicts into a decision: counts per reason over all, at most 20 listed.
func newDecision(strategy, outcome string, chosen *string, skills []string, onlyAvailable bool, verdicts []CandidateVerdict) RoutingDecision {
	d := RoutingDecision{Strategy: strategy, Outcome: outcome, ChosenUserID: chosen, RequiredSkills: nonNil(skills),
		OnlyAvailable: onlyAvailable, Considered: len(verdicts), Reasons: map[string]int{}}
	for _, v := range verdicts {
		d.Reasons[v.Reason]++
	}
	sorted := append([]CandidateVerdict(nil), verdicts...)
	sort.SliceStable(sorted, func(i, j int) bool {
		ri, iok := reasonRank[sorted[i].Reason]
		rj, jok := reasonRank[sorted[j].Reason]
		if !iok {
			ri = 2
		}
		if !jok {
			rj = 2
		}
		if ri != rj {
			return ri < rj
		}
		return sorted[i].UserID < sorted[j].UserID
	})
	if len(sorted) > maxListedCandidates {
		sorted = sorted[:maxListedCandidates]
	}
	d.Candidates = sorted
	return d
}

// recordDecision stores a decision with its ticket in the caller's transaction
// and keeps only the ticket's newest decisions.
func recordDecision(ctx context.Context, tx sqlx.ExecerContext, ticketID string, d RoutingDecision) error {
	reasons, err := json.Marshal(d.Reasons)
	if err != nil {
		return fmt.Errorf("record routing decision: %w", err)
	}
	candidates, err := json.Marshal(d.Candidates)
	if err != nil {
		return fmt.Errorf("record routing decision: %w", err)
	}
	// The DELETE sees the rows from before the INSERT: keep the newest keptDecisions-1 of them.
	if _, err := tx.ExecContext(ctx,
		`WITH ins AS (INSERT INTO routing_decisions (ticket_id, strategy, outcome, chosen_user_id, required_skills,
		                                             only_available, considered, reasons, candidates)
		              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9))
		 DELETE FROM routing_decisions WHERE ticket_id = $1 AND id < (
		   SELECT min(id) FROM (SELECT id FROM routing_decisions WHERE ticket_id = $1 ORDER BY id DESC LIMIT $10) k)`,
		ticketID, d.Strategy, d.Outcome, d.ChosenUserID, nonNil(d.RequiredSkills), d.OnlyAvailable, d.Considered,
		reasons, candidates, keptDecisions-1); err != nil {
		return fmt.Errorf("record routing decision: %w", err)
	}
	return nil
}

// RecordUnrouted marks a ticket unassigned because routing had nobody to
// consider (the channel assigns nobody, or the contact has no owner), with its decision.
func (s *Store) RecordUnrouted(ctx context.Context, accountID, ticketID, strategy string) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET routing_state = $3, updated_at = now() WHERE id = $1 AND account_id = $2`,
			ticketID, accountID, domain.RoutingUnassigned)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		return recordDecision(ctx, tx, ticketID, newDecision(strategy, OutcomeNone, nil, nil, false, nil))
	})
	if err != nil {
		return fmt.Errorf("record unrouted ticket: %w", err)
	}
	return nil
}

// RoutingDecisions returns a ticket's recorded decisions, newest first.
func (s *Store) RoutingDecisions(ctx context.Context, accountID, ticketID string) ([]RoutingDecision, error) {
	var rows []struct {
		DecidedAt      time.Time       `db:"decided_at"`
		Strategy       string          `db:"strategy"`
		Outcome        string          `db:"outcome"`
		Chosen         sql.NullString  `db:"chosen_user_id"`
		RequiredSkills textArray       `db:"required_skills"`
		OnlyAvailable  bool            `db:"only_available"`
		Considered     int             `db:"considered"`
		Reasons        json.RawMessage `db:"reasons"`
		Candidates     json.RawMessage `db:"candidates"`
	}
	err := s.db.SelectContext(ctx, &rows,
		`SELECT d.decided_at, d.strategy, d.outcome, d.chosen_user_id, d.required_skills, d.only_available, d.considered,
		        d.reasons, d.candidates
		   FROM routing_decisions d JOIN tickets t ON t.id = d.ticket_id
		  WHERE d.ticket_id = $1 AND t.account_id = $2 ORDER BY d.id DESC`, ticketID, accountID)
	if err != nil {
		return nil, fmt.Errorf("routing decisions: %w", err)
	}
	out := make([]RoutingDecision, len(rows))
	for i, r := range rows {
		d := RoutingDecision{DecidedAt: r.DecidedAt, Strategy: r.Strategy, Outcome: r.Outcome, RequiredSkills: nonNil(r.RequiredSkills),
			OnlyAvailable: r.OnlyAvailable, Considered: r.Considered}
		if r.Chosen.Valid {
			d.ChosenUserID = &r.Chosen.String
		}
		if err := json.Unmarshal(r.Reasons, &d.Reasons); err != nil {
			return nil, fmt.Errorf("routing decisions: decode reasons: %w", err)
		}
		if err := json.Unmarshal(r.Candidates, &d.Candidates); err != nil {
			return nil, fmt.Errorf("routing decisions: decode candidates: %w", err)
		}
		out[i] = d
	}
	return out, nil
}

// WaitingVerdicts evaluates, now, the candidates of a ticket waiting for an
// agent (why nobody takes it yet); nil when the ticket is not waiting.
func (s *Store) WaitingVerdicts(ctx context.Context, accountID, ticketID string) (*RoutingDecision, error) {
	var t struct {
		Candidates    textArray `db:"candidate_users"`
		Skills        textArray `db:"required_skills"`
		OnlyAvailable bool      `db:"only_available"`
	}
	err := s.db.GetContext(ctx, &t,
		`SELECT candidate_users, required_skills, only_available FROM tickets
		  WHERE id = $1 AND account_id = $2 AND routing_state = 'waiting_for_agent'`, ticketID, accountID)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("waiting verdicts: %w", err)
	}
	rows, err := evaluateCandidates(ctx, s.db, accountID, t.Candidates, t.Skills)
	if err != nil {
		return nil, fmt.Errorf("waiting verdicts: %w", err)
	}
	verdicts, _ := pickCandidate(rows, t.OnlyAvailable, ReasonEligible)
	d := newDecision("", OutcomeWaiting, nil, t.Skills, t.OnlyAvailable, verdicts)
	d.DecidedAt = time.Now()
	return &d, nil
}

// UserNames maps the account's users among ids to their names (for the routing record).
func (s *Store) UserNames(ctx context.Context, accountID string, ids []string) (map[string]string, error) {
	var rows []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, name FROM users WHERE account_id = $1 AND id = ANY($2)`, accountID, nonNil(ids)); err != nil {
		return nil, fmt.Errorf("user names: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}
