package calling

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Request is the body of POST /v1/channels/{id}/calls.
type Request struct {
	// CallID is the provider's id of the call; the same id again updates the call.
	CallID string `json:"call_id" validate:"max=255"`
	// FromNumber and ToNumber are the caller's and the callee's numbers (national numbers are read in the line's country).
	FromNumber string `json:"from_number" validate:"max=64"`
	ToNumber   string `json:"to_number" validate:"max=64"`
	// Direction is inbound (the default) or outbound.
	Direction string `json:"direction"`
	// Status is ringing, in_progress, completed, missed or voicemail; it only moves forward.
	Status string `json:"status"`
	// StartedAt is when the call started (default: now).
	StartedAt *time.Time `json:"started_at"`
	// DurationSeconds is how long the call lasted.
	DurationSeconds int `json:"duration_seconds"`
	// RecordingURL is where the provider keeps the recording or voicemail.
	RecordingURL string `json:"recording_url" validate:"max=2048"`
	// Transcript is the call's or voicemail's transcript.
	Transcript string `json:"transcript" validate:"max=100000"`
}

// statusRank orders the statuses a call moves through; a report whose rank is not higher is out of order.
var statusRank = map[string]int{"ringing": 1, "in_progress": 2, "missed": 3, "completed": 4, "voicemail": 4}

// Ended reports whether a call in status has ended: it is then a message on the caller's conversation.
func Ended(status string) bool { return statusRank[status] >= 3 }

// Call turns a report into the call to store, its numbers in E.164 (national ones read in region); or every field error.
func (r Request) Call(region string, now time.Time) (store.Call, []domain.FieldError) {
	var errs []domain.FieldError
	fail := func(field, msg string) { errs = append(errs, domain.FieldError{Field: field, Message: msg}) }
	c := store.Call{CallID: strings.TrimSpace(r.CallID), Direction: r.Direction, Status: r.Status,
		DurationSeconds: r.DurationSeconds, RecordingURL: strings.TrimSpace(r.RecordingURL), Transcript: r.Transcript, StartedAt: now}
	if c.CallID == "" {
		fail("call_id", "is required")
	}
	if c.Direction == "" {
		c.Direction = "inbound"
	}
	if c.Direction != "inbound" && c.Direction != "outbound" {
		fail("direction", "must be one of: inbound, outbound")
	}
	c.StatusRank = statusRank[c.Status]
	if c.StatusRank == 0 {
		fail("status", "must be one of: ringing, in_progress, completed, missed, voicemail")
	}
	for _, n := range []struct {
		field, raw string
		dst        *string
		required   bool
	}{{"from_number", r.FromNumber, &c.FromNumber, true}, {"to_number", r.ToNumber, &c.ToNumber, c.Direction == "outbound"}} {
		if strings.TrimSpace(n.raw) == "" {
			if n.required {
				fail(n.field, "is required")
			}
			continue
		}
		p, err := channels.NormalizePhone(n.raw, region)
		if err != nil {
			fail(n.field, err.Error())
			continue
		}
		*n.dst = p
	}
	if r.DurationSeconds < 0 || r.DurationSeconds > 7*24*3600 {
		fail("duration_seconds", "must be from 0 to 604800")
	}
	if c.RecordingURL != "" {
		u, err := url.Parse(c.RecordingURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			fail("recording_url", "must be an http or https URL")
		}
	}
	for field, v := range map[string]string{"call_id": r.CallID, "transcript": r.Transcript, "recording_url": r.RecordingURL} {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			fail(field, "must be UTF-8 text without NUL characters")
		}
	}
	if r.StartedAt != nil {
		c.StartedAt = r.StartedAt.UTC()
	}
	return c, errs
}

// Customer is the number of the call's customer: the caller of an inbound call, the callee of an outbound one.
func Customer(c store.Call) string {
	if c.Direction == "outbound" {
		return c.ToNumber
	}
	return c.FromNumber
}

// Message is how an ended call reads on its conversation: a subject and a text.
func Message(c store.Call) (subject, text string) {
	who := Customer(c)
	switch c.Status {
	case "missed":
		subject = "Missed call from " + who
	case "voicemail":
		subject = "Voicemail from " + who
	default:
		subject = fmt.Sprintf("Call with %s (%s, %s)", who, c.Direction, time.Duration(c.DurationSeconds)*time.Second)
	}
	lines := []string{subject}
	if c.Transcript != "" {
		lines = append(lines, "", "Transcript:", c.Transcript)
	}
	if c.RecordingURL != "" {
		lines = append(lines, "", "Recording: "+c.RecordingURL)
	}
	return subject, strings.Join(lines, "\n")
}
