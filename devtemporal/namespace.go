package devtemporal

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/schema/sqlite"
)

// readyTimeout bounds how long Start waits for the frontend to answer.
const readyTimeout = 30 * time.Second

// createNamespace registers the namespace with its search attributes directly
// in the database; an existing namespace is left as it is.
func createNamespace(cfg *config.SQL, cluster, namespace string, attrs map[string]enumspb.IndexedValueType) error {
	ns, err := sqlite.NewNamespaceConfig(cluster, namespace, false, attrs)
	if err != nil {
		return fmt.Errorf("namespace %s config: %w", namespace, err)
	}
	if err := sqlite.CreateNamespaces(cfg, ns); err != nil {
		return fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	return nil
}

// dialReady connects to the frontend, retrying until the namespace can be
// described or the deadline (readyTimeout, or ctx's if sooner) passes.
func dialReady(ctx context.Context, opts client.Options) (client.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var lastErr error
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: opts.Namespace})
			if err == nil {
				return c, nil
			}
			c.Close()
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for frontend %s: %w (last error: %v)", opts.HostPort, ctx.Err(), lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ensureSearchAttributes adds the custom search attributes the namespace lacks,
// so a database created by an older version gains new ones on restart; it
// reports whether it added any.
func ensureSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]enumspb.IndexedValueType) (bool, error) {
	if len(want) == 0 {
		return false, nil
	}
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return false, fmt.Errorf("list search attributes of %s: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	var mismatched []string
	for name, typ := range want {
		got, ok := have.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case got != typ:
			mismatched = append(mismatched, fmt.Sprintf("%s is %s, want %s", name, got, typ))
		}
	}
	if len(mismatched) > 0 {
		sort.Strings(mismatched)
		return false, fmt.Errorf("search attributes of %s have other types: %s", namespace, strings.Join(mismatched, "; "))
	}
	if len(missing) == 0 {
		return false, nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return false, fmt.Errorf("add search attributes to %s: %w", namespace, err)
	}
	return true, nil
}
