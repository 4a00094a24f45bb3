package emailtest_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
)

// listenSMTP runs the desk's SMTP listener and returns its address.
func (d *desk) listenSMTP(t *testing.T, addr chan string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.API.Listen(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case a := <-addr:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("SMTP listener did not start")
		return ""
	}
}

// smtpSend delivers raw to rcpt through the listener with a real SMTP client.
func smtpSend(listener, rcpt, raw string) error {
	c, err := smtp.Dial(listener)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail("grace@example.org", []string{rcpt}, strings.NewReader(raw))
}

// TestAnotherAccountCannotClaimAnAddress: account B cannot connect (nor PATCH onto) account A's team
// address in any spelling the mailbox treats as the same; the SMTP listener stores A's mail only in A.
func TestAnotherAccountCannotClaimAnAddress(t *testing.T) {
	addr := make(chan string, 1)
	d := newDesk(t, email.Settings{SMTPAddr: "127.0.0.1:0", OnListening: func(a string) { addr <- a }}, nil)
	listener := d.listenSMTP(t, addr)
	_, tokenB := d.Account("Intruder", "professional")
	for _, spelled := range []string{"support@acme.test", "SUPPORT@Acme.Test", "support+intercept@acme.test"} {
		r := d.Do(http.MethodPost, "/v1/channels", tokenB, map[string]any{"type": "email", "name": "Mine now", "config": map[string]any{"address": spelled}})
		require.Equal(t, http.StatusConflict, r.Status, "%s: %s", spelled, r.Body)
		require.Equal(t, "config.address", r.Map(t)["errors"].([]any)[0].(map[string]any)["field"])
	}
	own := d.Do(http.MethodPost, "/v1/channels", tokenB, map[string]any{"type": "email", "name": "B", "config": map[string]any{"address": "b@intruder.test"}})
	require.Equal(t, http.StatusCreated, own.Status, string(own.Body))
	r := d.Do(http.MethodPatch, "/v1/channels/"+own.Map(t)["id"].(string), tokenB, map[string]any{"config": map[string]any{"address": "Support@acme.test"}})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))

	require.NoError(t, smtpSend(listener, "support+orders@acme.test", strings.Replace(firstMail, "order-1@", "owner-1@", 1)))
	testenv.Eventually(t, 20*time.Second, "A's ticket", func() bool { return len(d.tickets(t)) == 1 })
	var l struct{ Items []domain.Ticket }
	d.Do(http.MethodGet, "/v1/tickets", tokenB, nil).JSON(t, &l)
	require.Empty(t, l.Items, "B got A's mail")
}

// TestGmailSpellingsAreOneMailbox: Gmail ignores dots and +tags and googlemail.com is gmail.com, so
// every such spelling is the claimed mailbox; mail to one of them reaches the one owner.
func TestGmailSpellingsAreOneMailbox(t *testing.T) {
	addr := make(chan string, 1)
	d := newDesk(t, email.Settings{SMTPAddr: "127.0.0.1:0", OnListening: func(a string) { addr <- a }},
		map[string]any{"address": "acme.support@gmail.com"})
	listener := d.listenSMTP(t, addr)
	_, tokenB := d.Account("Intruder", "professional")
	for _, spelled := range []string{"acmesupport@gmail.com", "Acme.Sup.Port+x@googlemail.com"} {
		r := d.Do(http.MethodPost, "/v1/channels", tokenB, map[string]any{"type": "email", "name": "Mine", "config": map[string]any{"address": spelled}})
		require.Equal(t, http.StatusConflict, r.Status, "%s: %s", spelled, r.Body)
	}
	raw := strings.Replace(firstMail, "order-1@", "gmail-1@", 1)
	require.NoError(t, smtpSend(listener, "a.c.m.e.support+web@googlemail.com", raw))
	testenv.Eventually(t, 20*time.Second, "the owner's ticket", func() bool { return len(d.tickets(t)) == 1 })
}

var codePattern = regexp.MustCompile(`[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`)

// mailedCode waits for the n-th verification mail to address at the SMTP sink and returns its code.
func (d *desk) mailedCode(t *testing.T, address string, n int) string {
	t.Helper()
	var code string
	testenv.Eventually(t, 20*time.Second, "verification mail to "+address, func() bool {
		seen := 0
		for _, m := range d.Mail.Received() {
			if len(m.To) == 1 && strings.EqualFold(m.To[0], address) && strings.Contains(m.Data, "Confirm "+address) {
				if seen++; seen == n {
					code = codePattern.FindString(m.Data)
					return code != ""
				}
			}
		}
		return false
	})
	return code
}

// TestAddressVerificationEndToEnd: with verification required a new address is pending_verification;
// the listener refuses its mail (550 5.7.1) and the raw route answers 409; the code mailed through the
// channel's relay (an in-process go-smtp server) connects it; a wrong code counts down, a used or
// replaced code is void, a resend within a minute is 429, the link works without a token.
func TestAddressVerificationEndToEnd(t *testing.T) {
	addr := make(chan string, 1)
	d := newDesk(t, email.Settings{SMTPAddr: "127.0.0.1:0", VerifyAddresses: true, OnListening: func(a string) { addr <- a }}, nil)
	listener := d.listenSMTP(t, addr)
	ch := d.Do(http.MethodGet, "/v1/channels/"+d.channelID, d.token, nil).Map(t)
	require.Equal(t, "pending_verification", ch["status"])

	raw := strings.Replace(firstMail, "order-1@", "early-1@", 1)
	err := smtpSend(listener, "support@acme.test", raw)
	se, ok := err.(*smtp.SMTPError)
	require.True(t, ok, "%v", err)
	require.Equal(t, 550, se.Code)
	require.Equal(t, smtp.EnhancedCode{5, 7, 1}, se.EnhancedCode)
	require.Contains(t, se.Message, "verification")
	require.Equal(t, http.StatusConflict, d.postRaw(t, raw).Status)

	code := d.mailedCode(t, "support@acme.test", 1)
	wrong := d.Do(http.MethodPost, "/v1/channels/"+d.channelID+"/verify", d.token, map[string]any{"code": "0000-0000-0000-0000"})
	require.Equal(t, http.StatusUnprocessableEntity, wrong.Status, string(wrong.Body))
	require.Contains(t, string(wrong.Body), "4 tries left")
	v := d.Do(http.MethodGet, "/v1/channels/"+d.channelID+"/verification", d.token, nil).Map(t)
	require.EqualValues(t, 4, v["attempts_left"])

	// Another account cannot use the code, nor see the channel.
	_, tokenB := d.Account("Other", "professional")
	require.Equal(t, http.StatusNotFound, d.Do(http.MethodPost, "/v1/channels/"+d.channelID+"/verify", tokenB, map[string]any{"code": code}).Status)

	ok2 := d.Do(http.MethodPost, "/v1/channels/"+d.channelID+"/verify", d.token, map[string]any{"code": strings.ToLower(code)})
	require.Equal(t, http.StatusOK, ok2.Status, string(ok2.Body))
	require.Equal(t, "connected", ok2.Map(t)["status"])
	require.Equal(t, "code", ok2.Map(t)["verified_by"])
	require.NoError(t, smtpSend(listener, "support@acme.test", raw))
	testenv.Eventually(t, 20*time.Second, "the ticket after verification", func() bool { return len(d.tickets(t)) == 1 })

	// A new address must be proven again: pending, a new code, and the used one is void.
	r := d.Do(http.MethodPatch, "/v1/channels/"+d.channelID, d.token, map[string]any{"config": map[string]any{"address": "help@acme.test"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "pending_verification", r.Map(t)["status"])
	require.Nil(t, r.Map(t)["verified_at"])
	newCode := d.mailedCode(t, "help@acme.test", 1)
	require.NotEqual(t, code, newCode)
	reused := d.Do(http.MethodPost, "/v1/channels/"+d.channelID+"/verify", d.token, map[string]any{"code": code})
	require.Equal(t, http.StatusUnprocessableEntity, reused.Status, string(reused.Body))
	resend := d.Do(http.MethodPost, "/v1/channels/"+d.channelID+"/verification", d.token, nil)
	require.Equal(t, http.StatusTooManyRequests, resend.Status, string(resend.Body))
	require.NotEmpty(t, resend.Header.Get("Retry-After"))

	// The link needs no token.
	link := testenv.Do(t, d.HTTP.URL, http.MethodGet, "/verify-address/"+d.channelID+"?code="+newCode, "", nil)
	require.Equal(t, http.StatusOK, link.Status, string(link.Body))
	require.Contains(t, string(link.Body), "Confirmed")
	got := d.Do(http.MethodGet, "/v1/channels/"+d.channelID, d.token, nil).Map(t)
	require.Equal(t, "connected", got["status"])
	require.Equal(t, "link", got["verified_by"])

	// Disconnect and reconnect with the address unchanged: still proven.
	require.Equal(t, http.StatusOK, d.Do(http.MethodPatch, "/v1/channels/"+d.channelID, d.token, map[string]any{"status": "disconnected"}).Status)
	back := d.Do(http.MethodPatch, "/v1/channels/"+d.channelID, d.token, map[string]any{"status": "connected"})
	require.Equal(t, "connected", back.Map(t)["status"], string(back.Body))
}

// TestVerificationCodesBurnAndExpire: five wrong codes void the code; an expired code is refused;
// a channel without a relay and no system mailer records why no mail went out.
func TestVerificationCodesBurnAndExpire(t *testing.T) {
	d := newDesk(t, email.Settings{VerifyAddresses: true}, nil)
	code := d.mailedCode(t, "support@acme.test", 1)
	for i := 0; i < 5; i++ {
		r := d.Do(http.MethodPost, "/v1/channels/"+d.channelID+"/verify", d.token, map[string]any{"code": "0000-0000-0000-000" + string(rune('A'+i))})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	}
	r := d.Do(http.MethodPost, "/v1/channels/"+d.channelID+"/verify", d.token, map[string]any{"code": code})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "a burnt code still worked: %s", r.Body)

	// A fresh code that has expired is refused.
	_, err := d.Store.DB().Exec(`UPDATE channel_verifications SET last_sent_at = now() - interval '2 minutes' WHERE channel_id = $1`, d.channelID)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, d.Do(http.MethodPost, "/v1/channels/"+d.channelID+"/verification", d.token, nil).Status)
	code = d.mailedCode(t, "support@acme.test", 2)
	_, err = d.Store.DB().Exec(`UPDATE channel_verifications SET expires_at = now() - interval '1 second' WHERE channel_id = $1`, d.channelID)
	require.NoError(t, err)
	r = d.Do(http.MethodPost, "/v1/channels/"+d.channelID+"/verify", d.token, map[string]any{"code": code})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	var hash []byte
	require.NoError(t, d.Store.DB().Get(&hash, `SELECT code_hash FROM channel_verifications WHERE channel_id = $1`, d.channelID))
	require.NotContains(t, string(hash), code, "the code is stored in clear")

	bare := d.Do(http.MethodPost, "/v1/channels", d.token, map[string]any{"type": "email", "name": "No relay", "config": map[string]any{"address": "norelay@acme.test"}})
	require.Equal(t, http.StatusCreated, bare.Status, string(bare.Body))
	v := d.Do(http.MethodGet, "/v1/channels/"+bare.Map(t)["id"].(string)+"/verification", d.token, nil).Map(t)
	require.Contains(t, v["last_error"], "ROUTEDESK_SMTP_URL")
}

// TestAnUnprovenClaimDoesNotHoldAnAddress: an account that types someone else's address and never
// proves it does not keep the real owner out. The owner's claim is accepted (pending too), the owner's
// proof connects it, and the unproven claim is disconnected with the reason; once proven, the address
// is 409 to everyone else and its mail reaches the owner only.
func TestAnUnprovenClaimDoesNotHoldAnAddress(t *testing.T) {
	addr := make(chan string, 1)
	d := newDesk(t, email.Settings{SMTPAddr: "127.0.0.1:0", VerifyAddresses: true, OnListening: func(a string) { addr <- a }}, nil)
	listener := d.listenSMTP(t, addr)
	squatterCode := d.mailedCode(t, "support@acme.test", 1) // the desk's own channel plays the squatter

	_, ownerToken := d.Account("Acme for real", "professional")
	host, port := splitHostPort(t, d.Mail.Addr)
	cfg := map[string]any{"address": "support+owner@acme.test", "smtp": map[string]any{"host": host, "port": port, "tls": "none"}}
	r := d.Do(http.MethodPost, "/v1/channels", ownerToken, map[string]any{"type": "email", "name": "Support", "config": cfg})
	require.Equal(t, http.StatusCreated, r.Status, "an unproven claim must not block the address: %s", r.Body)
	require.Equal(t, "pending_verification", r.Map(t)["status"])
	owner := r.Map(t)["id"].(string)
	ok := d.Do(http.MethodPost, "/v1/channels/"+owner+"/verify", ownerToken, map[string]any{"code": d.mailedCode(t, "support+owner@acme.test", 1)})
	require.Equal(t, http.StatusOK, ok.Status, string(ok.Body))
	require.Equal(t, "connected", ok.Map(t)["status"])

	squatter := d.Do(http.MethodGet, "/v1/channels/"+d.channelID, d.token, nil).Map(t)
	require.Equal(t, "disconnected", squatter["status"])
	require.Equal(t, "claimed_by_another_channel", squatter["status_reason"])
	late := d.Do(http.MethodPost, "/v1/channels/"+d.channelID+"/verify", d.token, map[string]any{"code": squatterCode})
	require.Equal(t, http.StatusConflict, late.Status, string(late.Body))
	back := d.Do(http.MethodPatch, "/v1/channels/"+d.channelID, d.token, map[string]any{"status": "connected"})
	require.Equal(t, http.StatusConflict, back.Status, string(back.Body))
	require.Equal(t, "config.address", back.Map(t)["errors"].([]any)[0].(map[string]any)["field"])

	_, thirdToken := d.Account("Third", "professional")
	third := d.Do(http.MethodPost, "/v1/channels", thirdToken, map[string]any{"type": "email", "name": "Mine", "config": map[string]any{"address": "support+x@acme.test"}})
	require.Equal(t, http.StatusConflict, third.Status, string(third.Body))
	require.Equal(t, "config.address", third.Map(t)["errors"].([]any)[0].(map[string]any)["field"])

	require.NoError(t, smtpSend(listener, "support@acme.test", strings.Replace(firstMail, "order-1@", "claim-1@", 1)))
	var l struct{ Items []domain.Ticket }
	testenv.Eventually(t, 20*time.Second, "the owner's ticket", func() bool {
		d.Do(http.MethodGet, "/v1/tickets", ownerToken, nil).JSON(t, &l)
		return len(l.Items) == 1
	})
	require.Empty(t, d.tickets(t), "the squatter got the owner's mail")
}
