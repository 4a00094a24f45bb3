package payloadcodec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/routedesk/routedesk/domain"
)

// ErrNotJSON refuses a codec request whose body is not declared application/json: a browser
// sends such a body (text/plain) cross-origin without asking, JSON only after a CORS preflight.
var ErrNotJSON = errors.New("the codec endpoint takes application/json bodies only")

// HTTPHandler serves a codec as Temporal's remote codec endpoint (POST …/encode, POST …/decode):
// the SDK's handler behind a strict check of the body. Authentication and CORS are the caller's.
type HTTPHandler struct {
	sdk  http.Handler
	fail func(w http.ResponseWriter, r *http.Request, err error)
}

// NewHTTPHandler returns the codec endpoint of codec; fail answers every refusal (ErrNotJSON,
// a *domain.ValidationError naming "payloads").
func NewHTTPHandler(codec converter.PayloadCodec, fail func(w http.ResponseWriter, r *http.Request, err error)) *HTTPHandler {
	return &HTTPHandler{sdk: converter.NewPayloadCodecHTTPHandler(codec), fail: fail}
}

// ServeHTTP checks the body, runs the SDK's handler and answers its refusals as field errors.
func (h *HTTPHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		h.fail(w, r, ErrNotJSON)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.fail(w, r, fmt.Errorf("read the codec request: %w", err))
		return
	}
	if err := checkPayloads(body); err != nil {
		h.fail(w, r, err)
		return
	}
	in := r.Clone(r.Context())
	in.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	h.sdk.ServeHTTP(rec, in)
	if rec.Code != http.StatusOK {
		h.fail(w, r, domain.Invalid("payloads", "the payloads cannot be "+action(r)+": "+strings.TrimSpace(rec.Body.String())))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(rec.Body.Bytes())
}

// checkPayloads accepts exactly one JSON object {"payloads": [...]} of Temporal payloads in protobuf JSON.
func checkPayloads(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return domain.Invalid("payloads", "the body is not a JSON object of Temporal payloads: "+err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return domain.Invalid("payloads", "the body holds something after its JSON object")
	}
	for k := range top {
		if k != "payloads" {
			return domain.Invalid("payloads", fmt.Sprintf("unknown field %q: the body is {\"payloads\": [...]}", k))
		}
	}
	raw, ok := top["payloads"]
	if !ok || len(raw) == 0 || raw[0] != '[' {
		return domain.Invalid("payloads", "payloads is required: an array of Temporal payloads")
	}
	if err := protojson.Unmarshal(body, &commonpb.Payloads{}); err != nil {
		return domain.Invalid("payloads", "the payloads are not Temporal payloads in protobuf JSON: "+err.Error())
	}
	return nil
}

func action(r *http.Request) string {
	if strings.HasSuffix(r.URL.Path, "/encode") {
		return "encoded"
	}
	return "decoded"
}
