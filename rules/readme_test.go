package rules

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeExamples are the POST /v1/rules bodies shown in docs/rules.md;
// TestDocumentedExamplesAreTheseExamples keeps the two in sync.
var readmeExamples = []struct {
	name string
	body string
}{
	{"vip", `{
  "name": "VIP customers get high priority",
  "kind": "property",
  "channel_id": null,
  "when": "domain(message.from) in [\"bigcorp.se\", \"acme.com\"] || contact.properties.vip == true",
  "set": {"priority": "high"},
  "priority": 100,
  "enabled": true
}`},
	{"swedish", `{
  "name": "Swedish speakers",
  "kind": "skill",
  "channel_id": null,
  "when": "contact.language == \"sv\" || upper(contact.country) == \"SE\"",
  "require_skills": ["swedish"],
  "priority": 50,
  "enabled": true
}`},
	{"refund", `{
  "name": "Refunds go to billing",
  "kind": "property",
  "channel_id": null,
  "when": "contains_any(ticket.subject + \" \" + message.text, [\"refund\", \"chargeback\", \"charged twice\"])",
  "set": {
    "pipeline": "billing",
    "category": "=matches(message.text, \"(?i)charged (twice|double)\") ? \"double_charge\" : \"refund\""
  },
  "priority": 40,
  "enabled": true
}`},
	{"after_hours", `{
  "name": "Outside business hours",
  "kind": "property",
  "channel_id": null,
  "when": "!in_business_hours(now, \"Mon-Fri 08:00-17:00, Sat 10:00-14:00\", \"Europe/Stockholm\")",
  "set": {"pipeline": "after_hours", "status": "pending"},
  "priority": 90,
  "enabled": true
}`},
	{"form_plan", `{
  "name": "Enterprise leads from the pricing form",
  "kind": "property",
  "channel_id": "ch_pricing_form",
  "when": "channel.type == \"form\" && message.hidden.plan == \"enterprise\"",
  "set": {"pipeline": "sales", "priority": "high", "lead_source": "=message.hidden.utm_source != \"\" ? message.hidden.utm_source : \"unknown\""},
  "priority": 80,
  "enabled": true,
  "stop_processing": true
}`},
}

func TestReadmeExamples(t *testing.T) {
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	require.NoError(t, err)
	rules := map[string]Rule{}
	for _, ex := range readmeExamples {
		var r Rule
		require.NoError(t, json.Unmarshal([]byte(ex.body), &r), ex.name)
		r.ID, r.Version = ex.name, 1
		require.Empty(t, ValidateRule(r), ex.name)
		rules[ex.name] = r
	}
	weekday := sampleEnv() // Monday 10:30 in Stockholm, a VIP Swede asking for a refund by email
	tests := []struct {
		name    string
		example string
		channel string
		env     func(Env) Env
		matched bool
		props   map[string]any
		skills  []string
	}{
		{"vip by domain", "vip", "ch_email", func(e Env) Env { e.Contact.Properties = nil; return e }, true, map[string]any{"priority": "high"}, nil},
		{"vip by property", "vip", "ch_email", func(e Env) Env { e.Message.From = "x@gmail.com"; return e }, true, map[string]any{"priority": "high"}, nil},
		{"not vip", "vip", "ch_email", func(e Env) Env { e.Message.From = "x@gmail.com"; e.Contact.Properties = nil; return e }, false, nil, nil},
		{"swedish by language", "swedish", "ch_chat", func(e Env) Env { e.Contact.Country = ""; return e }, true, nil, []string{"swedish"}},
		{"swedish by country", "swedish", "ch_chat", func(e Env) Env { e.Contact.Language = "en"; return e }, true, nil, []string{"swedish"}},
		{"not swedish", "swedish", "ch_chat", func(e Env) Env { e.Contact.Language, e.Contact.Country = "en", "gb"; return e }, false, nil, nil},
		{"double charge", "refund", "ch_email", func(e Env) Env { return e }, true, map[string]any{"pipeline": "billing", "category": "double_charge"}, nil},
		{"refund in subject only", "refund", "ch_email", func(e Env) Env { e.Message.Text = "see subject"; return e }, true, map[string]any{"pipeline": "billing", "category": "refund"}, nil},
		{"no refund", "refund", "ch_email", func(e Env) Env { e.Ticket.Subject, e.Message.Text = "Hello", "Where is my parcel?"; return e }, false, nil, nil},
		{"during business hours", "after_hours", "ch_email", func(e Env) Env { return e }, false, nil, nil},
		{"weekday evening", "after_hours", "ch_email", func(e Env) Env { e.Now = time.Date(2025, 3, 3, 18, 5, 0, 0, stockholm); return e }, true, map[string]any{"pipeline": "after_hours", "status": "pending"}, nil},
		{"Saturday noon is open", "after_hours", "ch_email", func(e Env) Env { e.Now = time.Date(2025, 3, 8, 12, 0, 0, 0, stockholm); return e }, false, nil, nil},
		{"Sunday", "after_hours", "ch_email", func(e Env) Env { e.Now = time.Date(2025, 3, 9, 12, 0, 0, 0, stockholm); return e }, true, map[string]any{"pipeline": "after_hours", "status": "pending"}, nil},
		{"enterprise form lead", "form_plan", "ch_pricing_form", func(e Env) Env { e.Channel = Channel{ID: "ch_pricing_form", Type: "form"}; return e }, true, map[string]any{"pipeline": "sales", "priority": "high", "lead_source": "pricing"}, nil},
		{"lead without utm", "form_plan", "ch_pricing_form", func(e Env) Env {
			e.Channel = Channel{ID: "ch_pricing_form", Type: "form"}
			e.Message.Hidden = map[string]string{"plan": "enterprise"}
			return e
		}, true, map[string]any{"pipeline": "sales", "priority": "high", "lead_source": "unknown"}, nil},
		{"starter plan", "form_plan", "ch_pricing_form", func(e Env) Env {
			e.Channel = Channel{ID: "ch_pricing_form", Type: "form"}
			e.Message.Hidden = map[string]string{"plan": "starter"}
			return e
		}, false, nil, nil},
		{"other channel", "form_plan", "ch_email", func(e Env) Env { e.Channel.Type = "form"; return e }, false, nil, nil},
	}
	e := NewEngine()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.Evaluate(RuleSet{Rules: []Rule{rules[tt.example]}}, tt.channel, tt.env(weekday))
			require.Empty(t, res.Errors)
			if !tt.matched {
				assert.Empty(t, res.Matched)
				return
			}
			assert.Equal(t, []string{tt.example}, res.Matched)
			if tt.props == nil {
				tt.props = map[string]any{}
			}
			if tt.skills == nil {
				tt.skills = []string{}
			}
			assert.Equal(t, tt.props, res.Properties)
			assert.Equal(t, tt.skills, res.RequiredSkills)
		})
	}

	t.Run("all five together", func(t *testing.T) {
		var set RuleSet
		for _, ex := range readmeExamples {
			set.Rules = append(set.Rules, rules[ex.name])
		}
		env := weekday
		env.Now = time.Date(2025, 3, 3, 18, 5, 0, 0, stockholm)
		res := e.Evaluate(set, "ch_email", env)
		require.Empty(t, res.Errors)
		assert.Equal(t, []string{"vip", "after_hours", "swedish", "refund"}, res.Matched)
		assert.Equal(t, map[string]any{"priority": "high", "pipeline": "after_hours", "status": "pending", "category": "double_charge"}, res.Properties)
		assert.Equal(t, []string{"swedish"}, res.RequiredSkills)
	})
}

// jsonBlock is a fenced JSON code block of a Markdown page.
var jsonBlock = regexp.MustCompile("(?s)```json\n(.*?)```")

// The rule examples docs/rules.md shows are exactly the ones TestReadmeExamples evaluates, in order.
func TestDocumentedExamplesAreTheseExamples(t *testing.T) {
	raw, err := os.ReadFile("../docs/rules.md")
	require.NoError(t, err)
	blocks := jsonBlock.FindAllStringSubmatch(string(raw), -1)
	require.Len(t, blocks, len(readmeExamples), "the JSON examples of docs/rules.md")
	for i, ex := range readmeExamples {
		var doc, want any
		require.NoError(t, json.Unmarshal([]byte(blocks[i][1]), &doc), "docs/rules.md example %d", i+1)
		require.NoError(t, json.Unmarshal([]byte(ex.body), &want), ex.name)
		assert.Equal(t, want, doc, "docs/rules.md example %d is not %s", i+1, ex.name)
	}
}
