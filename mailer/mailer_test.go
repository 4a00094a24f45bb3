package mailer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/mailer"
)

func TestParseRejectsBadURLs(t *testing.T) {
	for _, bad := range []string{"http://host", "smtp://", "smtp://host?tls=maybe", "::"} {
		_, err := mailer.Parse(bad, "a@b.c")
		require.Error(t, err, bad)
	}
	_, err := mailer.Parse("smtp://host", "")
	require.Error(t, err)
	_, err = mailer.Parse("smtps://user:pw@host:465", "a@b.c")
	require.NoError(t, err)
}

func TestSendDeliversToTheServer(t *testing.T) {
	sink := testenv.NewMailSink(t)
	m, err := mailer.Parse("smtp://"+sink.Addr+"?tls=none", "routedesk@example.com")
	require.NoError(t, err)
	require.NoError(t, m.Send(context.Background(), "agent@example.com", "New ticket", "Body text"))
	got := sink.Received()
	require.Len(t, got, 1)
	require.Equal(t, "routedesk@example.com", got[0].From)
	require.Equal(t, []string{"agent@example.com"}, got[0].To)
	require.True(t, strings.Contains(got[0].Data, "Subject: New ticket"), got[0].Data)
	require.Contains(t, got[0].Data, "Body text")

	// STARTTLS is required by default: a server without it is refused.
	strict, err := mailer.Parse("smtp://"+sink.Addr, "routedesk@example.com")
	require.NoError(t, err)
	require.Error(t, strict.Send(context.Background(), "agent@example.com", "x", "y"))
}
