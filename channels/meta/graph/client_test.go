package graph_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewDefaults(t *testing.T) {
	c := graph.New("")
	assert.Equal(t, graph.DefaultBaseURL, c.BaseURL)
	assert.Equal(t, "v21.0", c.Version)
	require.NotNil(t, c.HTTP)
	assert.Equal(t, 20*time.Second, c.HTTP.Timeout)

	assert.Equal(t, "http://fake", graph.New("http://fake").BaseURL)
}

func TestZeroClientUsesDefaultVersion(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, messengerOK)
	c := &graph.Client{BaseURL: f.srv.URL}
	_, err := c.SendMessenger(context.Background(), testToken, graph.MessengerMessage{PSID: "1", Text: "x"})
	require.NoError(t, err)
	assert.Equal(t, "/v21.0/me/messages", f.only().Path)
}

func TestTransportErrorIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more: connection refused

	c := graph.New(url)
	_, err := c.SendMessenger(context.Background(), testToken, graph.MessengerMessage{PSID: "1", Text: "x"})
	require.Error(t, err)
	var gerr *graph.Error
	assert.False(t, errors.As(err, &gerr), "transport failures are not *graph.Error")
	assert.True(t, graph.IsRetryable(err), err)
	assert.Contains(t, err.Error(), "send messenger message")
	assert.NotContains(t, err.Error(), testToken)

	_, err = c.SendWhatsAppText(context.Background(), testToken, "1065", "1650", "x")
	require.Error(t, err)
	assert.True(t, graph.IsRetryable(err), err)
	assert.NotContains(t, err.Error(), testToken)
}

func TestHTTPTimeoutIsRetryable(t *testing.T) {
	f := newFakeGraph(t)
	f.block = make(chan struct{})
	c := f.client()
	c.HTTP = &http.Client{Timeout: 50 * time.Millisecond}

	_, err := c.SendMessenger(context.Background(), testToken, graph.MessengerMessage{PSID: "1", Text: "x"})
	require.Error(t, err)
	assert.True(t, graph.IsRetryable(err), err)
	assert.NotContains(t, err.Error(), testToken)
}

func TestContextCancellationHonoured(t *testing.T) {
	f := newFakeGraph(t)
	f.block = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(f.requests()) == 0 { // polls for the request the fake now blocks, then cancels
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()

	start := time.Now()
	_, err := f.client().SendWhatsAppText(ctx, testToken, "1065", "1650", "x")
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "send must return promptly after cancel")
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, graph.IsRetryable(err), "the caller gave up; do not retry on its behalf")
}

func TestContextDeadlineIsRetryable(t *testing.T) {
	f := newFakeGraph(t)
	f.block = make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	_, err := f.client().SendMessenger(ctx, testToken, graph.MessengerMessage{PSID: "1", Text: "x"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, graph.IsRetryable(err), "a timed-out send is a transport failure")
}

func TestAlreadyCancelledContextSendsNothing(t *testing.T) {
	f := newFakeGraph(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.client().SendMessenger(ctx, testToken, graph.MessengerMessage{PSID: "1", Text: "x"})
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, f.requests())
}

func TestTokenNeverInErrors(t *testing.T) {
	bodies := map[string]struct {
		status int
		body   string
	}{
		"graph message echoes token": {http.StatusUnauthorized,
			graphError(190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token "+testToken)},
		"non-JSON body echoes token":              {http.StatusBadGateway, "proxy error for Bearer " + testToken},
		"JSON without error echoes token":         {http.StatusBadRequest, `{"access_token":"` + testToken + `"}`},
		"success body not decodable echoes token": {http.StatusOK, "ok " + testToken},
	}
	for name, tc := range bodies {
		t.Run(name, func(t *testing.T) {
			f := newFakeGraph(t)
			f.reply(tc.status, tc.body)

			_, err := f.client().SendMessenger(context.Background(), testToken, graph.MessengerMessage{PSID: "1", Text: "x"})
			require.Error(t, err)
			assert.NotContains(t, err.Error(), testToken)
			var gerr *graph.Error
			if errors.As(err, &gerr) {
				assert.NotContains(t, gerr.Message, testToken)
				assert.NotContains(t, gerr.Type, testToken)
			}

			_, err = f.client().SendWhatsAppTemplate(context.Background(), testToken, "1065", "1650",
				graph.Template{Name: "t", Language: "en"})
			require.Error(t, err)
			assert.NotContains(t, err.Error(), testToken)
		})
	}
}
