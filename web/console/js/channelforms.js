// channelforms.js: the config fields of each of the seven channel types, as the API validates them.

const weekdays = 'e.g. mon-fri 09:00-17:00; sat 10:00-14:00';

/** TYPES lists the channel types with their labels. */
export const TYPES = [
  ['chat', 'Live chat'], ['email', 'Team email'], ['messenger', 'Facebook Messenger'], ['form', 'Form'],
  ['whatsapp', 'WhatsApp Business'], ['calling', 'Calling'], ['custom', 'Custom app'],
];

/**
 * CONFIG_FIELDS[type] is the list of config fields; path is relative to config; group names a nested object
 * (sent only when one of its fields is filled); secret fields are never shown and kept when left empty; a lines field
 * is a list edited one value per line.
 */
export const CONFIG_FIELDS = {
  chat: [
    { path: 'accent_color', label: 'Accent colour', placeholder: '#2457c5', help: '#rrggbb' },
    { path: 'font', label: 'Font' },
    { path: 'availability.mode', label: 'Availability', type: 'select', options: [['', '(not set)'], ['always', 'Always'], ['business_hours', 'Business hours'], ['away', 'Away']], group: 'availability' },
    { path: 'availability.timezone', label: 'Availability time zone', placeholder: 'Europe/Paris', group: 'availability' },
    { path: 'availability.hours', label: 'Business hours', placeholder: weekdays, group: 'availability' },
    { path: 'greeting', label: 'Greeting', type: 'textarea', help: 'shown in the widget before the first message' },
    { path: 'away_message', label: 'Away message', type: 'textarea', help: 'shown while away or outside business hours' },
    { path: 'identity_secret', label: 'Identity secret', secret: true, help: 'user_hash = HMAC-SHA256(secret, email) verifies logged-in visitors' },
    { path: 'allowed_origins', label: 'Websites that may embed the widget', type: 'lines', placeholder: 'https://shop.example.com', help: 'one origin per line (scheme and host, no path)' },
  ],
  email: [
    { path: 'address', label: 'Address', type: 'email', required: true },
    { path: 'provider', label: 'Provider', type: 'select', options: ['other', 'gmail', 'office365'], required: true },
    { path: 'from_name_mode', label: 'From name', type: 'select', options: [['', '(default)'], ['agent_and_company', 'Agent and company'], ['company', 'Company']] },
    { path: 'company_name', label: 'Company name' },
    { path: 'signature.format', label: 'Signature format', type: 'select', options: [['', '(no signature)'], 'text', 'html'], group: 'signature' },
    { path: 'signature.body', label: 'Signature', type: 'textarea', group: 'signature' },
    { path: 'original_sender_for_forwards', label: 'Use the original sender of forwarded mail', type: 'checkbox' },
    { path: 'smtp.host', label: 'SMTP host', group: 'smtp' },
    { path: 'smtp.port', label: 'SMTP port', type: 'number', min: 1, max: 65535, group: 'smtp' },
    { path: 'smtp.username', label: 'SMTP username', group: 'smtp' },
    { path: 'smtp.password', label: 'SMTP password', secret: true, group: 'smtp' },
    { path: 'smtp.tls', label: 'SMTP TLS', type: 'select', options: [['', '(default: STARTTLS)'], ['starttls', 'STARTTLS'], ['tls', 'TLS (port 465)'], ['none', 'None (loopback only)']], group: 'smtp' },
    { path: 'imap.host', label: 'IMAP host', group: 'imap', help: 'a hosted mailbox polled for new mail; Gmail and Microsoft 365 connect with their buttons instead' },
    { path: 'imap.port', label: 'IMAP port', type: 'number', min: 1, max: 65535, group: 'imap' },
    { path: 'imap.tls', label: 'IMAP TLS', type: 'select', options: [['', '(default: TLS)'], ['tls', 'TLS (port 993)'], ['starttls', 'STARTTLS'], ['none', 'None (loopback only)']], group: 'imap' },
    { path: 'imap.username', label: 'IMAP username', group: 'imap' },
    { path: 'imap.password', label: 'IMAP password', secret: true, group: 'imap' },
    { path: 'imap.folder', label: 'IMAP folder', placeholder: 'INBOX', group: 'imap' },
  ],
  messenger: [
    { path: 'page_id', label: 'Page id', required: true, inputmode: 'numeric' },
    { path: 'page_access_token', label: 'Page access token', secret: true, required: true },
    { path: 'app_secret', label: 'App secret', secret: true, required: true },
    { path: 'verify_token', label: 'Webhook verify token', secret: true },
    { path: 'greeting', label: 'Greeting', type: 'textarea' },
    { path: 'instant_reply', label: 'Instant reply', type: 'textarea' },
    { path: 'gdpr.enabled', label: 'Ask for consent (GDPR)', type: 'checkbox', group: 'gdpr' },
    { path: 'gdpr.consent', label: 'Consent', type: 'select', options: [['', '(default)'], 'explicit', 'implicit'], group: 'gdpr' },
    { path: 'gdpr.text', label: 'Consent text', type: 'textarea', group: 'gdpr' },
  ],
  whatsapp: [
    { path: 'phone_number_id', label: 'Phone number id', required: true, inputmode: 'numeric' },
    { path: 'access_token', label: 'Access token', secret: true, required: true },
    { path: 'app_secret', label: 'App secret', secret: true, required: true },
    { path: 'verify_token', label: 'Webhook verify token', secret: true },
    { path: 'business_phone', label: 'Business phone', placeholder: '+14155550100', type: 'tel' },
    { path: 'business_account_id', label: 'WhatsApp Business Account id (lists its message templates)', inputmode: 'numeric' },
  ],
  form: [
    { path: 'form_id', label: 'Form id', required: true },
    { path: 'subject_field', label: 'Field that gives the ticket subject', placeholder: 'subject' },
    { path: 'description_field', label: 'Field that gives the ticket description', placeholder: 'message' },
    { path: 'public', label: 'Public: websites post to /forms/{form id} without a token', type: 'checkbox' },
    { path: 'redirect_url', label: 'Page shown after a plain HTML form is sent', type: 'url' },
    { path: 'allowed_origins', label: 'Websites that may post it as JSON (CORS)', type: 'lines', placeholder: 'https://shop.example.com', help: 'one origin per line' },
    { path: 'honeypot_field', label: 'Honeypot field', help: 'a field hidden from people; a submission that fills it is dropped' },
    { path: 'rate_limit_per_minute', label: 'Submissions per minute per address', type: 'number', min: 0, max: 10000 },
  ],
  calling: [
    { path: 'phone_number', label: 'Phone number', placeholder: '+14155550100', required: true, type: 'tel' },
  ],
  custom: [
    { path: 'app_name', label: 'App name', required: true },
    { path: 'outbound_url', label: 'Outbound URL (replies are POSTed here)', type: 'url' },
    { path: 'secret', label: 'Signing secret', secret: true },
  ],
};

/** MAILBOX_PROVIDERS are the providers whose consent screen connects a mailbox (POST /v1/email/oauth/authorizations). */
export const MAILBOX_PROVIDERS = [['gmail', 'Gmail'], ['microsoft365', 'Microsoft 365']];

/** FORM_FIELD_TYPES are the input types a form channel's fields may have. */
export const FORM_FIELD_TYPES = ['text', 'email', 'textarea', 'select', 'checkbox', 'number', 'hidden', 'phone'];

/** getPath reads a dotted path of an object. */
export function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

/** setPath writes a dotted path of an object, creating objects on the way. */
export function setPath(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {});
  o[keys.at(-1)] = value;
}
