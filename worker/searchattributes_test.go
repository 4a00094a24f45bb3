package worker_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/devtemporal"
	"github.com/routedesk/routedesk/worker"
	"github.com/routedesk/routedesk/workflows"
)

// Several processes starting together on a fresh cluster each register the
// search attributes; all succeed and the attributes exist once.
func TestEnsureSearchAttributesConcurrentAndIdempotent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded Temporal server")
	}
	ctx := context.Background()
	srv, err := devtemporal.Start(ctx, devtemporal.Options{UIPort: -1}) // no search attributes yet
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace()})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = worker.EnsureSearchAttributes(ctx, c, srv.Namespace())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "caller %d", i)
	}
	require.NoError(t, worker.EnsureSearchAttributes(ctx, c, srv.Namespace()), "again: nothing to do")

	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: srv.Namespace()})
	require.NoError(t, err)
	for name, typ := range workflows.SearchAttributes() {
		require.Equal(t, typ, have.GetCustomAttributes()[name], name)
	}
}
