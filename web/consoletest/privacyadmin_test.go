package consoletest

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
)

// privacyStack is a stack with an admin and a custom channel on which contact "ext" wrote texts.
func privacyStack(t *testing.T, texts ...string) (*testenv.Stack, string, string, string) {
	t.Helper()
	st := testenv.NewStack(t)
	_, admin := st.Account("Privacy Co", "enterprise")
	r := st.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "custom", "name": "App", "config": map[string]any{"app_name": "App"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	ch := r.Map(t)["id"].(string)
	for i, text := range texts {
		r = st.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", admin, map[string]any{"external_id": fmt.Sprintf("m-%d", i), "thread_id": "t-1",
			"from": map[string]any{"external_user_id": "ext", "name": "Petra Privat"}, "text": text})
		if r.Status != http.StatusAccepted {
			t.Fatalf("inbound: %d %s", r.Status, r.Body)
		}
	}
	return st, admin, ch, waitTicket(t, st.HTTP.URL, admin, ch)
}

// TestConsoleRetentionPolicies: on the Retention page an admin sets the account default (delete
// after 365 days) and a channel's override (anonymise after 30), sees both listed, runs retention
// now and sees the run complete with its counts; the expired ticket of the channel is anonymised.
func TestConsoleRetentionPolicies(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st, admin, ch, ticket := privacyStack(t, "My Gotland order is late")
	testenv.Eventually(t, 20*time.Second, "the message stored", func() bool {
		var n int
		_ = st.Store.DB().Get(&n, `SELECT count(*) FROM messages`)
		return n == 1
	})
	if _, err := st.Store.DB().Exec(`UPDATE tickets SET status = 'closed', updated_at = now() - interval '100 days' WHERE id = $1`, ticket); err != nil {
		t.Fatal(err)
	}
	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.login(admin)
	p.Until("the admin's Retention link", `!document.querySelector('#nav a[href="#/retention"]').hidden`)
	p.open("#/retention", "Retention")
	p.Until("no policy yet", `document.querySelector('.retention-policies tbody').textContent.includes('No policy')`)
	p.Until("no run yet", `!!document.querySelector('.retention-last[data-state="none"]')`)

	p.clear(`.retention-form input[name="days"]`)
	p.Do("set the account default", chromedp.SendKeys(`.retention-form input[name="days"]`, "365"),
		chromedp.Click(`.retention-form button[type="submit"]`))
	p.Until("the account default listed", `(document.querySelector('.retention-policies tr[data-channel=""] .retention-days') || {}).textContent === '365 days'`)
	p.choose(`.retention-form select[name="channel_id"]`, ch)
	p.choose(`.retention-form select[name="action"]`, "anonymise")
	p.clear(`.retention-form input[name="days"]`)
	p.Do("set the channel's override", chromedp.SendKeys(`.retention-form input[name="days"]`, "30"),
		chromedp.Click(`.retention-form button[type="submit"]`))
	row := `.retention-policies tr[data-channel="` + ch + `"]`
	p.Until("the override listed", `(document.querySelector('`+row+` .retention-action') || {}).textContent === 'Anonymise (keep ticket figures)'`)
	var n int
	if err := st.Store.DB().Get(&n, `SELECT count(*) FROM retention_policies WHERE (channel_id = '' AND days = 365 AND action = 'delete') OR (channel_id = $1 AND days = 30 AND action = 'anonymise')`, ch); err != nil || n != 2 {
		t.Fatalf("policies stored: %d %v", n, err)
	}

	p.Do("run now", chromedp.Click(`button.retention-run`))
	p.Until("the run completed", `!!document.querySelector('.retention-last[data-state="completed"]')`)
	if got := p.Eval(`document.querySelector('.retention-last .retention-counts').textContent`); got != "0 deleted, 1 anonymised" {
		t.Fatalf("run counts: %q", got)
	}
	var subject string
	if err := st.Store.DB().Get(&subject, `SELECT m.text FROM messages m JOIN tickets t ON t.conversation_id = m.conversation_id WHERE t.id = $1`, ticket); err != nil || subject != "[anonymised]" {
		t.Fatalf("the message after the run: %q %v", subject, err)
	}
	p.Screenshot("retention")

	// Removing the channel's override leaves the account default, which then covers the channel.
	p.Eval(`window.confirm = () => true; 'ok'`)
	p.Do("remove the override", chromedp.Click(row+` button.retention-remove`))
	p.Until("the override gone", `!document.querySelector('`+row+`') && !!document.querySelector('.retention-policies tr[data-channel=""]')`)
	if err := st.Store.DB().Get(&n, `SELECT count(*) FROM retention_policies`); err != nil || n != 1 {
		t.Fatalf("policies left: %d %v", n, err)
	}
}

// TestConsoleAuditLog: the Audit log page pages through 30 entries (25 a page, newer/older),
// labels operations and counts in words, and filters by operation and by a day.
func TestConsoleAuditLog(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st, admin, _, _ := privacyStack(t, "hello")
	var account string
	if err := st.Store.DB().Get(&account, `SELECT account_id FROM channels LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	// 30 entries, one every 6 hours back from now: 10 erasures, 10 exports, 10 retention runs.
	_, err := st.Store.DB().Exec(`INSERT INTO audit_log (id, account_id, action, ref, actor, subject_kind, subject_id, counts, created_at)
		SELECT 'aud_' || lpad(g::text, 4, '0'), $1, (ARRAY['erase', 'export', 'retention'])[g % 3 + 1], 'ref' || g,
			CASE WHEN g % 3 = 2 THEN 'system' ELSE 'usr_admin' END,
			CASE WHEN g % 3 = 2 THEN 'account' ELSE 'contact' END, 'con_' || g,
			jsonb_build_object('conversations', g, 'messages', 0), now() - make_interval(hours => 6 * (30 - g))
		FROM generate_series(1, 30) g`, account)
	if err != nil {
		t.Fatal(err)
	}
	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.login(admin)
	p.open("#/audit", "Audit log")
	rows := `document.querySelectorAll('.audit-log tbody tr[data-ref]')`
	p.Until("the first page", rows+`.length === 25 && !document.querySelector('.audit-next').disabled`)
	if got := p.Eval(`document.querySelector('.audit-log tbody tr[data-ref="ref30"]').textContent`); !strings.Contains(got, "Contact erased") ||
		!strings.Contains(got, "30 conversations deleted") || strings.Contains(got, "messages") || !strings.Contains(got, "contact con_30") {
		t.Fatalf("the newest row reads %q", got)
	}
	if got := p.Eval(`document.querySelector('.audit-log tbody tr[data-ref="ref29"]').textContent`); !strings.Contains(got, "Retention run") || !strings.Contains(got, "System (schedule)") {
		t.Fatalf("a retention row reads %q", got)
	}
	p.Do("older", chromedp.Click(`.audit-next`))
	p.Until("the second page", rows+`.length === 5 && document.querySelector('.audit-next').disabled && !!document.querySelector('.audit-log tr[data-ref="ref1"]')`)
	p.Do("newer", chromedp.Click(`.audit-prev`))
	p.Until("the first page again", rows+`.length === 25 && document.querySelector('.audit-prev').disabled`)

	p.choose(`.audit-filters select[name="action"]`, "export")
	p.Do("filter exports", chromedp.Click(`.audit-filters button[type="submit"]`))
	p.Until("only exports", rows+`.length === 10 && [...`+rows+`].every((r) => r.dataset.action === 'export' && r.querySelector('.audit-action').textContent === 'Contact data exported')`)

	// One local day: the entries whose created_at falls on it, counted in the database the same way.
	day := p.Eval(`(() => { const d = new Date(Date.now() - 2 * 86400000); return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0'); })()`)
	from := p.Eval(`new Date('` + day + `T00:00:00').toISOString()`)
	var want int
	if err := st.Store.DB().Get(&want, `SELECT count(*) FROM audit_log WHERE account_id = $1 AND created_at >= $2::timestamptz AND created_at < $2::timestamptz + interval '1 day'`, account, from); err != nil || want == 0 {
		t.Fatalf("entries that day: %d %v", want, err)
	}
	p.choose(`.audit-filters select[name="action"]`, "")
	p.choose(`.audit-filters input[name="since"]`, day)
	p.choose(`.audit-filters input[name="until"]`, day)
	p.Do("filter one day", chromedp.Click(`.audit-filters button[type="submit"]`))
	p.Until(fmt.Sprintf("the %d entries of %s", want, day), fmt.Sprintf(`%s.length === %d && document.querySelector('.audit-page').textContent === 'Page 1'`, rows, want))
	p.Screenshot("audit-log")
}

// TestConsoleExportDownload: an admin exports a ticket's contact from the privacy panel, waits for
// the archive, and the Download link's archive (fetched by the page with its token) is a zip
// holding the contact's messages.
func TestConsoleExportDownload(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st, admin, _, ticket := privacyStack(t, "First: my Visby parcel", "Second: still no Visby parcel")
	testenv.Eventually(t, 20*time.Second, "both messages stored", func() bool {
		var n int
		_ = st.Store.DB().Get(&n, `SELECT count(*) FROM messages`)
		return n == 2
	})
	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.login(admin)
	title := st.Do(http.MethodGet, "/v1/tickets/"+ticket, admin, nil).Map(t)["subject"].(string)
	if title == "" {
		title = "Ticket"
	}
	p.open("#/tickets/"+ticket, title)
	p.Until("the export button", `!!document.querySelector('.privacy-panel button.export-start')`)
	p.Do("export", chromedp.Click(`.privacy-panel button.export-start`))
	p.Until("the archive ready", `(document.querySelector('.privacy-panel .export-state') || {}).textContent.startsWith('Export completed') && !!document.querySelector('.privacy-panel a.export-download')`)
	p.Eval(`(() => { const a = document.querySelector('.privacy-panel a.export-download');
		fetch(a.dataset.url, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('routedesk.token') } })
			.then((r) => r.ok ? r.blob() : Promise.reject(new Error('HTTP ' + r.status)))
			.then((b) => new Promise((ok) => { const fr = new FileReader(); fr.onload = () => ok(fr.result); fr.readAsDataURL(b); }))
			.then((u) => { window.__archive = u; }, (e) => { window.__archive = 'error:' + e.message; });
		return a.dataset.url; })()`)
	p.Until("the page fetched the archive", `typeof window.__archive === 'string'`)
	got := p.Eval(`window.__archive`)
	_, b64, ok := strings.Cut(got, ";base64,")
	if !ok {
		t.Fatalf("the download: %.200s", got)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("not a zip archive (%d bytes): %v", len(raw), err)
	}
	var conversations string
	names := []string{}
	for _, f := range z.File {
		names = append(names, f.Name)
		if strings.HasPrefix(f.Name, "conversations/") {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			conversations += string(b)
		}
	}
	for _, want := range []string{"manifest.json", "profile.json", "tickets.json"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Fatalf("the archive lacks %s: %v", want, names)
		}
	}
	for _, text := range []string{"First: my Visby parcel", "Second: still no Visby parcel"} {
		if !strings.Contains(conversations, text) {
			t.Fatalf("the archive's conversations lack %q: %v", text, names)
		}
	}
	p.Screenshot("export-ready")
}
