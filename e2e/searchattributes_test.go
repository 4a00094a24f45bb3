package e2e

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/devtemporal"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestServerAloneRegistersSearchAttributes: on a fresh Temporal cluster
// without routedesk's search attributes, a `routedesk server` with no worker
// running registers them itself, so its deliveries start workflows.
func TestServerAloneRegistersSearchAttributes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	srv, err := devtemporal.Start(context.Background(), devtemporal.Options{UIPort: -1}) // no search attributes
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace()})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	db := testenv.DatabaseURL(t)
	startProc(t, "migrate", processEnv("DATABASE_URL="+db, "TEMPORAL_ADDRESS="), "migrate").wait(60 * time.Second)
	port := freePort(t)
	s := &apiProc{base: "http://127.0.0.1:" + strconv.Itoa(port)}
	s.proc = startProc(t, "server", processEnv("DATABASE_URL="+db, "TEMPORAL_ADDRESS="+srv.FrontendAddress(),
		"ROUTEDESK_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port)), "server")
	s.waitReady(s.base, 60*time.Second)

	have, err := c.OperatorService().ListSearchAttributes(context.Background(), &operatorservice.ListSearchAttributesRequest{Namespace: srv.Namespace()})
	require.NoError(t, err)
	require.Contains(t, have.GetCustomAttributes(), "ChannelType", "the server registered the search attributes")

	r := mustCall(t, http.MethodPost, s.base, "/v1/accounts", testenv.BootstrapToken, map[string]string{"name": "Alone", "tier": "starter"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	token := r.Map(t)["admin_token"].(string)
	ch := chatChannel(t, s.base, token, nil)
	r, err = postMessage(s.base, token, ch, "alone-1", "alone-thread")
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	wf := r.Map(t)["workflow_id"].(string)
	eventually(t, 20*time.Second, "the workflow to be started by the server alone", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := c.DescribeWorkflowExecution(ctx, wf, "")
		return err == nil
	})
}
