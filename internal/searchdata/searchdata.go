// Package searchdata fills a throwaway routedesk database with realistic tickets, messages
// and contacts for the ticket search's EXPLAIN test and benchmark, in a few set-based statements.
package searchdata

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Spec is how much one account gets.
type Spec struct {
	// Tag names the account's rows (ids are "<kind>_<Tag>_<n>"); letters and digits only.
	Tag      string
	Tickets  int
	Messages int
	Contacts int
	Users    int
	Teams    int
	// Language is the account's search_language ("": simple).
	Language string
}

// Account is what Generate made.
type Account struct {
	ID        string
	ChannelID string
	UserIDs   []string
	TeamIDs   []string
}

// Vocabulary is the words subjects and messages are made of, most frequent first: a
// message picks words with a skew towards the head, so the head is common and the tail rare.
var Vocabulary = strings.Fields(`
the order my i and to is not a it of for you have please can this with on was
help thanks hello hi delivery package refund account payment invoice received
item ordered still arrived yet when will where tracking number shipping address
wrong broken damaged return replace exchange size color missing charged twice
card subscription cancel renew plan upgrade downgrade login password reset email
phone app crash error update version install issue problem urgent asap today
tomorrow week monday friday weekend store online checkout cart discount coupon
code price expensive cheap quality lamp chair table sofa desk shelf cabinet
mattress pillow blanket curtain rug mirror frame vase candle kettle toaster
blender mixer oven fridge freezer washer dryer vacuum heater fan charger cable
battery screen keyboard mouse headphones speaker camera printer router modem
warranty repair technician appointment visit installation assembly instructions
manual screws missing parts leg drawer handle door hinge glass wood metal fabric
leather cotton wool velvet oak walnut birch pine marble ceramic porcelain copper
brass chrome matte glossy scratched dent stain smell noise leaking flickering
overheating stuck jammed loose wobbly cracked faded shrunk torn ripped bent
invoice receipt vat company business bulk wholesale partner reseller contract
quote estimate deadline shipment customs duty courier dhl ups fedex postnord
pickup locker depot warehouse stock backorder preorder available restock
gift wrap message card birthday wedding christmas anniversary voucher loyalty
points membership newsletter unsubscribe privacy gdpr data delete export
complaint feedback review rating stars recommend disappointed happy satisfied
fantastic terrible awful excellent perfect slow fast quick late early delayed
café crème brûlée naïve façade jalapeño smörgåsbord fjällräven köttbullar
`)

var (
	firstNames = strings.Fields(`Ada Alan Grace Linus Margaret Edsger Barbara Donald Frances Ken Dennis Radia Tim Vint Hedy
Katherine Dorothy Mary John Anna Erik Lars Ingrid Sofia Björn Åsa Zoë Chloé José Noël Maja Oskar Elin Johan Karin`)
	lastNames = strings.Fields(`Lovelace Turing Hopper Torvalds Hamilton Dijkstra Liskov Knuth Allen Thompson Ritchie Perlman
Berners-Lee Cerf Lamarr Johnson Vaughan Jackson McCarthy Andersson Johansson Karlsson Nilsson Eriksson Larsson Öberg Müller
García Núñez Lefèvre Dubois Rossi Novak Kowalski`)
	statuses = []string{"closed", "closed", "closed", "closed", "closed", "closed", "open", "open", "new", "pending"}
	priority = []string{"normal", "normal", "normal", "normal", "low", "low", "high", "high", "urgent", "normal"}
	tagSet   = []string{"vip", "billing", "bug", "refund", "shipping", "returns", "warranty", "b2b"}
)

// Generate creates an account with a channel, users, teams, contacts, one conversation and
// ticket per Spec.Tickets and Spec.Messages messages spread over them, then analyzes the tables.
func Generate(ctx context.Context, db *sqlx.DB, s Spec) (Account, error) {
	a := Account{ID: "acc_" + s.Tag, ChannelID: "chn_" + s.Tag}
	for i := 1; i <= s.Users; i++ {
		a.UserIDs = append(a.UserIDs, fmt.Sprintf("usr_%s_%d", s.Tag, i))
	}
	for i := 1; i <= s.Teams; i++ {
		a.TeamIDs = append(a.TeamIDs, fmt.Sprintf("tea_%s_%d", s.Tag, i))
	}
	lang := s.Language
	if lang == "" {
		lang = "simple"
	}
	// Messages go in before their tickets, so each ticket's text vector is built once, as it is inserted.
	steps := []struct {
		what, sql string
		args      []any
	}{
		{"account", `INSERT INTO accounts (id, name, tier, search_language) VALUES ($1, $1, 'enterprise', $2::regconfig)`, []any{a.ID, lang}},
		{"channel", `INSERT INTO channels (id, account_id, type, name) VALUES ($1, $2, 'chat', 'Chat')`, []any{a.ChannelID, a.ID}},
		{"users", `INSERT INTO users (id, account_id, email, name) SELECT u, $2, u || '@agents.test', 'Agent ' || u FROM unnest($1::text[]) u`, []any{a.UserIDs, a.ID}},
		{"teams", `INSERT INTO teams (id, account_id, name) SELECT t, $2, 'Team ' || t FROM unnest($1::text[]) t`, []any{a.TeamIDs, a.ID}},
		{"contacts", `INSERT INTO contacts (id, account_id, name, email, phone)
		  SELECT 'ctc_' || $1 || '_' || i, $2, f || ' ' || l,
		         lower(translate(f || '.' || l, 'åäöéèëüñç', 'aaoeeeunc')) || i || '@example' || (i % 7) || '.com',
		         '+467' || lpad(((i::bigint * 7919) % 100000000)::text, 8, '0')
		    FROM generate_series(1, $3::int) i,
		         LATERAL (SELECT ($4::text[])[1 + (i * 7) % cardinality($4::text[])] AS f,
		                         ($5::text[])[1 + (i * 13) % cardinality($5::text[])] AS l) n`,
			[]any{s.Tag, a.ID, s.Contacts, firstNames, lastNames}},
		{"conversations", `INSERT INTO conversations (id, account_id, channel_id, thread_key, workflow_id, thread_hash)
		  SELECT 'cnv_' || $1 || '_' || i, $2, $3, 't:' || i, 'wf_' || $1 || '_' || i, decode(md5($1 || ':' || i), 'hex')
		    FROM generate_series(1, $4::int) i`, []any{s.Tag, a.ID, a.ChannelID, s.Tickets}},
		{"messages", `INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, status, sent_at, text)
		  SELECT 'msg_' || $1 || '_' || j, $2, $3, 'cnv_' || $1 || '_' || (1 + floor(random() * $4::int)::int), 'e' || j,
		         CASE WHEN j % 2 = 0 THEN 'inbound' ELSE 'outbound' END, 'received', now(),
		         (SELECT string_agg(CASE WHEN random() < 0.02 THEN 'A' || (100000 + floor(random() * 900000)::int)
		                                 ELSE ($6::text[])[1 + floor(power(random(), 2.2) * cardinality($6::text[]))::int] END, ' ')
		            FROM generate_series(1, 6 + j % 30) g)
		    FROM generate_series(1, $5::int) j`, []any{s.Tag, a.ID, a.ChannelID, s.Tickets, s.Messages, Vocabulary}},
		{"tickets", `INSERT INTO tickets (id, account_id, conversation_id, channel_id, contact_id, subject, status, priority, tags,
		                      assignee_user_id, assignee_team_id, routing_state, created_at, updated_at)
		  SELECT 'tkt_' || $1 || '_' || lpad(i::text, 9, '0'), $2, 'cnv_' || $1 || '_' || i, $3,
		         'ctc_' || $1 || '_' || (1 + (i::bigint * 104729) % $5::int),
		         (SELECT string_agg(($6::text[])[1 + floor(power(random(), 1.6) * cardinality($6::text[]))::int], ' ')
		            FROM generate_series(1, 3 + i % 6) g),
		         ($7::text[])[1 + i % 10], ($8::text[])[1 + (i / 3) % 10],
		         CASE WHEN i % 4 = 0 THEN ARRAY[($9::text[])[1 + i % 8]] WHEN i % 9 = 0 THEN ARRAY[($9::text[])[1 + i % 8], ($9::text[])[1 + (i / 8) % 8]] ELSE '{}' END,
		         CASE WHEN i % 10 < 7 THEN ($10::text[])[1 + (i / 10) % cardinality($10::text[])] END,
		         CASE WHEN i % 3 > 0 THEN ($11::text[])[1 + i % cardinality($11::text[])] END,
		         CASE WHEN i % 10 < 7 THEN 'assigned' ELSE 'unassigned' END,
		         now() - interval '730 days' * (1 - i::float8 / $4::int),
		         now() - interval '730 days' * (1 - i::float8 / $4::int) + interval '1 hour' * (i % 240)
		    FROM generate_series(1, $4::int) i`,
			[]any{s.Tag, a.ID, a.ChannelID, s.Tickets, s.Contacts, Vocabulary, statuses, priority, tagSet, a.UserIDs, a.TeamIDs}},
	}
	for _, st := range steps {
		if _, err := db.ExecContext(ctx, st.sql, st.args...); err != nil {
			return a, fmt.Errorf("generate %s: %w", st.what, err)
		}
	}
	return a, nil
}

// Analyze vacuums and analyzes the searched tables, so plans and index-only scans are as in production.
func Analyze(ctx context.Context, db *sqlx.DB) error {
	if _, err := db.ExecContext(ctx, `VACUUM ANALYZE tickets, messages, contacts, conversations, accounts`); err != nil {
		return fmt.Errorf("vacuum analyze: %w", err)
	}
	return nil
}
