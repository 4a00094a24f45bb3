package channels

// GraphCheck is what a Messenger or WhatsApp channel's periodic check asks Graph about.
type GraphCheck struct {
	// Token is the page or number access token.
	Token string
	// ObjectID is what the token must reach: the page, the WhatsApp phone number.
	ObjectID string
	// SubscriptionID is the object whose subscribed_apps show the webhook subscription
	// (the page, the WhatsApp Business Account); "" when it is not configured.
	SubscriptionID string
}

// GraphChecked is a configuration whose Graph token and webhook subscription can be checked.
type GraphChecked interface {
	GraphCheck() GraphCheck
}
