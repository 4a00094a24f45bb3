package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/workflows"
)

// searchAttributeAttempts bounds EnsureSearchAttributes; processes starting
// together may race to add the same attributes, which the next attempt sees as done.
const searchAttributeAttempts = 4

// EnsureSearchAttributes registers routedesk's custom search attributes on the
// namespace when they are missing (a self-hosted cluster); an attribute that
// exists already counts as success, so every process may call it at start.
// Each call to Temporal is bounded; failures are retried a few times with backoff.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	var err error
	backoff := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if err = ensureOnce(ctx, c, namespace); err == nil || attempt == searchAttributeAttempts {
			return err
		}
		var denied *serviceerror.PermissionDenied
		if errors.As(err, &denied) {
			return err // Temporal Cloud: attributes are added through its console or tcld
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (%w)", err, ctx.Err())
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

func ensureOnce(ctx context.Context, c client.Client, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range workflows.SearchAttributes() {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}
