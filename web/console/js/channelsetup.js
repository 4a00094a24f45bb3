// channelsetup.js: a channel page's setup helpers, each with a copy button: its keys (create, shown once,
// revoke), the chat embed snippet, Meta's webhook URL and verify token, and the endpoints apps and providers call.
import { api, listAll, seg } from './api.js';
import { h, field, announce, guard } from './ui.js';

/** copyable is a value in a <pre> with a Copy button. */
export function copyable(label, value, cls = '') {
  const pre = h('pre', { class: cls }, value);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      const range = document.createRange();
      range.selectNodeContents(pre);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      document.execCommand('copy');
    }
    announce(`${label} copied.`);
  };
  return h('div', { class: 'copy-block', dataset: { copy: label } }, h('h4', {}, label),
    h('div', { class: 'copyable' }, pre, h('button', { type: 'button', class: 'copy', onclick: copy }, 'Copy', h('span', { class: 'sr-only' }, ` ${label}`))));
}

/** randomToken is 32 random bytes, base64url. */
function randomToken() {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...b)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

const signing = (origin, id) => `BODY='{"external_id": "m-1", "thread_id": "chat-42", "from": {"external_user_id": "u-42", "name": "Ada"}, "text": "Hi"}'
TS=$(date +%s)
SIG=$(printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -hex | sed 's/^.* //')
curl -s -H "X-Routedesk-Timestamp: $TS" -H "X-Routedesk-Signature: sha256=$SIG" \\
  -H "Content-Type: application/json" ${origin}/v1/channels/${id}/messages -d "$BODY"`;

/** endpoints are the channel type's setup blocks. */
function endpoints(ch, origin) {
  const id = ch.id;
  switch (ch.type) {
    case 'chat':
      return [copyable('Embed snippet', `<script src="${origin}/widget.js" data-channel="${id}" async></script>`, 'snippet'),
        h('p', { class: 'muted' }, 'Paste it into the pages of an allowed origin (config.allowed_origins).')];
    case 'messenger':
    case 'whatsapp':
      return [copyable('Webhook callback URL', `${origin}/webhooks/${ch.type}`, 'webhook-url'),
        h('p', { class: 'muted' }, `In the Meta app's Webhooks settings, subscribe the ${ch.type === 'whatsapp' ? 'whatsapp_business_account object (messages field)' : 'page object (messages, messaging_postbacks)'} with this URL and the verify token below.`),
        verifyTokenBlock(ch)];
    case 'custom':
      return [copyable('Inbound messages endpoint (POST)', `${origin}/v1/channels/${id}/messages`, 'endpoint'),
        copyable('Delivery receipts endpoint (POST)', `${origin}/v1/channels/${id}/receipts`, 'endpoint'),
        h('p', { class: 'muted' }, 'Authenticate with a key of the channel (Authorization: Bearer <key>), or sign each request with the channel secret: X-Routedesk-Timestamp (Unix seconds) and X-Routedesk-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>; a timestamp more than 5 minutes off is refused. Replies reach the app\'s outbound_url signed the same way.'),
        copyable('Signed request (shell)', signing(origin, id), 'signing')];
    case 'calling':
      return [copyable('Calls endpoint (POST)', `${origin}/v1/channels/${id}/calls`, 'endpoint'),
        h('p', { class: 'muted' }, 'The phone provider reports each call with a key of the channel (Authorization: Bearer <key>).'),
        copyable('Report a call (shell)', `curl -s -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" ${origin}/v1/channels/${id}/calls \\
  -d '{"call_id": "CA123", "from_number": "+44 20 7946 0000", "to_number": "+442071838750", "status": "missed"}'`, 'signing')];
    case 'email':
      return [copyable('Raw mail endpoint (POST message/rfc822)', `${origin}/v1/channels/${id}/email`, 'endpoint')];
    case 'form':
      return [copyable('Submissions endpoint (POST, with a key)', `${origin}/v1/channels/${id}/submissions`, 'endpoint'),
        ch.config && ch.config.public ? copyable('Public form action', `${origin}/forms/${ch.config.form_id}`, 'endpoint') : null];
    default:
      return [];
  }
}

/** verifyTokenBlock sets a new random verify token on a Meta channel and shows it once. */
function verifyTokenBlock(ch) {
  const out = h('div', { id: 'verify-token' });
  const stored = ch.config && ch.config.verify_token;
  const gen = h('button', { type: 'button', onclick: () => guard(async () => {
    if (stored && !confirm('Replace the stored verify token? Meta must be given the new one.')) return;
    const token = randomToken();
    await api('PATCH', `/v1/channels/${seg(ch.id)}`, { config: { verify_token: token } });
    out.replaceChildren(copyable('Verify token (shown once)', token, 'verify-token'),
      h('p', { class: 'muted' }, 'Stored sealed; this is the only time it is shown.'));
    announce('New verify token stored.');
  }) }, stored ? 'Replace the verify token' : 'Generate a verify token');
  out.append(h('p', { class: 'muted' }, stored ? 'A verify token is stored (sealed, never shown). ' : 'No verify token yet. '), gen);
  return out;
}

/** keysBlock lists the channel's keys (no secrets), creates one (shown once) and revokes them. */
function keysBlock(ch) {
  const list = h('ul', { class: 'keys', id: 'channel-keys' });
  const shown = h('div', { id: 'new-key' });
  const name = field({ name: 'key_name', label: 'Key name', id: 'key-name' });
  const load = async () => {
    const keys = await listAll(`/v1/channels/${seg(ch.id)}/keys`);
    list.replaceChildren(...(keys.length ? keys.map((k) => h('li', { dataset: { key: k.id } }, `${k.name || '(unnamed)'} · ${k.id} · created ${new Date(k.created_at).toLocaleString()} `,
      h('button', { type: 'button', class: 'danger', onclick: () => guard(async () => {
        if (!confirm(`Revoke ${k.name || k.id}? Callers using it are refused at once.`)) return;
        await api('DELETE', `/v1/channels/${seg(ch.id)}/keys/${seg(k.id)}`);
        announce('Key revoked.');
        await load();
      }) }, 'Revoke', h('span', { class: 'sr-only' }, ` ${k.name || k.id}`)))) : [h('li', { class: 'muted' }, 'No key.')]));
  };
  const create = h('button', { type: 'button', id: 'create-key', onclick: () => guard(async () => {
    const k = await api('POST', `/v1/channels/${seg(ch.id)}/keys`, { name: name.querySelector('input').value.trim() });
    shown.replaceChildren(copyable('New key (shown once)', k.key, 'new-key'), h('p', { class: 'muted' }, 'Copy it now: it is never shown again.'));
    announce('Key created.');
    await load();
  }) }, 'Create a key');
  guard(load);
  return h('div', {}, h('h3', {}, 'Channel keys'), list, h('div', { class: 'row' }, name, create), shown);
}

/** setupSection is a connected channel's setup helpers. */
export function setupSection(ch) {
  const origin = location.origin;
  return h('section', { class: 'card setup', 'aria-labelledby': 'setup-title' },
    h('h2', { id: 'setup-title' }, 'Setup'),
    copyable('Channel id', ch.id, 'channel-id'),
    ...endpoints(ch, origin),
    keysBlock(ch));
}
