package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const whatsAppOK = `{"messaging_product":"whatsapp","contacts":[{"input":"+16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}]}`

func TestSendWhatsAppText(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, whatsAppOK)

	id, err := f.client().SendWhatsAppText(context.Background(), testToken, "106540352242922", "+16505551234", "Your ticket is resolved.")
	require.NoError(t, err)
	assert.Equal(t, "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", id)

	req := f.only()
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "/v21.0/106540352242922/messages", req.Path)
	assert.Equal(t, "Bearer "+testToken, req.Header.Get("Authorization"))
	assert.Empty(t, req.RawQuery)
	assert.Equal(t, decode(t, `{
		"messaging_product": "whatsapp",
		"recipient_type": "individual",
		"to": "+16505551234",
		"type": "text",
		"text": {"body": "Your ticket is resolved."}
	}`), req.Body)
}

func TestSendWhatsAppTemplate(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, whatsAppOK)

	tpl := graph.Template{
		Name:     "ticket_update",
		Language: "en_US",
		Components: []json.RawMessage{
			json.RawMessage(`{"type":"body","parameters":[{"type":"text","text":"#4711"}]}`),
		},
	}
	id, err := f.client().SendWhatsAppTemplate(context.Background(), testToken, "106540352242922", "16505551234", tpl)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(id, "wamid."))

	req := f.only()
	assert.Equal(t, "/v21.0/106540352242922/messages", req.Path)
	assert.Equal(t, decode(t, `{
		"messaging_product": "whatsapp",
		"recipient_type": "individual",
		"to": "16505551234",
		"type": "template",
		"template": {
			"name": "ticket_update",
			"language": {"code": "en_US"},
			"components": [{"type":"body","parameters":[{"type":"text","text":"#4711"}]}]
		}
	}`), req.Body)
}

func TestSendWhatsAppTemplateWithoutComponents(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, whatsAppOK)

	_, err := f.client().SendWhatsAppTemplate(context.Background(), testToken, "1065", "1650",
		graph.Template{Name: "hello_world", Language: "en_US"})
	require.NoError(t, err)
	assert.Equal(t, decode(t, `{"name":"hello_world","language":{"code":"en_US"}}`), f.only().Body["template"])
}

func TestSendWhatsAppValidation(t *testing.T) {
	ctx := context.Background()
	cases := map[string]func(c *graph.Client) error{
		"empty token": func(c *graph.Client) error {
			_, err := c.SendWhatsAppText(ctx, "", "1065", "1650", "x")
			return err
		},
		"empty phone number id": func(c *graph.Client) error {
			_, err := c.SendWhatsAppText(ctx, testToken, "", "1650", "x")
			return err
		},
		"empty to": func(c *graph.Client) error {
			_, err := c.SendWhatsAppText(ctx, testToken, "1065", "", "x")
			return err
		},
		"empty text": func(c *graph.Client) error {
			_, err := c.SendWhatsAppText(ctx, testToken, "1065", "1650", "")
			return err
		},
		"text too long": func(c *graph.Client) error {
			_, err := c.SendWhatsAppText(ctx, testToken, "1065", "1650", strings.Repeat("a", graph.MaxWhatsAppTextLen+1))
			return err
		},
		"template without name": func(c *graph.Client) error {
			_, err := c.SendWhatsAppTemplate(ctx, testToken, "1065", "1650", graph.Template{Language: "en_US"})
			return err
		},
		"template without language": func(c *graph.Client) error {
			_, err := c.SendWhatsAppTemplate(ctx, testToken, "1065", "1650", graph.Template{Name: "t"})
			return err
		},
		"template with invalid component": func(c *graph.Client) error {
			_, err := c.SendWhatsAppTemplate(ctx, testToken, "1065", "1650",
				graph.Template{Name: "t", Language: "en", Components: []json.RawMessage{json.RawMessage(`{`)}})
			return err
		},
	}
	for name, send := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeGraph(t)
			err := send(f.client())
			require.ErrorIs(t, err, graph.ErrInvalidMessage)
			assert.False(t, graph.IsRetryable(err))
			assert.Empty(t, f.requests())
		})
	}
}

func TestSendWhatsAppNoMessages(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, `{"messaging_product":"whatsapp","messages":[]}`)
	_, err := f.client().SendWhatsAppText(context.Background(), testToken, "1065", "1650", "x")
	require.Error(t, err)
	assert.False(t, graph.IsRetryable(err))
}
