package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/rules"
	"github.com/routedesk/routedesk/store"
)

// route is one API operation: it registers the handler and documents it in /openapi.json.
type route struct {
	method  string
	path    string // gin syntax: /v1/channels/:id
	tag     string
	summary string
	auth    string
	// request and response are zero values of the body types, for the schema; nil = none.
	request  any
	response any
	status   int
	// query lists the documented query parameters.
	query []string
	// bodyTypes are the media types of a request body that is a file, not JSON.
	bodyTypes []string
	// guards, when set, replace the standard checks of auth (which then only documents the route).
	guards  []gin.HandlerFunc
	handler gin.HandlerFunc
	// maxBody raises the request body limit of the route; 0 keeps the server's.
	maxBody int64
	// jsonKeys and jsonDepth bound a JSON request body's keys and nesting; 0 keeps httpx.DefaultLimits.
	jsonKeys, jsonDepth int
	// jsonBody marks a JSON body the handler checks itself (a signed webhook): documented as a JSON object.
	jsonBody bool
	// responseTypes are media types the success response also comes in, beyond JSON (text/csv).
	responseTypes []string
	// problems are the route's own error statuses beyond those its auth, path and body imply (409, 410, 429…).
	problems []int
}

// routes is the whole API surface; New registers it and openAPI documents it.
func (s *Server) routes() []route {
	return []route{
		{method: http.MethodGet, path: "/healthz", tag: "ops", summary: "Liveness: the process is up", response: healthResponse{}, status: 200, handler: s.healthz},
		{method: http.MethodGet, path: "/readyz", tag: "ops", summary: "Readiness: PostgreSQL and Temporal are reachable", response: healthResponse{}, status: 200, handler: s.readyz},
		{method: http.MethodGet, path: "/metrics", tag: "ops", summary: "Prometheus metrics (API and Temporal SDK)", status: 200, handler: s.serveMetrics},
		{method: http.MethodGet, path: "/openapi.json", tag: "ops", summary: "This API's OpenAPI 3.1 document", status: 200, handler: s.serveOpenAPI},

		{method: http.MethodGet, path: "/console", tag: "console", summary: "Redirect to the admin console (/console/)", status: 301, handler: redirectConsole},
		{method: http.MethodGet, path: "/console/*path", tag: "console", summary: "The admin console: its HTML, ES modules and CSS, embedded in the binary", status: 200, handler: consoleAssets},
		{method: http.MethodGet, path: "/v1/me", tag: "accounts", summary: "Who the token is: account, role, user; and the Temporal UI URL", auth: authAny, response: meResponse{}, status: 200, handler: s.me},
		{method: http.MethodGet, path: "/v1/account/settings", tag: "accounts", summary: "The account's settings: the solved → closed window, the CSAT survey (on/off, delay)", auth: authAny, response: store.AccountSettings{}, status: 200, handler: s.accountSettings},
		{method: http.MethodPatch, path: "/v1/account/settings", tag: "accounts", summary: "Change the account's settings (solved_close_after_seconds, 1 s to 365 days; csat_enabled; csat_delay_seconds, 1 s to 30 days)", auth: authAdmin, request: accountSettingsPatch{}, response: store.AccountSettings{}, status: 200, handler: s.patchAccountSettings},
		{method: http.MethodPost, path: "/v1/accounts", tag: "accounts", summary: "Create an account (bootstrap token)", auth: authBootstrap, request: createAccountRequest{}, response: createAccountResponse{}, status: 201, handler: s.createAccount},

		{method: http.MethodPost, path: "/v1/channels", tag: "channels", summary: "Connect a channel", auth: authAdmin, request: channelRequest{}, response: domain.Channel{}, status: 201, problems: []int{http.StatusConflict}, handler: s.createChannel},
		{method: http.MethodGet, path: "/v1/channels", tag: "channels", summary: "List channels", auth: authAny, response: httpx.List[domain.Channel]{}, status: 200, query: httpx.PageQuery, handler: s.listChannels},
		{method: http.MethodGet, path: "/v1/channels/:id", tag: "channels", summary: "Get a channel", auth: authAny, response: domain.Channel{}, status: 200, handler: s.getChannel},
		{method: http.MethodPatch, path: "/v1/channels/:id", tag: "channels", summary: "Change a channel (JSON merge patch of name, config, ticket_defaults, routing)", auth: authAdmin, request: channelPatch{}, response: domain.Channel{}, status: 200, problems: []int{http.StatusConflict}, handler: s.patchChannel},
		{method: http.MethodDelete, path: "/v1/channels/:id", tag: "channels", summary: "Disconnect a channel", auth: authAdmin, status: 204, handler: s.deleteChannel},
		{method: http.MethodPost, path: importUploadPath, tag: "imports", summary: "Import an existing inbox into the channel: the body is an NDJSON file (application/x-ndjson, any channel) or an mbox file (application/mbox, email channels), streamed to storage; with no body (or source=imap) an email channel's own IMAP folder is backfilled; a durable ImportWorkflow imports it", auth: authAdmin, bodyTypes: []string{"application/x-ndjson", "application/mbox"}, response: importAccepted{}, status: 202, query: importQuery, handler: s.postImport},
		{method: http.MethodGet, path: "/v1/imports", tag: "imports", summary: "List imports, newest first", auth: authAdmin, response: httpx.List[store.Import]{}, status: 200, query: httpx.PageQuery, handler: s.listImports},
		{method: http.MethodGet, path: "/v1/imports/:id", tag: "imports", summary: "An import's state, counts and skipped lines", auth: authAdmin, response: store.Import{}, status: 200, handler: s.getImport},
		{method: http.MethodDelete, path: "/v1/imports/:id", tag: "imports", summary: "Cancel a running import (what it imported stays; 409 once it has ended)", auth: authAdmin, response: store.Import{}, status: 202, problems: []int{http.StatusConflict}, handler: s.cancelImport},
		{method: http.MethodPost, path: "/v1/channels/:id/verify", tag: "channels", summary: "Prove an email channel's address with the mailed code: a pending_verification channel becomes connected", auth: authAdmin, request: verifyRequest{}, response: domain.Channel{}, status: 200, handler: s.verifyChannel},
		{method: http.MethodGet, path: "/verify-address/:id", tag: "channels", summary: "The link of the verification mail (no token: the code is the credential); answers text/plain", query: []string{"code"}, status: 200, handler: s.verifyLink},
		{method: http.MethodGet, path: "/v1/channels/:id/verification", tag: "channels", summary: "An email channel's proof state: code expiry, last send and why it failed", auth: authAdmin, response: store.Verification{}, status: 200, handler: s.getVerification},
		{method: http.MethodPost, path: "/v1/channels/:id/verification", tag: "channels", summary: "Mail a new verification code (the old one stops working; one a minute, five a day)", auth: authAdmin, response: store.Verification{}, status: 202, handler: s.resendVerification},
		{method: http.MethodPost, path: "/v1/channels/:id/keys", tag: "channels", summary: "Issue a key for the channel's inbound routes (shown once)", auth: authAdmin, request: channelKeyRequest{}, response: store.ChannelKey{}, status: 201, handler: s.createChannelKey},
		{method: http.MethodGet, path: "/v1/channels/:id/keys", tag: "channels", summary: "List the channel's keys (without their secrets)", auth: authAdmin, response: httpx.List[store.ChannelKey]{}, status: 200, query: httpx.PageQuery, handler: s.listChannelKeys},
		{method: http.MethodGet, path: "/v1/channels/:id/ignored", tag: "channels", summary: "List the inbound messages the channel made no ticket of (auto-replies, bounces, its own mail, signed webhooks with a malformed body), newest first, with the reason", auth: authAny, response: httpx.List[store.IgnoredInbound]{}, status: 200, query: httpx.PageQuery, handler: s.listIgnored},
		{method: http.MethodDelete, path: "/v1/channels/:id/keys/:key_id", tag: "channels", summary: "Revoke a channel key at once", auth: authAdmin, status: 204, handler: s.deleteChannelKey},
		{method: http.MethodPost, path: "/v1/channels/:id/messages", tag: "inbound", summary: "Deliver an inbound message (chat, custom, tests): an admin token, a key of the channel, or a custom app's signature", auth: authChannel, request: inboundRequest{}, response: inboundResponse{}, status: 202, handler: s.postMessage},

		{method: http.MethodPost, path: "/v1/users", tag: "users", summary: "Add a user", auth: authAdmin, request: userRequest{}, response: domain.User{}, status: 201, problems: []int{http.StatusConflict}, handler: s.createUser},
		{method: http.MethodGet, path: "/v1/users", tag: "users", summary: "List users", auth: authAny, response: httpx.List[domain.User]{}, status: 200, query: httpx.PageQuery, handler: s.listUsers},
		{method: http.MethodGet, path: "/v1/users/:id", tag: "users", summary: "Get a user", auth: authAny, response: domain.User{}, status: 200, handler: s.getUser},
		{method: http.MethodPatch, path: "/v1/users/:id", tag: "users", summary: "Change a user (JSON merge patch)", auth: authAdmin, request: userRequest{}, response: domain.User{}, status: 200, handler: s.patchUser},
		{method: http.MethodDelete, path: "/v1/users/:id", tag: "users", summary: "Remove a user (409 while a channel routes to them)", auth: authAdmin, status: 204, problems: []int{http.StatusConflict}, handler: s.deleteUser},
		{method: http.MethodPut, path: "/v1/users/:id/availability", tag: "users", summary: "Set a user's availability (agents: their own only)", auth: authAny, request: availabilityRequest{}, response: domain.User{}, status: 200, handler: s.putAvailability},
		{method: http.MethodPost, path: "/v1/users/:id/tokens", tag: "users", summary: "Issue a token bound to the user (role agent, or admin)", auth: authAdmin, request: userTokenRequest{}, response: tokenResponse{}, status: 201, handler: s.createUserToken},

		{method: http.MethodPost, path: "/v1/teams", tag: "teams", summary: "Add a team", auth: authAdmin, request: teamRequest{}, response: domain.Team{}, status: 201, handler: s.createTeam},
		{method: http.MethodGet, path: "/v1/teams", tag: "teams", summary: "List teams", auth: authAny, response: httpx.List[domain.Team]{}, status: 200, query: httpx.PageQuery, handler: s.listTeams},
		{method: http.MethodGet, path: "/v1/teams/:id", tag: "teams", summary: "Get a team", auth: authAny, response: domain.Team{}, status: 200, handler: s.getTeam},
		{method: http.MethodPatch, path: "/v1/teams/:id", tag: "teams", summary: "Change a team (JSON merge patch; members replaces the list)", auth: authAdmin, request: teamRequest{}, response: domain.Team{}, status: 200, handler: s.patchTeam},
		{method: http.MethodDelete, path: "/v1/teams/:id", tag: "teams", summary: "Remove a team (409 while a channel routes to it)", auth: authAdmin, status: 204, problems: []int{http.StatusConflict}, handler: s.deleteTeam},

		{method: http.MethodPost, path: "/v1/contacts", tag: "contacts", summary: "Add a contact", auth: authAdmin, request: contactRequest{}, response: domain.Contact{}, status: 201, handler: s.createContact},
		{method: http.MethodGet, path: "/v1/contacts", tag: "contacts", summary: "List contacts, optionally by email", auth: authAny, response: httpx.List[domain.Contact]{}, status: 200, query: append([]string{"email"}, httpx.PageQuery...), handler: s.listContacts},
		{method: http.MethodGet, path: "/v1/contacts/:id", tag: "contacts", summary: "Get a contact's whole profile: its fields, consent and every identity it is found by (emails, phones, external ids)", auth: authAny, response: domain.Contact{}, status: 200, handler: s.getContact},
		// issue 27: duplicates, merge preview and undo (contactmerge.go)
		{method: http.MethodGet, path: "/v1/contacts/:id/duplicates", tag: "contacts", summary: "Contacts that may be the same person: an email or a phone (E.164) in common, or the same name at the same company", auth: authAny, response: httpx.List[store.Duplicate]{}, status: 200, handler: s.contactDuplicates},
		{method: http.MethodGet, path: "/v1/contacts/:id/merge-preview", tag: "contacts", summary: "What merging from_contact_id into this contact would move (identities, tickets, merged contacts) and fill in, side by side; changes nothing", auth: authAny, response: store.MergePreview{}, status: 200, query: []string{"from_contact_id"}, handler: s.previewMerge},
		{method: http.MethodPost, path: "/v1/contacts/:id/merges/:merge_id/undo", tag: "contacts", summary: "Undo a merge into this contact within 10 minutes: what it moved goes back and the merged contact is live again (410 once the grace period has passed, 409 if undone already or the contact was merged since)", auth: authAdmin, response: store.UndoneMerge{}, status: 200, problems: []int{http.StatusConflict, http.StatusGone}, handler: s.undoMerge},
		{method: http.MethodGet, path: "/v1/contacts/:id/timeline", tag: "contacts", summary: "A contact's timeline, newest first: messages, submissions (hidden fields included), calls, tickets, consent, merges", auth: authAny, response: httpx.List[store.TimelineItem]{}, status: 200, query: httpx.PageQuery, handler: s.contactTimeline},
		{method: http.MethodPost, path: "/v1/contacts/:id/merge", tag: "contacts", summary: "Merge another contact into this one: identities, tickets and timeline move; the merged contact answers 404; the answer's merge names the merge and until when it can be undone", auth: authAdmin, request: mergeRequest{}, response: mergeResponse{}, status: 200, handler: s.mergeContact},
		{method: http.MethodPost, path: "/v1/contacts/:id/erase", tag: "contacts", summary: "Erase a contact for good (GDPR art. 17), as a durable workflow: body {\"confirm\": \"<the contact's id>\"}", auth: authAdmin, request: eraseRequest{}, response: store.Erasure{}, status: 202, handler: s.eraseContact},
		{method: http.MethodGet, path: "/v1/contacts/:id/erasure", tag: "contacts", summary: "The audit record of a contact's erasure: when, by whom, how many rows (no personal data)", auth: authAdmin, response: store.Erasure{}, status: 200, handler: s.contactErasure},
		{method: http.MethodPatch, path: "/v1/contacts/:id", tag: "contacts", summary: "Change a contact's profile (JSON merge patch); agents may change every field but owner_user_id (403), admins all", auth: authAny, request: contactRequest{}, response: domain.Contact{}, status: 200, handler: s.patchContact},

		{method: http.MethodPost, path: "/v1/rules", tag: "rules", summary: "Add a routing rule (422 with line and column when it does not compile)", auth: authAdmin, request: ruleRequest{}, response: ruleResponse{}, status: 201, handler: s.createRule},
		{method: http.MethodGet, path: "/v1/rules", tag: "rules", summary: "List routing rules", auth: authAny, response: httpx.List[ruleResponse]{}, status: 200, query: httpx.PageQuery, handler: s.listRules},
		{method: http.MethodPost, path: "/v1/rules/validate", tag: "rules", summary: "Check a when-expression for an editor", auth: authAny, request: validateRuleRequest{}, response: rules.Check{}, status: 200, handler: s.validateRule},
		{method: http.MethodPost, path: "/v1/rules/test", tag: "rules", summary: "Evaluate the account's enabled rules against a sample", auth: authAny, request: rules.Env{}, response: rules.Result{}, status: 200, handler: s.testRules},
		{method: http.MethodGet, path: "/v1/rules/:id", tag: "rules", summary: "Get a routing rule", auth: authAny, response: ruleResponse{}, status: 200, handler: s.getRule},
		{method: http.MethodPatch, path: "/v1/rules/:id", tag: "rules", summary: "Change a routing rule (JSON merge patch; its version grows)", auth: authAdmin, request: ruleRequest{}, response: ruleResponse{}, status: 200, handler: s.patchRule},
		{method: http.MethodDelete, path: "/v1/rules/:id", tag: "rules", summary: "Remove a routing rule", auth: authAdmin, status: 204, handler: s.deleteRule},

		{method: http.MethodGet, path: "/v1/deliveries", tag: "inbound", summary: "Inbound messages not yet accepted by their conversation workflow: state=failed (given up, default) or pending (being retried), with channel, reason and attempts", auth: authAdmin, response: httpx.List[store.Delivery]{}, status: 200, query: append([]string{"state"}, httpx.PageQuery...), handler: s.listDeliveries},
		{method: http.MethodPost, path: "/v1/deliveries/:id/retry", tag: "inbound", summary: "Re-queue an undelivered inbound message (id: its message id) for redelivery, attempts reset (409 once delivered)", auth: authAdmin, response: store.Delivery{}, status: 202, problems: []int{http.StatusConflict}, handler: s.retryDelivery},

		{method: http.MethodGet, path: "/v1/tickets", tag: "tickets", summary: "List and search tickets (newest first unless sort says otherwise): q searches subjects, messages and contacts; filters narrow; view starts from a saved view (docs/tickets.md)", auth: authAny, response: httpx.List[domain.Ticket]{}, status: 200, query: ticketQuery, handler: s.listTickets},
		{method: http.MethodPost, path: "/v1/tickets", tag: "tickets", summary: "Open a ticket on a channel without a customer message (api, import, integration); rules run on it; route: true routes it", auth: authAdmin, request: ticketRequest{}, response: domain.Ticket{}, status: 201, handler: s.createTicket},
		{method: http.MethodGet, path: "/v1/tickets/:id", tag: "tickets", summary: "Get a ticket", auth: authAny, response: domain.Ticket{}, status: 200, handler: s.getTicket},
		{method: http.MethodPatch, path: "/v1/tickets/:id", tag: "tickets", summary: "Change a ticket: status (new, open, pending, on_hold, solved, closed; the lifecycle's moves only), assignee (solving or closing frees the agent's capacity), priority (low, normal, high, urgent), tags (replace; add_tags, remove_tags) and properties (JSON merge patch); each change is on the audit trail", auth: authAny, request: ticketPatch{}, response: domain.Ticket{}, status: 200, problems: []int{http.StatusConflict, http.StatusGatewayTimeout}, handler: s.patchTicket},
		{method: http.MethodPost, path: "/v1/tickets/:id/replies", tag: "tickets", summary: "Reply to the customer on the ticket's channel: a JSON body, or multipart/form-data with files (parts named files) and the reply as a JSON part named reply or as text, html and channel_id parts", auth: authAny, request: replyRequest{}, bodyTypes: []string{"multipart/form-data"}, maxBody: replyMaxBody, response: replyResponse{}, status: 201, problems: []int{http.StatusConflict, http.StatusBadGateway, http.StatusGatewayTimeout}, handler: s.postReply},
		{method: http.MethodPost, path: "/v1/tickets/bulk", tag: "tickets", summary: "Change up to 100 tickets at once (status, assignee, priority, tags, properties: a PATCH /v1/tickets/{id} body in change); each goes through that PATCH and answers its own status (200, 404, 409, 422, 504) with the ticket or the problem", auth: authAny, request: bulkRequest{}, response: bulkResult{}, status: 200, handler: s.bulkTickets},
		{method: http.MethodGet, path: "/v1/tickets/:id/events", tag: "tickets", summary: "A ticket's audit trail, oldest first: every change, who made it (actor_user_id, null for routedesk itself), when, and from which route or rule (via)", auth: authAny, response: httpx.List[store.TicketEvent]{}, status: 200, query: httpx.PageQuery, handler: s.ticketEvents},
		{method: http.MethodGet, path: "/v1/tickets/:id/routing", tag: "tickets", summary: "A ticket's routing record: its routing state, assignee and skills, the rules that matched, what they set, and the rules that failed and were skipped", auth: authAny, response: routingRecord{}, status: 200, handler: s.getTicketRouting},
		{method: http.MethodPost, path: "/v1/messages/:id/retry", tag: "tickets", summary: "Send a failed reply again (409 unless it is failed); it is retried for its channel's retry period", auth: authAny, response: domain.Message{}, status: 202, problems: []int{http.StatusConflict}, handler: s.retryReply},
		{method: http.MethodGet, path: "/v1/tickets/:id/messages", tag: "tickets", summary: "A ticket's messages, oldest first", auth: authAny, response: httpx.List[domain.Message]{}, status: 200, query: httpx.PageQuery, handler: s.ticketMessages},

		{method: http.MethodGet, path: "/v1/views", tag: "views", summary: "The ticket views the caller sees: the built-in ones (mine, unassigned, pending, open), the account's shared ones and their own", auth: authAny, response: httpx.List[viewResponse]{}, status: 200, handler: s.listViews},
		{method: http.MethodPost, path: "/v1/views", tag: "views", summary: "Save a ticket view: private to the caller, or shared with the account (shared: true, admins)", auth: authAny, request: viewRequest{}, response: viewResponse{}, status: 201, problems: []int{http.StatusConflict}, handler: s.createView},
		{method: http.MethodGet, path: "/v1/views/counts", tag: "views", summary: "How many tickets each view the caller sees holds now (counted up to 10,000; more: true beyond)", auth: authAny, response: httpx.List[viewCount]{}, status: 200, handler: s.viewCounts},
		{method: http.MethodGet, path: "/v1/views/:id", tag: "views", summary: "Get a ticket view", auth: authAny, response: viewResponse{}, status: 200, handler: s.getView},
		{method: http.MethodPatch, path: "/v1/views/:id", tag: "views", summary: "Change a saved view (JSON merge patch of name and filters; shared views: admins; built-in views: 409)", auth: authAny, request: viewRequest{}, response: viewResponse{}, status: 200, problems: []int{http.StatusConflict}, handler: s.patchView},
		{method: http.MethodDelete, path: "/v1/views/:id", tag: "views", summary: "Delete a saved view (shared views: admins; built-in views: 409)", auth: authAny, status: 204, problems: []int{http.StatusConflict}, handler: s.deleteView},
		{method: http.MethodGet, path: "/v1/views/:id/tickets", tag: "views", summary: "The view's tickets; the query's filters replace the view's of the same name", auth: authAny, response: httpx.List[domain.Ticket]{}, status: 200, query: viewTicketsQuery, handler: s.viewTickets},
	}
}
