// api.js: the console's only door to the routedesk HTTP API (same origin, bearer token).
const KEY = 'routedesk.token';

/** The signed-in session: token in the tab's sessionStorage, identity from GET /v1/me. */
export const session = {
  me: null,
  get token() { return sessionStorage.getItem(KEY) || ''; },
  save(token) { sessionStorage.setItem(KEY, token); },
  clear() { sessionStorage.removeItem(KEY); this.me = null; },
  get isAdmin() { return this.me && this.me.role === 'admin'; },
};

/** ApiError is a problem+json answer: status, detail and per-field errors. */
export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem || {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.fields = Array.isArray(p.errors) ? p.errors : [];
  }
}

/** api sends one request; body (if any) as JSON, or a FormData as multipart/form-data; resolves to the decoded answer or null. */
export async function api(method, path, body, token = session.token) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers };
  if (body instanceof FormData) {
    init.body = body; // the browser sets the multipart Content-Type with its boundary
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), body instanceof FormData ? 120000 : 20000);
  init.signal = ctl.signal;
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { detail: e.name === 'AbortError' ? 'the server did not answer in time' : 'the server is unreachable' });
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 401 && token === session.token && session.me) {
    window.dispatchEvent(new CustomEvent('routedesk:unauthorized'));
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** listAll follows next_cursor over up to 10 pages of 200. */
export async function listAll(path) {
  const items = [];
  let cursor = '';
  for (let i = 0; i < 10; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...(page.items || []));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return items;
}

/** id encodes a path segment. */
export const seg = (id) => encodeURIComponent(id);

/** download fetches a file the API serves (with the token) and saves it under name. */
export async function download(path, name) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!res.ok) {
    let detail = `HTTP ${res.status}`;
    try { detail = (await res.json()).detail || detail; } catch { /* not a problem+json */ }
    throw new ApiError(res.status, { detail });
  }
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
