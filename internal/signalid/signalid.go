// Package signalid gives a Temporal signal a request id derived from a stable
// key, so that a signal retried after an answer was lost (a timeout, a
// restart) is applied once: Temporal keeps the request ids of the signals a
// run has received and drops a repeat.
package signalid

import (
	"context"

	"github.com/google/uuid"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
)

// namespace scopes the derived ids (UUIDv5) to routedesk's signals.
var namespace = uuid.MustParse("8f0f3c52-58c4-4d7e-a0c2-5a3f1f1f7a61")

type keyType struct{}

// With returns a context whose signal-with-start or signal carries the request id derived from key.
func With(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, keyType{}, key)
}

// RequestID is the request id derived from key.
func RequestID(key string) string {
	return uuid.NewSHA1(namespace, []byte(key)).String()
}

// DialOption installs the interceptor that sets the derived request ids on a Temporal client's connection.
func DialOption() grpc.DialOption {
	return grpc.WithChainUnaryInterceptor(intercept)
}

// intercept replaces the SDK's random request id of a signal by the one derived from the context's key.
func intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if key, ok := ctx.Value(keyType{}).(string); ok && key != "" {
		switch r := req.(type) {
		case *workflowservice.SignalWithStartWorkflowExecutionRequest:
			r.RequestId = RequestID(key)
		case *workflowservice.SignalWorkflowExecutionRequest:
			r.RequestId = RequestID(key)
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}
