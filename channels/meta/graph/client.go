// Package graph is a small Meta Graph API client for sending Messenger and WhatsApp messages.
package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultBaseURL is the production Graph API endpoint.
const DefaultBaseURL = "https://graph.facebook.com"

// DefaultVersion is the Graph API version used when Client.Version is empty.
const DefaultVersion = "v21.0"

// DefaultTimeout is the HTTP timeout of the client built by New.
const DefaultTimeout = 20 * time.Second

// maxResponseBytes caps how much of a Graph response body is read.
const maxResponseBytes = 1 << 20

// ErrInvalidMessage is wrapped by every validation error returned before a request is sent.
var ErrInvalidMessage = errors.New("graph: invalid message")

// Client sends messages through the Graph API; its zero value uses the production defaults.
type Client struct {
	// BaseURL is the Graph API root, e.g. "https://graph.facebook.com" (ROUTEDESK_GRAPH_API_URL).
	BaseURL string
	// Version is the Graph API version path segment; empty means DefaultVersion.
	Version string
	// HTTP is the HTTP client used for requests; nil means one with DefaultTimeout.
	HTTP *http.Client
}

// New returns a Client for baseURL (DefaultBaseURL when empty) with DefaultVersion and a 20 s timeout.
func New(baseURL string) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	return &Client{
		BaseURL: baseURL,
		Version: DefaultVersion,
		HTTP:    &http.Client{Timeout: DefaultTimeout},
	}
}

// defaultHTTP is used by a Client whose HTTP field is nil.
var defaultHTTP = &http.Client{Timeout: DefaultTimeout}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

func (c *Client) endpoint(path string) string {
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	version := c.Version
	if version == "" {
		version = DefaultVersion
	}
	return strings.TrimRight(base, "/") + "/" + strings.Trim(version, "/") + "/" + strings.TrimLeft(path, "/")
}

// transportError marks a failure to talk to Graph at all (dial, TLS, timeout, broken body); it is retryable.
type transportError struct {
	op  string
	err error
}

func (e *transportError) Error() string { return "graph: " + e.op + ": " + e.err.Error() }

func (e *transportError) Unwrap() error { return e.err }

// IsRetryable reports whether err (a *Error or a transport failure) is worth retrying later.
// Validation errors, undecodable success responses and caller cancellation are not retryable.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var gerr *Error
	if errors.As(err, &gerr) {
		return gerr.Retryable()
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var terr *transportError
	return errors.As(err, &terr)
}

// post sends body as JSON to path with token as a Bearer credential and decodes a 2xx answer into out.
func (c *Client) post(ctx context.Context, op, path, token string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("graph: %s: encode request: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(path), bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("graph: %s: build request: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, op, token, out)
}

// do sends req with token as a Bearer credential and decodes a 2xx answer into out.
func (c *Client) do(req *http.Request, op, token string, out any) error {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)

	resp, err := c.httpClient().Do(req)
	if err != nil {
		return &transportError{op: op, err: redactErr(err, token)}
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return &transportError{op: op + ": read response", err: redactErr(err, token)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return parseError(resp.StatusCode, raw, token)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("graph: %s: decode response (HTTP %d, body %q): %w",
			op, resp.StatusCode, excerpt(raw, token), err)
	}
	return nil
}

// redactErr returns err unchanged unless its text contains token, in which case the text is redacted.
func redactErr(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return &redactedError{msg: redact(err.Error(), token), err: err}
}

// redactedError keeps the wrapped chain (for errors.Is) while hiding the token from its text.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Unwrap() error { return e.err }

func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "[REDACTED]")
}
