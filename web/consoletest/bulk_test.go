package consoletest

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
)

// viewCounts is a JavaScript expression reading the sidebar's counts as "mine unassigned pending open".
const viewCounts = `['mine', 'unassigned', 'pending', 'open'].map((v) => { const b = document.querySelector('#views [data-count="' + v + '"]'); return b ? b.textContent : '?'; }).join(' ')`

// TestConsoleViewsAndBulk: the views sidebar counts what each view holds; selecting every ticket on the
// page and assigning them to the agent moves the counts; a bulk status change lists each ticket's outcome
// (the solved ticket's refusal among them); the search saved as a private view lists its tickets with its
// count, and Solved & closed lists the solved one.
func TestConsoleViewsAndBulk(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	_, admin := st.Account("Bulk Co", "enterprise")
	graceID, grace := agentFor(t, st, admin, "grace@example.com", "Grace Hopper", "available")
	ch := st.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Website chat"}).Map(t)["id"].(string)
	ids := map[string]string{}
	for i, text := range []string{"Refund for order 1", "Refund for order 2", "Shipping question"} {
		v := visitor(t, st, ch, "Customer "+string(rune('A'+i)), "")
		say(t, st, ch, v, "c-1", text)
		ids[text] = ticketOf(t, st, admin, ch, text)
	}
	if r := st.Do(http.MethodPatch, "/v1/tickets/"+ids["Shipping question"], admin, map[string]any{"assignee": map[string]any{"user_id": graceID}}); r.Status != http.StatusOK {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	if r := st.Do(http.MethodPatch, "/v1/tickets/"+ids["Refund for order 2"], admin, map[string]any{"status": "solved"}); r.Status != http.StatusOK {
		t.Fatalf("solve: %d %s", r.Status, r.Body)
	}

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.login(grace)
	p.open("#/inbox", "Mine")
	p.Until("the counts", viewCounts+` === '1 2 0 3' && document.querySelectorAll('tr[data-ticket]').length === 1
		&& document.querySelector('tr[data-ticket] td.assignee')?.textContent === 'Grace Hopper'`)
	p.Screenshot("inbox")

	// All open: select all on the page, assign them to Grace.
	p.Do("all open", chromedp.Click(chromedp.CSS(`#views li[data-view="open"] a`)))
	p.Until("three tickets", `document.querySelector('main h1')?.textContent === 'All open' && document.querySelectorAll('tr[data-ticket]').length === 3`)
	p.Do("select all", chromedp.Click(chromedp.CSS(`#select-all`)))
	p.Until("three selected", `document.getElementById('bulk-count')?.textContent === '3 selected' && !document.getElementById('bulk-apply')?.disabled`)
	p.choose(`#bulk-action`, "assign")
	p.choose(`#bulk-value`, graceID)
	p.Do("apply", chromedp.Click(chromedp.CSS(`#bulk-apply`)))
	p.Until("three changed, the counts moved", `document.querySelectorAll('#bulk-outcomes li[data-status="200"]').length === 3
		&& `+viewCounts+` === '3 0 0 3' && [...document.querySelectorAll('tr[data-ticket] td.assignee')].every((td) => td.textContent === 'Grace Hopper')`)

	// Status pending for all: the solved ticket cannot go there; each outcome is listed.
	p.Do("select all again", chromedp.Click(chromedp.CSS(`#select-all`)))
	p.choose(`#bulk-action`, "status")
	p.choose(`#bulk-value`, "pending")
	p.Do("apply", chromedp.Click(chromedp.CSS(`#bulk-apply`)))
	p.Until("two changed, one refused and named", `(() => { const bad = document.querySelectorAll('#bulk-outcomes li[data-status="422"]');
		return document.querySelectorAll('#bulk-outcomes li[data-status="200"]').length === 2 && bad.length === 1
			&& bad[0].dataset.id === '`+ids["Refund for order 2"]+`' && bad[0].textContent === 'Refund for order 2: refused: status: a solved ticket can become one of: open, closed'
			&& `+viewCounts+` === '3 0 2 3'; })()`)
	p.Screenshot("bulk-outcomes")

	// Search "refund" and save it as a private view: it lists both refunds, with its count.
	p.Do("search", chromedp.SendKeys(chromedp.CSS(`#ticket-search`), "refund\r"))
	p.Until("two refunds", `location.hash === '#/inbox?view=open&q=refund' && document.querySelectorAll('tr[data-ticket]').length === 2`)
	p.Do("save as view", chromedp.Click(chromedp.CSS(`#save-view-open`)), chromedp.SendKeys(chromedp.CSS(`#view-name`), "Refunds"),
		chromedp.Click(chromedp.CSS(`#save-view button[type=submit]`)))
	p.Until("the saved view, current, counted", `(() => { const a = document.querySelector('#views a[aria-current="page"]');
		return document.querySelector('main h1')?.textContent === 'Refunds' && a && a.textContent.startsWith('Refunds')
			&& a.querySelector('.badge').textContent === '2' && document.querySelectorAll('tr[data-ticket]').length === 2
			&& !document.getElementById('view-shared'); })()`)
	var views struct {
		Items []struct {
			Name, ID string
			Shared   bool
			Filters  map[string]any
		}
	}
	st.Do(http.MethodGet, "/v1/views", grace, nil).JSON(t, &views)
	last := views.Items[len(views.Items)-1]
	if last.Name != "Refunds" || last.Shared || last.Filters["q"] != "refund" {
		t.Fatalf("saved view: %+v", last)
	}

	// Solved & closed lists the solved ticket.
	p.Do("solved and closed", chromedp.Click(chromedp.CSS(`#views li[data-view="done"] a`)))
	p.Until("the solved ticket", `document.querySelector('main h1')?.textContent === 'Solved & closed'
		&& document.querySelectorAll('tr[data-ticket]').length === 1 && !!document.querySelector('tr[data-ticket="`+ids["Refund for order 2"]+`"]')`)
}
