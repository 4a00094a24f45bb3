package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/internal/testenv"
)

// emailSessions is the number of concurrent SMTP sessions (and concurrent POSTs) of TestEmailBenchmark.
const emailSessions = 100

// TestEmailBenchmark measures team email's SMTP listener against the generic
// messages endpoint in the same run: mails (messages) per second to stored and
// workflow started (the window ends when every stored message has reached its
// workflow, redriven ones included), and the accept latency p50/p99 at 100 concurrent sessions
// (the time to 250 / to 202); then the parse time of a 50 KB and a 10 MB mail.
// ROUTEDESK_BENCH_EMAIL_N mails per side (default 1000, quick 200).
func TestEmailBenchmark(t *testing.T) {
	if os.Getenv("ROUTEDESK_BENCH") != "1" {
		t.Skip("set ROUTEDESK_BENCH=1 to run the email benchmark")
	}
	def := 1000
	if os.Getenv("ROUTEDESK_BENCH_QUICK") == "1" {
		def = 200
	}
	n := envInt(t, "ROUTEDESK_BENCH_EMAIL_N", def)
	addr := make(chan string, 1)
	s := testenv.NewStack(t, testenv.WithEmail(registry.EmailSettings{SMTPAddr: "127.0.0.1:0",
		OnListening: func(a string) { addr <- a }}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.API.Listen(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	go s.API.Redrive(ctx, redriveInterval, redriveGrace) // as in routedesk dev: a deferred delivery is redriven
	listener := <-addr
	_, token := s.Account("Bench", "enterprise")
	b := &bench{t: t, s: s, token: token, http: &http.Client{
		Transport: &http.Transport{MaxIdleConns: emailSessions, MaxIdleConnsPerHost: emailSessions}, Timeout: time.Minute}}
	b.create("/v1/channels", map[string]any{"type": "email", "name": "Mail", "config": map[string]any{"address": "support@bench.test"}})
	chat := b.create("/v1/channels", map[string]any{"type": "chat", "name": "Chat"})

	// Warm-up of both paths, not counted.
	b.smtpRun(listener, "warm", 2*emailSessions)
	b.postRun(chat, "warm", 2*emailSessions)

	// Interleaved halves, so a slow moment of the shared machine hits both sides.
	var smtpLat, postLat []time.Duration
	var smtpWall, postWall time.Duration
	for half := range 2 {
		w, l := b.smtpRun(listener, fmt.Sprintf("s%d", half), n/2)
		smtpWall, smtpLat = smtpWall+w, append(smtpLat, l...)
		w, l = b.postRun(chat, fmt.Sprintf("p%d", half), n/2)
		postWall, postLat = postWall+w, append(postLat, l...)
	}
	smtpRate := float64(len(smtpLat)) / smtpWall.Seconds()
	postRate := float64(len(postLat)) / postWall.Seconds()
	p := func(l []time.Duration, q float64) time.Duration {
		slices.Sort(l)
		return l[min(len(l)-1, int(q*float64(len(l))))]
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\n| %d per side, %d concurrent | SMTP listener | messages endpoint | ratio (SMTP / messages) |\n|---|---|---|---|\n", n, emailSessions)
	fmt.Fprintf(&out, "| stored + workflow started, per second | %.0f | %.0f | %.2f |\n", smtpRate, postRate, smtpRate/postRate)
	fmt.Fprintf(&out, "| accept latency p50 (250 / 202) | %s | %s | %.2f |\n", p(smtpLat, .5).Round(time.Millisecond), p(postLat, .5).Round(time.Millisecond),
		float64(p(postLat, .5))/float64(p(smtpLat, .5)))
	fmt.Fprintf(&out, "| accept latency p99 | %s | %s | %.2f |\n", p(smtpLat, .99).Round(time.Millisecond), p(postLat, .99).Round(time.Millisecond),
		float64(p(postLat, .99))/float64(p(smtpLat, .99)))
	for _, size := range []int{50 << 10, 10 << 20} {
		raw := sizedMail(size)
		runs := 20
		if size > 1<<20 {
			runs = 3
		}
		start := time.Now()
		for range runs {
			if _, err := email.Parse(raw); err != nil {
				t.Fatal(err)
			}
		}
		per := time.Since(start) / time.Duration(runs)
		fmt.Fprintf(&out, "| parse a %d KB mail (text + attachment) | %s | | %.1f%% of the SMTP p50 |\n", len(raw)>>10, per.Round(10*time.Microsecond),
			100*float64(per)/float64(p(smtpLat, .5)))
	}
	t.Log(out.String())
}

// smtpRun delivers n mails over emailSessions concurrent SMTP sessions; it returns the wall time and each mail's time to 250.
func (b *bench) smtpRun(listener, prefix string, n int) (time.Duration, []time.Duration) {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	start := time.Now()
	for range emailSessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(listener)
			if err != nil {
				b.t.Errorf("dial: %v", err)
				return
			}
			defer c.Close()
			for i := range next {
				raw := fmt.Sprintf("From: Customer %s-%d <%s-%d@customer.test>\r\nTo: support@bench.test\r\nSubject: Where is my order?\r\n"+
					"Message-ID: <%s-%d@customer.test>\r\n\r\nWhere is my order?\r\n", prefix, i, prefix, i, prefix, i)
				t0 := time.Now()
				if err := c.SendMail(fmt.Sprintf("%s-%d@customer.test", prefix, i), []string{"support@bench.test"}, strings.NewReader(raw)); err != nil {
					b.t.Errorf("send mail: %v", err)
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.allDelivered()
	return time.Since(start), lat
}

// postRun posts n first messages with emailSessions concurrent requests; it returns the wall time and each POST's time to 202.
func (b *bench) postRun(ch, prefix string, n int) (time.Duration, []time.Duration) {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	start := time.Now()
	for range emailSessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				if _, err := b.postMessage(ch, fmt.Sprintf("%s-%d", prefix, i)); err != nil {
					b.t.Errorf("post: %v", err)
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.allDelivered()
	return time.Since(start), lat
}

// allDelivered waits until every stored inbound message has been delivered to its workflow (3 minutes at most).
func (b *bench) allDelivered() {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		left, err := b.s.Store.UndeliveredMessages(context.Background(), 0, 1)
		if err != nil {
			b.t.Fatal(err)
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("messages stored but not delivered to their workflow after 3 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sizedMail is a mail of about size bytes: a text part and a base64 attachment.
func sizedMail(size int) []byte {
	var buf bytes.Buffer
	buf.WriteString("From: Grace <grace@example.org>\r\nTo: support@bench.test\r\nSubject: Logs\r\nMessage-ID: <sized@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	buf.WriteString(strings.Repeat("The export fails again, see the log attached.\r\n", 20))
	buf.WriteString("--b\r\nContent-Type: application/octet-stream; name=log.bin\r\nContent-Disposition: attachment; filename=log.bin\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n")
	payload := bytes.Repeat([]byte("0123456789abcdef"), max(1, (size-buf.Len())*3/4/16))
	enc := base64.StdEncoding.EncodeToString(payload)
	for len(enc) > 76 {
		buf.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	buf.WriteString(enc + "\r\n--b--\r\n")
	return buf.Bytes()
}
