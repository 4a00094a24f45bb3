package server_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/rules"
)

// TestFailingRulesNeverHoldUpAConversation drives every kind of failing rule
// through a live conversation: the ticket is created promptly with the good
// rule applied, and each failure is on the ticket's routing record, in
// /metrics and skipped for that conversation only.
func TestFailingRulesNeverHoldUpAConversation(t *testing.T) {
	s := testenv.NewStack(t)
	accountID, token := s.Account("Acme", "starter")
	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{
		"type": "chat", "name": "Website chat", "config": map[string]any{"accent_color": "#112233"},
		"ticket_defaults": map[string]any{"pipeline": "support", "status": "new", "properties": map[string]any{"zero": 0}},
	})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch := r.Map(t)["id"].(string)

	failing := map[string]struct {
		body        map[string]any
		kind, field string
	}{
		"error":      {map[string]any{"when": `ticket.properties.missing.deeper == 1`, "set": map[string]any{"x": "error"}}, rules.FailError, "when"},
		"panic":      {map[string]any{"when": `true`, "set": map[string]any{"x": "=message.attachments % message.attachments"}}, rules.FailPanic, "set.x"},
		"nan":        {map[string]any{"when": `true`, "set": map[string]any{"score": "=ticket.properties.zero / ticket.properties.zero"}}, rules.FailNotFinite, "set.score"},
		"plus-inf":   {map[string]any{"when": `true`, "set": map[string]any{"score": "=1 / ticket.properties.zero"}}, rules.FailNotFinite, "set.score"},
		"minus-inf":  {map[string]any{"when": `true`, "set": map[string]any{"score": "=-1 / ticket.properties.zero"}}, rules.FailNotFinite, "set.score"},
		"wrong-type": {map[string]any{"when": `true`, "set": map[string]any{"priority": "=ticket.properties.zero"}}, rules.FailUnstorable, "set.priority"},
		"too-large":  {map[string]any{"when": `true`, "set": map[string]any{"blob": `=repeat("x", 20000)`}}, rules.FailUnstorable, "set.blob"},
		"limit":      {map[string]any{"when": `len(repeat(message.text, 100000)) > 0`, "set": map[string]any{"x": "limit"}}, rules.FailLimit, "when"},
		"timeout":    {map[string]any{"when": `let t = repeat("ab", 5000); any(1..1000000, t matches "(a|b)*c")`, "set": map[string]any{"x": "timeout"}}, rules.FailTimeout, "when"},
	}
	ids := map[string]string{} // rule id → case
	for name, tc := range failing {
		body := map[string]any{"name": name, "kind": "property", "priority": 50}
		for k, v := range tc.body {
			body[k] = v
		}
		r := s.Do(http.MethodPost, "/v1/rules", token, body)
		require.Equal(t, http.StatusCreated, r.Status, "%s: %s", name, r.Body)
		ids[r.Map(t)["id"].(string)] = name
	}
	// A rule stored before values were checked when saved (=0/0 is refused now) is skipped as invalid.
	old, err := s.Store.CreateRule(context.Background(), accountID, rules.Rule{Name: "old nan", Kind: rules.KindProperty,
		When: "true", Set: map[string]any{"score": "=0/0"}, Enabled: true, Priority: 40})
	require.NoError(t, err)
	ids[old.ID] = "old-nan"
	failing["old-nan"] = struct {
		body        map[string]any
		kind, field string
	}{nil, rules.FailInvalid, "set.score"}
	good := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "Billing", "kind": "property", "when": "true",
		"set": map[string]any{"pipeline": "billing", "priority": "high"}, "priority": 1})
	require.Equal(t, http.StatusCreated, good.Status, string(good.Body))

	start := time.Now()
	r = s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{
		"external_id": "f1", "from": map[string]any{"email": "kund@foretag.se"}, "text": strings.Repeat("ab", 1000),
	})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	ticket := waitTicket(t, s, token, "channel_id="+ch)
	took := time.Since(start)
	t.Logf("ticket routed %s after the message", took)
	assert.Less(t, took, 10*time.Second, "failing rules never hold up the conversation")
	assert.Equal(t, "billing", ticket["pipeline"], "the good rule applies")
	assert.Equal(t, "high", ticket["priority"])
	assert.Equal(t, map[string]any{"zero": 0.0}, ticket["properties"], "a failed rule sets nothing")

	rec := s.Do(http.MethodGet, "/v1/tickets/"+ticket["id"].(string)+"/routing", token, nil)
	require.Equal(t, http.StatusOK, rec.Status, string(rec.Body))
	record := rec.Map(t)
	assert.Equal(t, domain.RoutingUnassigned, record["routing_state"])
	rulesPart := record["rules"].(map[string]any)
	assert.Equal(t, []any{good.Map(t)["id"]}, rulesPart["matched"])
	assert.Equal(t, map[string]any{"pipeline": "billing", "priority": "high"}, rulesPart["properties"])
	recorded := map[string]map[string]any{}
	for _, e := range rulesPart["errors"].([]any) {
		m := e.(map[string]any)
		recorded[ids[m["rule_id"].(string)]] = m
	}
	require.Len(t, recorded, len(failing), "every failing rule is on the routing record: %s", rec.Body)
	for name, tc := range failing {
		got := recorded[name]
		if assert.NotNil(t, got, name) {
			assert.Equal(t, tc.kind, got["kind"], "%s: %v", name, got["message"])
			assert.Equal(t, tc.field, got["field"], name)
			assert.NotEmpty(t, got["message"], name)
		}
	}

	// /metrics counts the failures by kind, and nothing else about them.
	metrics := string(s.Do(http.MethodGet, "/metrics", "", nil).Body)
	for kind, atLeast := range map[string]int{rules.FailError: 1, rules.FailPanic: 1, rules.FailNotFinite: 3,
		rules.FailUnstorable: 2, rules.FailLimit: 1, rules.FailTimeout: 1, rules.FailInvalid: 1} {
		m := regexp.MustCompile(`(?m)^routedesk_rule_failures_total\{kind="` + kind + `"\} (\d+)`).FindStringSubmatch(metrics)
		if assert.NotNil(t, m, "metric for %s", kind) {
			n, _ := strconv.Atoi(m[1])
			assert.GreaterOrEqual(t, n, atLeast, kind)
		}
	}
	assert.NotContains(t, metrics, "kund@foretag.se")

	// The dry run answers a proper body naming each failing rule.
	res := s.Do(http.MethodPost, "/v1/rules/test", token, map[string]any{
		"ticket": map[string]any{"properties": map[string]any{"zero": 0}}, "message": map[string]any{"text": "ab"},
	})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	require.NotEmpty(t, res.Body)
	out := res.Map(t)
	assert.Contains(t, out["matched"], good.Map(t)["id"])
	failed := map[string]any{}
	for _, e := range out["errors"].([]any) {
		m := e.(map[string]any)
		failed[ids[m["rule_id"].(string)]] = m["kind"]
	}
	assert.Equal(t, rules.FailNotFinite, failed["nan"])
	assert.Equal(t, rules.FailInvalid, failed["old-nan"])
}

// TestRulesRefuseValuesThatCannotBeStored checks that save and PATCH refuse, naming the field,
// the values the compiler can tell will never be stored.
func TestRulesRefuseValuesThatCannotBeStored(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	for set, field := range map[string]string{
		`{"score": "=0/0"}`:                       "set.score",
		`{"score": "=1/0"}`:                       "set.score",
		`{"score": "=-1/0"}`:                      "set.score",
		`{"priority": "=1/0"}`:                    "set.priority",
		`{"priority": "=message.attachments"}`:    "set.priority",
		`{"status": 3}`:                           "set.status",
		`{"pipeline": "=contact.is_new && true"}`: "set.pipeline",
	} {
		r := s.Do(http.MethodPost, "/v1/rules", token, `{"name": "x", "kind": "property", "when": "true", "set": `+set+`}`)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", set, r.Body)
		assert.Contains(t, fieldErrors(t, r), field, "%s: %s", set, r.Body)
	}
	ok := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "x", "kind": "property", "when": "true", "set": map[string]any{"score": "=1/2"}})
	require.Equal(t, http.StatusCreated, ok.Status, string(ok.Body))
	p := s.Do(http.MethodPatch, "/v1/rules/"+ok.Map(t)["id"].(string), token, map[string]any{"set": map[string]any{"score": "=1/0"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status, string(p.Body))
	assert.Contains(t, fieldErrors(t, p), "set.score")
}

// TestRuleErrorsSpeakTheRuleLanguage checks compile errors as the API answers them: the rule
// language's names, a suggestion for a typo, and the position once, in line and column.
func TestRuleErrorsSpeakTheRuleLanguage(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	for when, want := range map[string]struct {
		msg       string
		line, col int
	}{
		"ticket.priority == \"low\" &&\n  ticket.subjct == \"x\"": {"`ticket` has no field `subjct`; did you mean `subject`?", 2, 10},
		"uper(ticket.subject) == \"X\"":                           {"there is no variable or function `uper`; did you mean `upper`?", 1, 1},
		"message.attachments == \"two\"":                          {"`==` cannot be used between an integer and a string", 1, 21},
		"ticket.subject ==":                                       {"the expression ends too early", 1, 17},
	} {
		r := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "x", "kind": "property", "when": when, "set": map[string]any{"a": "b"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
		fe := fieldErrors(t, r)["when"]
		require.NotNil(t, fe, string(r.Body))
		msg := fe["message"].(string)
		assert.Contains(t, msg, want.msg)
		assert.NotContains(t, strings.ToLower(msg), "line ", "the position is said once, in line and column")
		assert.NotRegexp(t, `rules\.|interface \{\}|float64|\bint\b`, msg, "no Go type names")
		assert.EqualValues(t, want.line, fe["line"], when)
		assert.EqualValues(t, want.col, fe["column"], when)
		assert.NotContains(t, string(r.Body), "rules.Ticket")
	}
}
