// Package traits is the little the conversation workflow knows of a channel:
// how its reply window works and whether it greets new conversations. It is
// pure data, so deterministic workflow code may import it; the registry fills
// a conversation's Traits from its channel when the conversation starts.
package traits

// Window kinds: how long after the customer's last message replies may go out.
const (
	// WindowNone: replies may go out at any time (email, chat, forms, custom apps).
	WindowNone = ""
	// WindowHumanAgent: a standard window (24 h), then a human-agent window (7 d) in which only
	// agents' replies go out, tagged HUMAN_AGENT; then closed (Messenger).
	WindowHumanAgent = "standard_then_human_agent"
	// WindowTemplates: a customer-service window (24 h), then approved templates only (WhatsApp).
	WindowTemplates = "standard_then_templates"
)

// Traits are a channel's properties the conversation workflow acts on.
type Traits struct {
	// Window is the reply-window kind, one of the Window constants.
	Window string `json:"window,omitempty"`
	// Welcome means the channel greets a new conversation (the Welcome activity).
	Welcome bool `json:"welcome,omitempty"`
	// Label names the channel in messages to agents, e.g. "Messenger".
	Label string `json:"label,omitempty"`
}

// Windowed reports whether the channel limits when replies may be sent.
func (t Traits) Windowed() bool { return t.Window != WindowNone }

// Templates reports whether the channel takes approved templates (WhatsApp), the only thing sent after its window closes.
func (t Traits) Templates() bool { return t.Window == WindowTemplates }

// legacy are the traits of the channel types whose conversations started before
// traits travelled in the workflow's input; frozen, so those histories replay.
var legacy = map[string]Traits{
	"messenger": {Window: WindowHumanAgent, Welcome: true, Label: "Messenger"},
	"whatsapp":  {Window: WindowTemplates, Label: "WhatsApp"},
}

// Legacy returns the traits a conversation of channelType had before its input carried them.
func Legacy(channelType string) Traits {
	return legacy[channelType]
}
