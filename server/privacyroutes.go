package server

import (
	"net/http"

	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// privacyRoutes are the privacy operations beyond erasure (issue 30, docs/privacy.md): the
// account's audit log, exports, redaction and retention.
func (s *Server) privacyRoutes() []route {
	return []route{
		{method: http.MethodGet, path: "/v1/audit", tag: "privacy", summary: "The account's audit log of erasures, exports, retention runs and redactions, newest first: who, when, what (ids) and how many rows, never personal data; ?action=erase|export|retention|redact, ?since=, ?until= (RFC 3339)", auth: authAdmin, response: httpx.List[store.AuditEntry]{}, status: 200, query: auditQuery, handler: s.listAudit},
		{method: http.MethodPost, path: "/v1/messages/:id/redact", tag: "privacy", summary: "Redact a message (or only its attachment n): its content becomes \"[redacted]\" in the message, its search vectors and the ticket subject/description taken from it; the attachment's bytes are deleted; on the audit log", auth: authAny, request: redactRequest{}, response: store.Redaction{}, status: 200, handler: s.redactMessage},
		{method: http.MethodPut, path: "/v1/channels/:id/redaction", tag: "privacy", summary: "Automatic redaction on arrival: with auto_redact the channel's inbound messages are stored with Luhn-valid card numbers and Swedish personnummer replaced by markers", auth: authAdmin, request: autoRedactRequest{}, response: autoRedactRequest{}, status: 200, handler: s.setAutoRedact},
		{method: http.MethodGet, path: "/v1/retention", tag: "privacy", summary: "The account's retention policies and its last retention run (state, counts, times)", auth: authAdmin, response: retentionView{}, status: 200, handler: s.getRetention},
		{method: http.MethodPut, path: "/v1/retention", tag: "privacy", summary: "Set a retention policy: delete (action delete, the default) or anonymise (action anonymise: the ticket and its figures stay, texts, attachments, subjects and the contact's traces go) the conversations (of one channel, or every channel without its own) whose ticket was closed more than days ago; an hourly Temporal Schedule runs it", auth: authAdmin, request: retentionRequest{}, response: retentionView{}, status: 200, handler: s.putRetention},
		{method: http.MethodDelete, path: "/v1/retention", tag: "privacy", summary: "Remove a retention policy: the account's default, or with ?channel_id= that channel's own (the channel then follows the default); 404 when there is none", auth: authAdmin, query: []string{"channel_id"}, response: retentionView{}, status: 200, problems: []int{http.StatusNotFound}, handler: s.deleteRetention},
		{method: http.MethodPost, path: "/v1/retention/run", tag: "privacy", summary: "Run the account's retention now (409 without a policy); a run started by hand and still going is answered, not doubled; GET /v1/retention shows its progress as last_run", auth: authAdmin, response: retentionRunView{}, status: 202, problems: []int{http.StatusConflict}, handler: s.runRetention},
		{method: http.MethodPost, path: "/v1/contacts/:id/export", tag: "privacy", summary: "Export everything routedesk holds about a contact (GDPR art. 15/20) as a zip of JSON files and attachments, written by a durable workflow; the archive expires after 7 days", auth: authAdmin, response: exportView{}, status: 202, handler: s.startExport},
		{method: http.MethodGet, path: "/v1/contacts/:id/export", tag: "privacy", summary: "The contact's latest export: its state and download_url; ?download=true (or Accept: application/zip) answers the archive itself (409 while written, 410 once expired)", auth: authAdmin, response: exportView{}, status: 200, query: []string{"download"}, problems: []int{http.StatusConflict, http.StatusGone}, handler: s.contactExport},
		{method: http.MethodGet, path: "/v1/exports/:id", tag: "privacy", summary: "An export's state, counts, size and expiry", auth: authAdmin, response: exportView{}, status: 200, handler: s.export},
		{method: http.MethodGet, path: "/v1/exports/:id/archive", tag: "privacy", summary: "Download an export's zip archive (409 while written, 410 once expired)", auth: authAdmin, status: 200, problems: []int{http.StatusConflict, http.StatusGone}, handler: s.exportArchive},
	}
}
