package main

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// runLine runs the command line and returns the one line main would print, and what went to stdout and stderr.
func runLine(t *testing.T, args ...string) (line, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(args, &out, &errOut)
	if err != nil {
		line = oneLine(err)
	}
	return line, out.String(), errOut.String()
}

func TestUnknownFlagIsOneLine(t *testing.T) {
	line, stdout, stderr := runLine(t, "dev", "-bogus")
	require.Contains(t, line, "flag provided but not defined: -bogus")
	require.Contains(t, line, "see routedesk")
	require.NotContains(t, line, "\n")
	require.Empty(t, stdout)
	require.Empty(t, stderr, "no flag list on a mistake")

	line, _, stderr = runLine(t, "serve")
	require.Equal(t, `unknown command "serve" (see routedesk -h)`, line)
	require.Empty(t, stderr)

	line, stdout, _ = runLine(t, "worker", "-h")
	require.Empty(t, line)
	require.Contains(t, stdout, "-database-url", "-h still lists the flags")
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		line, stdout, _ := runLine(t, arg)
		require.Empty(t, line)
		require.Regexp(t, `^routedesk \S+ .*go1\.\d+`, stdout)
	}
	version = "v9.8.7"
	defer func() { version = "" }()
	_, stdout, _ := runLine(t, "version")
	require.True(t, strings.HasPrefix(stdout, "routedesk v9.8.7 "), stdout)
}

func TestDatabaseURLMustBePostgres(t *testing.T) {
	for _, u := range []string{"mysql://root:hunter2@db/routedesk", "host=db user=x password=hunter2", "routedesk.db"} {
		line, _, _ := runLine(t, "migrate", "-database-url", u)
		require.Contains(t, line, "DATABASE_URL must be a PostgreSQL URL such as postgres://", u)
		require.NotContains(t, line, "hunter2", "the value is never echoed")
		require.NotContains(t, line, "unreachable")
	}
}

func TestMissingRoleSaysSo(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	u := testenv.BaseURL()
	host := u[strings.Index(u, "@")+1:]
	host = host[:strings.Index(host, "/")]
	line, _, _ := runLine(t, "migrate", "-database-url", fmt.Sprintf("postgres://no_such_role_9x@%s/shopdesk?sslmode=disable", host))
	require.Contains(t, line, `role "no_such_role_9x" does not exist`)
	require.Contains(t, line, "/shopdesk", "names the URL's database")
	require.Contains(t, line, "createuser")
	require.NotContains(t, line, "unreachable")
	require.NotContains(t, line, "start PostgreSQL")
}

func TestPortClashNamesTheSetting(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	free := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	base := []string{"dev", "-data-dir", t.TempDir(), "-temporal-address", "", "-database-url", "postgres://127.0.0.1:1/x"}
	cases := map[string][]string{
		"ROUTEDESK_HTTP_ADDR":         {"-http-addr", fmt.Sprintf("127.0.0.1:%d", port)},
		"ROUTEDESK_DEV_TEMPORAL_PORT": {"-http-addr", "127.0.0.1:0", "-dev-temporal-port", fmt.Sprint(port)},
		"ROUTEDESK_DEV_UI_PORT":       {"-http-addr", "127.0.0.1:0", "-dev-temporal-port", fmt.Sprint(free()), "-dev-ui-port", fmt.Sprint(port)},
		"ROUTEDESK_SMTP_ADDR": {"-http-addr", "127.0.0.1:0", "-dev-temporal-port", fmt.Sprint(free()), "-dev-ui-port", fmt.Sprint(free()),
			"-smtp-addr", fmt.Sprintf("127.0.0.1:%d", port)},
	}
	for env, args := range cases {
		line, _, _ := runLine(t, append(append([]string{}, base...), args...)...)
		require.Contains(t, line, fmt.Sprintf("127.0.0.1:%d is already in use", port), env)
		require.Contains(t, line, "set "+env, env)
	}
}
