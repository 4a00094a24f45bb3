package httpx

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/gin-gonic/gin"
)

// ErrUnsupportedMediaType is a JSON route's answer to a body that is declared as something else (415).
var ErrUnsupportedMediaType = errors.New("unsupported media type")

// ErrRequestTimeout means the client did not send its body within the server's read timeout (408).
var ErrRequestTimeout = errors.New("the request body did not arrive in time")

// ErrBodyCut means the client stopped sending before the body was complete (400).
var ErrBodyCut = errors.New("the request body ended before its declared length")

// BodyReadError classifies a failure to read the request body.
func BodyReadError(err error) error {
	var tooLarge *http.MaxBytesError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &tooLarge):
		return tooLarge
	case errors.Is(err, ErrRequestTimeout), errors.Is(err, ErrBodyCut):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		return fmt.Errorf("read body: %w", ErrRequestTimeout)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("read body: %w", ErrBodyCut)
	}
	return fmt.Errorf("read body: %w", err)
}

// ClassifyBody wraps the request's body so its read errors say whose fault they are (see BodyFault).
func ClassifyBody(c *gin.Context) {
	if c.Request.Body == nil || c.Request.Body == http.NoBody {
		return
	}
	body := &classifiedBody{ReadCloser: c.Request.Body}
	c.Set(bodyKey, body)
	c.Request.Body = body
}

// classifiedBody is a request body whose read errors say whose fault they are:
// a read past the server's read timeout is ErrRequestTimeout (408) and a body
// cut short is ErrBodyCut (400), whichever handler or channel reads it, so
// no stalled upload is mistaken for an unavailable dependency (503).
type classifiedBody struct {
	io.ReadCloser
	err error // the first classified read error
}

// bodyKey is where ClassifyBody keeps the request's *classifiedBody in the gin context.
const bodyKey = "routedesk.body"

// BodyFault returns the timeout or cut the request's body met, if any: net/http
// cancels the request's context then, so later work fails with context.Canceled.
func BodyFault(c *gin.Context) error {
	if v, ok := c.Get(bodyKey); ok {
		if b := v.(*classifiedBody); errors.Is(b.err, ErrRequestTimeout) || errors.Is(b.err, ErrBodyCut) {
			return b.err
		}
	}
	return nil
}

// Read reads from the body, classifying its errors (io.EOF passes as is).
func (b *classifiedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == nil || err == io.EOF {
		return n, err
	}
	defer func() {
		if b.err == nil {
			b.err = err
		}
	}()
	var tooLarge *http.MaxBytesError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &tooLarge):
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		err = fmt.Errorf("%w: %w", ErrRequestTimeout, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("%w (%v)", ErrBodyCut, err) // not io.ErrUnexpectedEOF: readers take that for a short final chunk
	}
	return n, err
}

// Bearer is the request's bearer token (the scheme matched case-insensitively), if it has one.
func Bearer(c *gin.Context) (string, bool) {
	h := c.GetHeader("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}
