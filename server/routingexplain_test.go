package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// routingOf is a ticket's routing record.
func (d desk) routingOf(id string) map[string]any {
	r := d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/routing", d.token, nil)
	require.Equal(d.t, http.StatusOK, r.Status, string(r.Body))
	return r.Map(d.t)
}

// verdicts maps each listed candidate's user id to its reason and text.
func verdicts(t *testing.T, decision any) map[string][2]string {
	out := map[string][2]string{}
	for _, c := range decision.(map[string]any)["candidates"].([]any) {
		c := c.(map[string]any)
		require.NotEmpty(t, c["text"])
		out[c["user_id"].(string)] = [2]string{c["reason"].(string), c["text"].(string)}
	}
	return out
}

// TestRoutingRecordExplainsEveryCandidate: the routing record lists each
// candidate with a reason (chosen, not_chosen, away, at_capacity,
// missing_skill, no_service_profile, not_in_team), explains why a waiting
// ticket waits, now and when it was decided, and records the dispatch that ends the wait.
func TestRoutingRecordExplainsEveryCandidate(t *testing.T) {
	d := newDesk(t)
	ada := d.user("ada@acme.test", map[string]any{"name": "Ada", "skills": []string{"swedish"}})
	bo := d.user("bo@acme.test", map[string]any{"name": "Bo", "skills": []string{"swedish"}})
	away := d.user("away@acme.test", map[string]any{"name": "Away", "skills": []string{"swedish"}, "availability": "away"})
	full := d.user("full@acme.test", map[string]any{"name": "Full", "skills": []string{"swedish"}, "capacity": 0})
	plain := d.user("plain@acme.test", map[string]any{"name": "Plain"})
	noProfile := d.user("np@acme.test", map[string]any{"name": "NoProfile", "skills": []string{"swedish"}})
	r := d.s.Do(http.MethodPost, "/v1/rules", d.token, map[string]any{"name": "sv", "kind": "skill", "when": `domain(message.from) endsWith ".se"`, "require_skills": []string{"swedish"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	team := d.s.Do(http.MethodPost, "/v1/teams", d.token, map[string]any{"name": "Nordic", "members": []string{noProfile}}).Map(t)["id"].(string)
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{ada, bo, away, full, plain}, "teams": []string{team}, "timeout_seconds": 600})
	// A team member who stops taking tickets stays in the team.
	r = d.s.Do(http.MethodPatch, "/v1/users/"+noProfile, d.token, map[string]any{"has_profile": false})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))

	d.message(ch, "sv", map[string]any{"email": "kund@foretag.se"})
	tk := d.ticketOf(ch, "sv", "assigned")
	rec := d.routingOf(tk["id"].(string))
	require.Nil(t, rec["waiting"])
	decisions := rec["decisions"].([]any)
	require.Len(t, decisions, 1)
	dec := decisions[0].(map[string]any)
	require.Equal(t, "least_loaded", dec["strategy"])
	require.Equal(t, "assigned", dec["outcome"])
	require.Equal(t, []any{"swedish"}, dec["required_skills"])
	require.EqualValues(t, 6, dec["considered"])
	chosen := dec["chosen"].(map[string]any)
	require.Equal(t, assignee(tk), chosen["user_id"])
	other := map[string]string{ada: bo, bo: ada}[chosen["user_id"].(string)]
	v := verdicts(t, dec)
	require.Equal(t, "chosen", v[chosen["user_id"].(string)][0])
	require.Equal(t, "not_chosen", v[other][0])
	require.Equal(t, "away", v[away][0])
	require.Contains(t, v[away][1], "Away is away")
	require.Equal(t, "at_capacity", v[full][0])
	require.Contains(t, v[full][1], "0 of 0 open tickets")
	require.Equal(t, "missing_skill", v[plain][0])
	require.Equal(t, "Plain lacks skill swedish", v[plain][1])
	require.Equal(t, "no_service_profile", v[noProfile][0])
	require.Equal(t, map[string]any{"chosen": 1.0, "not_chosen": 1.0, "away": 1.0, "at_capacity": 1.0, "missing_skill": 1.0, "no_service_profile": 1.0}, dec["reasons"])
	require.Contains(t, dec["summary"], "Went to "+chosen["name"].(string))

	// Nobody fits: the decision and the live view say why, naming the skill.
	wch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{away, plain}, "timeout_seconds": 600})
	d.message(wch, "wait", map[string]any{"email": "vanta@foretag.se"})
	wt := d.ticketOf(wch, "wait", "waiting_for_agent")
	rec = d.routingOf(wt["id"].(string))
	dec = rec["decisions"].([]any)[0].(map[string]any)
	require.Equal(t, "waiting_for_agent", dec["outcome"])
	require.Nil(t, dec["chosen"])
	require.Equal(t, "No one can take it (needs skill swedish and an available agent with room): 1 lacks a required skill; 1 is away or offline.", dec["summary"])
	live := rec["waiting"].(map[string]any)
	require.Equal(t, map[string]any{"missing_skill": 1.0, "away": 1.0}, live["reasons"])

	// Away becomes available: the dispatch that gives them the ticket is recorded.
	require.Equal(t, http.StatusOK, d.s.Do(http.MethodPut, "/v1/users/"+away+"/availability", d.token, map[string]any{"availability": "available"}).Status)
	wt = d.ticketOf(wch, "wait", "assigned")
	rec = d.routingOf(wt["id"].(string))
	require.Nil(t, rec["waiting"])
	decisions = rec["decisions"].([]any)
	require.Len(t, decisions, 2)
	dec = decisions[0].(map[string]any)
	require.Equal(t, "dispatch", dec["strategy"])
	require.Equal(t, away, dec["chosen"].(map[string]any)["user_id"])
	require.Equal(t, "waiting_for_agent", decisions[1].(map[string]any)["outcome"])

	// The previous agent, since taken off the channel's users, is not_in_team when its follow-up is routed.
	outsider := d.user("out@acme.test", map[string]any{"name": "Outsider", "skills": []string{"swedish"}})
	id := tk["id"].(string)
	r = d.s.Do(http.MethodPatch, "/v1/tickets/"+id, d.token, map[string]any{"assignee": map[string]any{"user_id": outsider}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, http.StatusOK, d.s.Do(http.MethodPatch, "/v1/tickets/"+id, d.token, map[string]any{"status": "closed"}).Status)
	d.message(ch, "sv", map[string]any{"email": "kund@foretag.se"})
	var prev map[string]any
	var fu string
	testenv.Eventually(t, 20*time.Second, "the follow-up to be routed", func() bool {
		// Ask the closed ticket each time: the follow-up may exist before its routing is decided.
		fus := d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["follow_ups"].([]any)
		if len(fus) == 0 {
			return false
		}
		fu = fus[0].(string)
		ds, _ := d.routingOf(fu)["decisions"].([]any)
		if len(ds) == 0 {
			return false
		}
		for _, x := range ds {
			if x.(map[string]any)["strategy"] == "previous_agent" {
				prev = x.(map[string]any)
			}
		}
		return prev != nil && ds[0].(map[string]any)["outcome"] == "assigned"
	})
	require.Equal(t, "not_taken", prev["outcome"])
	require.Equal(t, [2]string{"not_in_team", "Outsider is no longer among the channel's users and teams"}, verdicts(t, prev)[outsider])
	got := d.s.Do(http.MethodGet, "/v1/tickets/"+fu, d.token, nil).Map(t)
	require.NotEqual(t, outsider, assignee(got))
	require.True(t, strings.HasPrefix(prev["summary"].(string), "The previous agent could not take it"), prev["summary"])
}
