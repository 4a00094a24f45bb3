package registry_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

// echoConfig is the test-only channel's configuration.
type echoConfig struct {
	// Token authenticates the app posting to the channel's inbound route.
	Token string `json:"token" secret:"true" validate:"required,max=64,no_space"`
	// Prefix is put before every reply.
	Prefix string `json:"prefix,omitempty" validate:"max=20,single_line"`
}

func (*echoConfig) Type() channels.Type        { return "echo" }
func (*echoConfig) ApplyDefaults()             {}
func (*echoConfig) Check() []domain.FieldError { return nil }

// echoMessage is what the echo app posts.
type echoMessage struct {
	ID   string `json:"id"`
	User string `json:"user"`
	Text string `json:"text"`
}

// echo is a channel that exists only in this test: an inbound route and a sender that records replies.
type echo struct {
	mu   sync.Mutex
	sent []channels.Reply
}

func (*echo) Type() channels.Type        { return "echo" }
func (*echo) NewConfig() channels.Config { return &echoConfig{} }
func (*echo) TierRequired() string       { return "" }
func (*echo) Traits() traits.Traits      { return traits.Traits{} }

// Routes registers POST /v1/channels/:id/echo, authenticated by the channel's token.
func (e *echo) Routes(r channels.Router, h channels.Host) {
	r.Handle(channels.Route{Method: http.MethodPost, Path: "/v1/channels/:id/echo", Auth: channels.AuthAdmin, Tag: "inbound",
		Summary: "Echo app messages (test only)", Request: echoMessage{}, Status: http.StatusAccepted,
		Handler: func(c *gin.Context) {
			ctx := c.Request.Context()
			ch, err := h.Store().Channel(ctx, h.AccountID(c), c.Param("id"))
			if err != nil {
				h.Fail(c, err)
				return
			}
			cfg, err := h.Config(ctx, ch)
			if err != nil {
				h.Fail(c, err)
				return
			}
			if ec, ok := cfg.(*echoConfig); !ok || c.GetHeader("X-Echo-Token") != ec.Token {
				h.Problem(c, http.StatusUnauthorized, "X-Echo-Token does not match the channel's token")
				return
			}
			var m echoMessage
			if err := c.ShouldBindJSON(&m); err != nil || m.ID == "" || m.User == "" {
				h.Problem(c, http.StatusBadRequest, "id, user and text are required")
				return
			}
			acc, err := h.Accept(ctx, ch, store.Inbound{ThreadKey: "echo:" + m.User, ExternalID: m.ID,
				Author: domain.Author{ExternalUserID: m.User, Name: m.User}, Text: m.Text})
			if err != nil {
				h.Fail(c, err)
				return
			}
			c.JSON(http.StatusAccepted, gin.H{"message_id": acc.MessageID, "duplicate": acc.Duplicate})
		}})
}

// Send records the reply; a reply saying "refuse" is refused for good.
func (e *echo) Send(_ context.Context, r channels.Reply) (channels.Sent, error) {
	if strings.Contains(r.Text, "refuse") {
		return channels.Sent{}, channels.Reject("the echo app refused the reply", nil)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sent = append(e.sent, r)
	return channels.Sent{ProviderID: "echo-" + r.MessageID}, nil
}

func (e *echo) replies() []channels.Reply {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]channels.Reply(nil), e.sent...)
}

// TestTestOnlyChannelEndToEnd registers a channel no other package knows,
// connects it, drives a message in through its own route to a ticket, and an
// agent's reply out through its sender.
func TestTestOnlyChannelEndToEnd(t *testing.T) {
	e := &echo{}
	s := testenv.NewStack(t, testenv.WithChannels(e))
	_, token := s.Account("Acme", "starter")

	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "echo", "name": "Echo",
		"config": map[string]any{"token": "s3cret", "prefix": "> ", "colour": "red"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), "config.colour")

	r = s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "echo", "name": "Echo",
		"config": map[string]any{"token": "s3cret", "prefix": "> "}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch := r.Map(t)
	require.Equal(t, map[string]any{"token": "***", "prefix": "> "}, ch["config"], "secrets are redacted")
	id := ch["id"].(string)

	post := func(tok, extID string) testenv.Response {
		body := strings.NewReader(`{"id":"` + extID + `","user":"u-1","text":"hello from echo"}`)
		req, err := http.NewRequest(http.MethodPost, s.HTTP.URL+"/v1/channels/"+id+"/echo", body)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Echo-Token", tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		return testenv.Response{Status: resp.StatusCode}
	}
	require.Equal(t, http.StatusUnauthorized, post("wrong", "m-1").Status)
	require.Equal(t, http.StatusAccepted, post("s3cret", "m-1").Status)

	var ticket map[string]any
	testenv.Eventually(t, 20*time.Second, "a ticket from the echo message", func() bool {
		items := s.Do(http.MethodGet, "/v1/tickets?channel_id="+id, token, nil).Map(t)["items"].([]any)
		if len(items) == 1 {
			ticket = items[0].(map[string]any)
		}
		return ticket != nil
	})

	r = s.Do(http.MethodPost, "/v1/tickets/"+ticket["id"].(string)+"/replies", token, map[string]any{"text": "hi back"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, "sent", r.Map(t)["status"])
	sent := e.replies()
	require.Len(t, sent, 1)
	require.Equal(t, "hi back", sent[0].Text)
	require.Equal(t, "u-1", sent[0].Customer.ExternalUserID, "the sender learns who the conversation is with")
	require.Equal(t, "s3cret", sent[0].Config.(*echoConfig).Token, "the sender gets the unsealed config")

	require.Equal(t, r.Map(t)["message_id"], sent[0].MessageID, "the sender is given the stored reply's id")

	// A refusal by the channel's sender marks the reply failed.
	r = s.Do(http.MethodPost, "/v1/tickets/"+ticket["id"].(string)+"/replies", token, map[string]any{"text": "please refuse this"})
	require.NotEqual(t, "sent", r.Map(t)["status"], string(r.Body))
	testenv.Eventually(t, 20*time.Second, "the refused reply to be failed", func() bool {
		msgs := s.Do(http.MethodGet, "/v1/tickets/"+ticket["id"].(string)+"/messages", token, nil).Map(t)["items"].([]any)
		for _, m := range msgs {
			if m := m.(map[string]any); m["text"] == "please refuse this" {
				return m["status"] == "failed"
			}
		}
		return false
	})
	require.Len(t, e.replies(), 1)
}
