package consoletest

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/sla"
)

// TestConsoleSLAPolicies: an admin adds an SLA policy with business hours (Stockholm, weekdays 09–17)
// and a holiday (tomorrow), is shown the API's errors next to the condition and the hours, moves the
// policy above a catch-all (a button, a drag, a button), edits its first-response target, sees a new
// chat ticket get it with the deadline its calendar gives (on the ticket's SLA card and in the queue)
// and its team's clock, and deletes it.
func TestConsoleSLAPolicies(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	_, admin := st.Account("SLA Co", "enterprise")
	r := st.Do(http.MethodPost, "/v1/sla-policies", admin, map[string]any{"name": "Catch-all", "position": 0, "targets": map[string]any{"resolution_minutes": 2880}})
	if r.Status != http.StatusCreated {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
	r = st.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Chat"})
	if r.Status != http.StatusCreated {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	ch := r.Map(t)["id"].(string)
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	holiday := time.Now().In(stockholm).AddDate(0, 0, 1).Format(time.DateOnly)

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.login(admin)
	p.open("#/sla", "SLA policies")
	p.Until("the catch-all listed", `document.querySelectorAll('table.sla-policies tbody tr').length === 1`)
	p.open("#/sla/new", "Add an SLA policy")
	p.Do("name, condition, channel type, targets",
		chromedp.SendKeys(`form.sla-form [data-field="name"]`, "Chat office hours"),
		chromedp.SendKeys(`form.sla-form textarea[data-field="when"]`, "ticket.priority =="),
		chromedp.Click(`fieldset.channel_types input[value="chat"]`),
		chromedp.SendKeys(`[data-field="targets.first_response_minutes"]`, "2h"),
		chromedp.SendKeys(`[data-field="targets.resolution_minutes"]`, "1d 4h"),
		chromedp.Click(`[data-field="business_hours_only"]`))
	// The editor checks the condition as it is typed (300 ms, then a request) and its message moves
	// the form below it: wait for it, or a click further down may land where a button was.
	p.Until("the editor's own check of the condition", whenError+` !== ''`)
	p.choose(`select[data-field="calendar.timezone"]`, "Europe/Stockholm")
	p.Eval(`(() => { const d = document.querySelector('.new-holiday'); d.value = '` + holiday + `'; return d.value; })()`)
	p.Do("add the holiday", chromedp.Click(`button.add-holiday`))
	p.Until("the holiday listed", `document.querySelector('input.holiday[data-field="calendar.holidays[0]"]').value === '`+holiday+`'`)
	p.clear(`.day-ranges[data-day="Mon"]`)
	p.Do("bad Monday hours, a breach action", chromedp.SendKeys(`.day-ranges[data-day="Mon"]`, "9-17"),
		chromedp.Click(`button.add-on_breach`))
	p.choose(`fieldset.on_breach .action-row:last-child select.action-type`, "add_tag")
	p.Do("tag", chromedp.SendKeys(`fieldset.on_breach .action-row:last-child input.action-tag`, "sla-late"))
	// The holiday's redraw may land after the typing: save only what the form shows.
	p.Until("the bad hours still typed", `document.querySelector('.day-ranges[data-day="Mon"]').value === '9-17'`)
	p.Do("save", chromedp.Click(`form.sla-form button[type=submit]`))
	p.Until("the condition's error by its editor", `/Line 1, column/.test(`+whenError+`)`)
	p.Until("the hours' error by the schedule", `document.querySelector('fieldset.hours > .error').textContent.length > 0`)
	p.Screenshot("sla-policy-errors")
	p.clear(`form.sla-form textarea[data-field="when"]`)
	p.clear(`.day-ranges[data-day="Mon"]`)
	p.Do("fix them", chromedp.SendKeys(`.day-ranges[data-day="Mon"]`, "09:00-17:00"), chromedp.Click(`form.sla-form button[type=submit]`))
	p.Until("back on the list with two policies", `location.hash === '#/sla' && document.querySelectorAll('table.sla-policies tbody tr').length === 2`)
	var list struct{ Items []sla.Policy }
	st.Do(http.MethodGet, "/v1/sla-policies", admin, nil).JSON(t, &list)
	if len(list.Items) != 2 || list.Items[1].Name != "Chat office hours" {
		t.Fatalf("policies: %+v", list.Items)
	}
	chat := list.Items[1]
	if c := chat.Calendar; !chat.BusinessHoursOnly || c.Timezone != "Europe/Stockholm" || c.Hours != "Mon 09:00-17:00; Tue 09:00-17:00; Wed 09:00-17:00; Thu 09:00-17:00; Fri 09:00-17:00" ||
		len(c.Holidays) != 1 || c.Holidays[0] != holiday || chat.Targets.FirstResponse != 120 || chat.Targets.Resolution != 1680 ||
		len(chat.ChannelTypes) != 1 || len(chat.OnBreach) != 2 || chat.OnBreach[1].Tag != "sla-late" {
		t.Fatalf("saved policy: %+v", chat)
	}

	p.Do("move it above the catch-all", chromedp.Click(`[aria-label="Move Chat office hours up"]`))
	p.Until("first in the list", `document.querySelector('table.sla-policies tbody tr').dataset.policy === '`+chat.ID+`'`)
	st.Do(http.MethodGet, "/v1/sla-policies", admin, nil).JSON(t, &list)
	if list.Items[0].ID != chat.ID {
		t.Fatalf("order after the move: %+v", list.Items)
	}
	// Dragging the catch-all onto the first row puts it back on top (HTML5 drag events, as a mouse drag fires them).
	p.Eval(`(() => { const rows = document.querySelectorAll('table.sla-policies tbody tr'); const dt = new DataTransfer();
		rows[1].dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt}));
		rows[0].dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
		rows[0].dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt})); return 'dropped'; })()`)
	p.Until("the catch-all dragged first", `document.querySelector('table.sla-policies tbody tr').dataset.policy === '`+list.Items[1].ID+`'`)
	st.Do(http.MethodGet, "/v1/sla-policies", admin, nil).JSON(t, &list)
	if list.Items[0].Name != "Catch-all" {
		t.Fatalf("order after the drag: %+v", list.Items)
	}
	p.Do("move it up again", chromedp.Click(`[aria-label="Move Chat office hours up"]`))
	p.Until("first again", `document.querySelector('table.sla-policies tbody tr').dataset.policy === '`+chat.ID+`'`)

	p.open("#/sla/"+chat.ID, "Edit SLA policy Chat office hours")
	p.Until("its holiday shown", `document.querySelector('input.holiday').value === '`+holiday+`'`)
	p.clear(`[data-field="targets.first_response_minutes"]`)
	p.Do("first response 30 min", chromedp.SendKeys(`[data-field="targets.first_response_minutes"]`, "30m"), chromedp.Click(`form.sla-form button[type=submit]`))
	p.Until("saved", `location.hash === '#/sla' && !!document.querySelector('table.sla-policies')`)
	p.Until("the list shows the new target", `document.querySelector('table.sla-policies tbody tr').textContent.includes('first response 30m')`)

	r = st.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", admin, map[string]any{"external_id": "s-1", "thread_id": "s-1",
		"from": map[string]any{"external_user_id": "s-1", "name": "Sven"}, "text": "Where is my order?"})
	if r.Status != http.StatusAccepted {
		t.Fatalf("inbound: %d %s", r.Status, r.Body)
	}
	ticket := waitTicket(t, st.HTTP.URL, admin, ch)
	var got struct {
		Subject   string
		CreatedAt time.Time `json:"created_at"`
		SLA       *struct {
			PolicyID string     `json:"policy_id"`
			DueAt    *time.Time `json:"due_at"`
		}
	}
	testenv.Eventually(t, 30*time.Second, "the ticket under the chat policy", func() bool {
		st.Do(http.MethodGet, "/v1/tickets/"+ticket, admin, nil).JSON(t, &got)
		return got.SLA != nil && got.SLA.PolicyID == chat.ID && got.SLA.DueAt != nil
	})
	cal, errs := sla.ParseCalendar(sla.CalendarSpec{Timezone: "Europe/Stockholm", Hours: "Mon-Fri 09:00-17:00", Holidays: []string{holiday}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want, ok := sla.Due(got.CreatedAt, 30*time.Minute, cal, nil)
	if d := got.SLA.DueAt.Sub(want); !ok || d < -time.Minute || d > time.Minute {
		t.Fatalf("due %s, want about %s (business hours, holiday %s)", got.SLA.DueAt, want, holiday)
	}
	team := st.Do(http.MethodPost, "/v1/teams", admin, map[string]any{"name": "Tier 1"}).Map(t)["id"].(string)
	if r := st.Do(http.MethodPatch, "/v1/tickets/"+ticket, admin, map[string]any{"assignee": map[string]any{"team_id": team}}); r.Status != http.StatusOK {
		t.Fatalf("assign the team: %d %s", r.Status, r.Body)
	}
	testenv.Eventually(t, 30*time.Second, "Tier 1's clock", func() bool {
		var tc struct {
			Clocks []struct {
				TeamID string `json:"team_id"`
			}
		}
		st.Do(http.MethodGet, "/v1/tickets/"+ticket+"/team-clocks", admin, nil).JSON(t, &tc)
		return len(tc.Clocks) == 1 && tc.Clocks[0].TeamID == team
	})
	title := got.Subject
	if title == "" {
		title = "Ticket"
	}
	p.open("#/tickets/"+ticket, title)
	p.Until("the SLA card names the policy", `(document.querySelector('.sla-panel .sla-policy') || {}).textContent === 'Chat office hours'`)
	p.Until("and shows the deadline", `new Date(document.querySelector('.sla-panel .sla-due').dataset.due).getTime() === `+strconv.FormatInt(got.SLA.DueAt.UnixMilli(), 10))
	p.Until("and Tier 1's clock, in business hours too", `(document.querySelector('.sla-panel .sla-team-clocks li[data-team="`+team+`"]') || {textContent: ''}).textContent.startsWith('Tier 1: ') &&
		document.querySelector('.sla-panel .sla-team-clocks li').textContent.endsWith('in business hours)')`)
	p.Screenshot("sla-ticket")
	p.open("#/queue", "Queue")
	p.Until("the queue's SLA column", `!!document.querySelector('tr[data-ticket="`+ticket+`"] td.sla[data-due]')`)
	// A ticket without an SLA (no channel, so the chat policy does not apply), in the same section.
	other := st.Do(http.MethodPost, "/v1/tickets", admin, map[string]any{"subject": "No SLA here", "channel_id": nil,
		"contact": map[string]any{"email": "nosla@example.com"}})
	if other.Status != http.StatusCreated {
		t.Fatalf("channel-less ticket: %d %s", other.Status, other.Body)
	}
	otherID := other.Map(t)["id"].(string)
	p.Until("both tickets in one section of the queue", `(() => {
		const a = document.querySelector('tr[data-ticket="`+ticket+`"]'), b = document.querySelector('tr[data-ticket="`+otherID+`"]');
		return !!a && !!b && a.closest('section') === b.closest('section');
	})()`)
	p.choose(`#queue-sort`, "sla_due")
	p.Until("SLA due first: the ticket with a deadline before the one without", `(() => {
		const rows = [...document.querySelector('tr[data-ticket="`+ticket+`"]').closest('tbody').querySelectorAll('tr')];
		return rows[0].dataset.ticket === '`+ticket+`' && rows.length === 2 && localStorage.getItem('routedesk.queueSort') === 'sla_due';
	})()`)
	p.choose(`#queue-sort`, "")
	p.Until("newest first again: the channel-less ticket, created last, on top", `(() => {
		const rows = [...document.querySelector('tr[data-ticket="`+ticket+`"]').closest('tbody').querySelectorAll('tr')];
		return rows[1].dataset.ticket === '`+ticket+`';
	})()`)

	p.open("#/sla/"+chat.ID, "Edit SLA policy Chat office hours")
	p.Eval(`(() => { window.confirm = () => true; return 'ok'; })()`)
	p.Do("delete", chromedp.Click(`button.delete-policy`))
	p.Until("gone from the list", `location.hash === '#/sla' && document.querySelectorAll('table.sla-policies tbody tr').length === 1`)
	if r := st.Do(http.MethodGet, "/v1/sla-policies/"+chat.ID, admin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("deleted policy: %d %s", r.Status, r.Body)
	}
}

// whenError is the text of the SLA form's condition editor's message.
const whenError = `document.querySelector('form.sla-form .editor').parentElement.querySelector('.error').textContent`
