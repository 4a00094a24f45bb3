package graph_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const messengerOK = `{"recipient_id":"1254477777772919","message_id":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"}`

func TestSendMessengerResponse(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, messengerOK)

	id, err := f.client().SendMessenger(context.Background(), testToken, graph.MessengerMessage{
		PSID:          "1254477777772919",
		Text:          "Hi, how can we help?",
		MessagingType: graph.MessagingTypeResponse,
	})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(id, "m_AG5Hz2Uq"), id)

	req := f.only()
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "/v21.0/me/messages", req.Path)
	assert.Equal(t, "Bearer "+testToken, req.Header.Get("Authorization"))
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	assert.Empty(t, req.RawQuery, "token must not travel in the URL")
	assert.Equal(t, decode(t, `{
		"recipient": {"id": "1254477777772919"},
		"messaging_type": "RESPONSE",
		"message": {"text": "Hi, how can we help?"}
	}`), req.Body)
	assert.NotContains(t, string(req.RawBody), testToken)
}

func TestSendMessengerDefaultsToResponse(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, messengerOK)

	_, err := f.client().SendMessenger(context.Background(), testToken, graph.MessengerMessage{PSID: "1", Text: "x"})
	require.NoError(t, err)
	assert.Equal(t, "RESPONSE", f.only().Body["messaging_type"])
	assert.NotContains(t, f.only().Body, "tag")
}

func TestSendMessengerHumanAgentTag(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, messengerOK)

	_, err := f.client().SendMessenger(context.Background(), testToken, graph.MessengerMessage{
		PSID:          "1254477777772919",
		Text:          "Following up on your ticket.",
		MessagingType: graph.MessagingTypeMessageTag,
		Tag:           graph.TagHumanAgent,
	})
	require.NoError(t, err)
	assert.Equal(t, decode(t, `{
		"recipient": {"id": "1254477777772919"},
		"messaging_type": "MESSAGE_TAG",
		"tag": "HUMAN_AGENT",
		"message": {"text": "Following up on your ticket."}
	}`), f.only().Body)
}

func TestSendMessengerCustomVersionAndBaseURL(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, messengerOK)
	c := &graph.Client{BaseURL: f.srv.URL + "/", Version: "v19.0"}

	_, err := c.SendMessenger(context.Background(), testToken, graph.MessengerMessage{PSID: "1", Text: "x"})
	require.NoError(t, err)
	assert.Equal(t, "/v19.0/me/messages", f.only().Path)
}

func TestSendMessengerValidation(t *testing.T) {
	long := strings.Repeat("é", graph.MaxMessengerTextLen+1)
	cases := map[string]graph.MessengerMessage{
		"empty psid":        {Text: "x"},
		"empty text":        {PSID: "1"},
		"too long":          {PSID: "1", Text: long},
		"tag missing":       {PSID: "1", Text: "x", MessagingType: graph.MessagingTypeMessageTag},
		"tag with response": {PSID: "1", Text: "x", MessagingType: graph.MessagingTypeResponse, Tag: graph.TagHumanAgent},
		"tag with update":   {PSID: "1", Text: "x", MessagingType: graph.MessagingTypeUpdate, Tag: graph.TagHumanAgent},
		"unknown type":      {PSID: "1", Text: "x", MessagingType: "BROADCAST"},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeGraph(t)
			_, err := f.client().SendMessenger(context.Background(), testToken, m)
			require.Error(t, err)
			assert.True(t, errors.Is(err, graph.ErrInvalidMessage), err)
			assert.False(t, graph.IsRetryable(err))
			assert.NotContains(t, err.Error(), testToken)
			assert.Empty(t, f.requests(), "invalid messages must not reach Graph")
		})
	}

	t.Run("exactly 2000 multibyte characters is allowed", func(t *testing.T) {
		f := newFakeGraph(t)
		f.reply(http.StatusOK, messengerOK)
		_, err := f.client().SendMessenger(context.Background(), testToken,
			graph.MessengerMessage{PSID: "1", Text: strings.Repeat("é", graph.MaxMessengerTextLen)})
		require.NoError(t, err)
	})

	t.Run("empty token", func(t *testing.T) {
		f := newFakeGraph(t)
		_, err := f.client().SendMessenger(context.Background(), "", graph.MessengerMessage{PSID: "1", Text: "x"})
		require.ErrorIs(t, err, graph.ErrInvalidMessage)
		assert.Empty(t, f.requests())
	})
}

func TestSendMessengerMissingMessageID(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, `{"recipient_id":"1"}`)
	_, err := f.client().SendMessenger(context.Background(), testToken, graph.MessengerMessage{PSID: "1", Text: "x"})
	require.Error(t, err)
	assert.False(t, graph.IsRetryable(err), "a 200 may have delivered the message; retrying risks a duplicate")
}
