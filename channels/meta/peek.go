package meta

// MessengerPageIDs returns the distinct entry[].id of an "object": "page" payload, in order, so the caller can pick the app secret before trusting the body.
//
// It reads the body the same strict way as ParseMessenger; an empty result
// (no entries) means the body addresses no page.
func MessengerPageIDs(body []byte) ([]string, error) {
	var ids []string
	seen := map[string]bool{}
	err := walkMessenger(body, func(_ object, _ string, pageID string) error {
		if !seen[pageID] {
			seen[pageID] = true
			ids = append(ids, pageID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// WhatsAppPhoneNumberIDs returns the distinct entry[].changes[].value.metadata.phone_number_id of a "whatsapp_business_account" payload, in order.
//
// Only changes with field "messages" are considered, exactly as in
// ParseWhatsApp; an empty result means the body addresses no phone number.
func WhatsAppPhoneNumberIDs(body []byte) ([]string, error) {
	var ids []string
	seen := map[string]bool{}
	err := walkWhatsApp(body, func(_ object, _ string, meta whatsAppMetadata) error {
		if !seen[meta.phoneNumberID] {
			seen[meta.phoneNumberID] = true
			ids = append(ids, meta.phoneNumberID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}
