package server

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"

	"github.com/routedesk/routedesk/internal/httpx"
)

// ProblemListener wraps the API's listener so that the errors net/http
// answers itself, before any handler runs (a control byte in a header, a
// malformed request line or Host, an unsupported transfer encoding), go out
// as problem+json like every other error instead of net/http's text/plain.
// Serve the http.Server on it: srv.Serve(server.ProblemListener(ln)).
func ProblemListener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

// Accept wraps each connection in a problemConn.
func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return problemConn{c}, nil
}

// problemConn rewrites net/http's own error responses as they are written.
type problemConn struct{ net.Conn }

// netHTTPErrorHeaders is what net/http puts after the status line of the
// responses it writes without a handler; a handler's response always has a
// Date header and sorts Connection before Content-Type, so it never matches.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// Write passes b on, or its problem+json form when b is one of net/http's own error responses.
func (c problemConn) Write(b []byte) (int, error) {
	if out, ok := problemResponse(b); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// problemResponse turns one of net/http's plain-text error responses
// ("HTTP/1.1 400 Bad Request: invalid header value" + netHTTPErrorHeaders + text)
// into a problem+json response of the same status; ok is false for anything else.
func problemResponse(b []byte) ([]byte, bool) {
	const proto = "HTTP/1.1 "
	end := bytes.Index(b, []byte("\r\n"))
	if !bytes.HasPrefix(b, []byte(proto)) || end < len(proto)+3 || !bytes.HasPrefix(b[end:], []byte(netHTTPErrorHeaders)) {
		return nil, false
	}
	status, err := strconv.Atoi(string(b[len(proto) : len(proto)+3]))
	if err != nil || status < 400 || status > 599 {
		return nil, false
	}
	detail := string(b[end+len(netHTTPErrorHeaders):])
	switch {
	case detail == "400 Bad Request":
		detail = "the request line or a header is malformed (a control character, an invalid name or value)"
	case status == http.StatusRequestHeaderFieldsTooLarge:
		detail = "the request line and headers are too large"
	default:
		if _, text, ok := bytes.Cut(b[len(proto)+3:end], []byte(": ")); ok {
			detail = string(text)
		}
	}
	body, err := json.Marshal(httpx.Problem{Type: httpx.ProblemType(status), Title: http.StatusText(status), Status: status, Detail: detail})
	if err != nil {
		return nil, false
	}
	var out bytes.Buffer
	out.WriteString(proto + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n")
	out.WriteString("Content-Type: " + httpx.ProblemContentType + "\r\nConnection: close\r\n")
	out.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	out.Write(body)
	return out.Bytes(), true
}
