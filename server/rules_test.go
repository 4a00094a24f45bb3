package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

func fieldErrors(t *testing.T, r testenv.Response) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	errs, _ := r.Map(t)["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out[m["field"].(string)] = m
	}
	return out
}

func TestRulesAPI(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	_, other := s.Account("Other", "starter")
	otherCh := chatChannel(t, s, other)

	vip := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{
		"name": "VIP", "kind": "property", "when": `domain(message.from) == "bigcorp.se"`,
		"set": map[string]any{"priority": "high", "region": "=upper(contact.country)"}, "priority": 100,
	})
	require.Equal(t, http.StatusCreated, vip.Status, string(vip.Body))
	vipRule := vip.Map(t)
	require.Equal(t, true, vipRule["enabled"], "rules are enabled unless said otherwise")
	require.EqualValues(t, 1, vipRule["version"])
	require.Nil(t, vipRule["channel_id"])

	skill := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{
		"name": "Swedish", "kind": "skill", "when": `contact.language == "sv"`, "require_skills": []string{"swedish"}, "priority": 50,
	})
	require.Equal(t, http.StatusCreated, skill.Status, string(skill.Body))
	broken := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{
		"name": "Fragile", "kind": "property", "when": `contact.properties.tier.level == "gold"`, "set": map[string]any{"pipeline": "gold"}, "priority": 10,
	})
	require.Equal(t, http.StatusCreated, broken.Status, string(broken.Body))

	// A typo is a 422 naming the field, line and column.
	r := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{
		"name": "Typo", "kind": "property", "when": "ticket.priority == \"low\" &&\n  ticket.subjct == \"x\"", "set": map[string]any{"status": "open"},
	})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	when := fieldErrors(t, r)["when"]
	require.NotNil(t, when, string(r.Body))
	require.EqualValues(t, 2, when["line"])
	require.Positive(t, when["column"])
	require.Contains(t, when["message"], "subjct")

	r = s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "Not bool", "kind": "property", "when": `ticket.subject`, "set": map[string]any{"a": 1}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, fieldErrors(t, r), "when")

	r = s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "Huge", "kind": "property", "when": strings.Repeat("true && ", 1000) + "true", "set": map[string]any{"a": 1}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, fieldErrors(t, r)["when"]["message"], "limit")

	r = s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "Other's channel", "kind": "property", "channel_id": otherCh, "when": "true", "set": map[string]any{"a": 1}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, fieldErrors(t, r), "channel_id")

	// The editor's live check.
	v := s.Do(http.MethodPost, "/v1/rules/validate", token, map[string]any{"when": "ticket.subject == \"x\""})
	require.Equal(t, http.StatusOK, v.Status)
	require.Equal(t, true, v.Map(t)["valid"])
	v = s.Do(http.MethodPost, "/v1/rules/validate", token, map[string]any{"when": "ticket.subject ==\n  "})
	require.Equal(t, http.StatusOK, v.Status)
	check := v.Map(t)
	require.Equal(t, false, check["valid"])
	require.NotEmpty(t, check["error"])
	require.EqualValues(t, 2, check["line"])

	// Dry run: matches, properties, skills, and the fragile rule's runtime error isolated.
	sample := map[string]any{
		"ticket":  map[string]any{"subject": "Invoice"},
		"message": map[string]any{"from": "boss@BigCorp.se", "text": "hej"},
		"contact": map[string]any{"language": "sv", "country": "se", "properties": map[string]any{}},
		"channel": map[string]any{"id": "", "type": "chat"},
	}
	res := s.Do(http.MethodPost, "/v1/rules/test", token, sample)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	out := res.Map(t)
	require.ElementsMatch(t, []any{vipRule["id"], skill.Map(t)["id"]}, out["matched"])
	require.Equal(t, map[string]any{"priority": "high", "region": "SE"}, out["properties"])
	require.Equal(t, []any{"swedish"}, out["required_skills"])
	errs := out["errors"].([]any)
	require.Len(t, errs, 1)
	require.Equal(t, broken.Map(t)["id"], errs[0].(map[string]any)["rule_id"])

	// PATCH changes the rule, bumps its version, and the next evaluation uses it.
	p := s.Do(http.MethodPatch, "/v1/rules/"+vipRule["id"].(string), token, map[string]any{"set": map[string]any{"priority": "urgent", "region": nil}})
	require.Equal(t, http.StatusOK, p.Status, string(p.Body))
	require.EqualValues(t, 2, p.Map(t)["version"])
	out = s.Do(http.MethodPost, "/v1/rules/test", token, sample).Map(t)
	require.Equal(t, "urgent", out["properties"].(map[string]any)["priority"])
	require.NotContains(t, out["properties"], "region")

	p = s.Do(http.MethodPatch, "/v1/rules/"+vipRule["id"].(string), token, map[string]any{"when": "nope("})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	p = s.Do(http.MethodPatch, "/v1/rules/"+vipRule["id"].(string), token, map[string]any{"enabled": false})
	require.Equal(t, http.StatusOK, p.Status)
	out = s.Do(http.MethodPost, "/v1/rules/test", token, sample).Map(t)
	require.NotContains(t, out["matched"], vipRule["id"], "a disabled rule does not run")

	// Another account sees none of it.
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/rules/"+vipRule["id"].(string), other, nil).Status)
	require.Empty(t, s.Do(http.MethodGet, "/v1/rules", other, nil).Map(t)["items"])
	out = s.Do(http.MethodPost, "/v1/rules/test", other, sample).Map(t)
	require.Empty(t, out["matched"])

	require.Equal(t, http.StatusNoContent, s.Do(http.MethodDelete, "/v1/rules/"+vipRule["id"].(string), token, nil).Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/rules/"+vipRule["id"].(string), token, nil).Status)
}

func TestRulesShapeTheTicket(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	ch := chatChannel(t, s, token)
	for _, body := range []map[string]any{
		{"name": "Refunds", "kind": "property", "when": `contains_any(message.text, ["refund"])`, "set": map[string]any{"pipeline": "billing", "priority": "high", "topic": "=lower(\"REFUND\")"}, "priority": 10},
		{"name": "Swedish", "kind": "skill", "when": `domain(message.from) endsWith ".se"`, "require_skills": []string{"swedish"}, "priority": 5},
		{"name": "Other channel only", "kind": "property", "channel_id": chatChannel(t, s, token), "when": "true", "set": map[string]any{"status": "closed"}},
	} {
		r := s.Do(http.MethodPost, "/v1/rules", token, body)
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	}
	r := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{
		"external_id": "r1", "from": map[string]any{"email": "kund@foretag.se"}, "text": "I want a refund",
	})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	ticket := waitTicket(t, s, token, "channel_id="+ch)
	require.Equal(t, "billing", ticket["pipeline"])
	require.Equal(t, "high", ticket["priority"])
	require.Equal(t, "new", ticket["status"], "a rule scoped to another channel does not apply")
	require.Equal(t, map[string]any{"source": "web", "topic": "refund"}, ticket["properties"])
	require.Equal(t, []any{"swedish"}, ticket["required_skills"])
}
