/* routedesk chat widget: <script src="…/widget.js" data-channel="ch_…" async></script>
 * Vanilla JS, no external calls; its UI lives in a shadow DOM so the host page's CSS cannot reach it.
 * Optional: data-email, data-name, data-user-hash (a logged-in user; user_hash = hex HMAC-SHA256(identity_secret, email)),
 * or RoutedeskChat.identify({email, name, user_hash}) before the first message. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-channel][src*='widget.js']");
  if (!script || window.RoutedeskChat) return;
  var channel = script.getAttribute("data-channel") || "";
  if (!/^ch_[A-Za-z0-9_]+$/.test(channel)) { console.warn("routedesk chat: data-channel is missing or not a channel id"); return; }
  var origin = new URL(script.src, location.href).origin;
  var base = origin + "/chat/v1/" + encodeURIComponent(channel);
  var storeKey = "routedesk-chat:" + channel;
  var identity = null;
  if (script.getAttribute("data-email")) {
    identity = { email: script.getAttribute("data-email"), name: script.getAttribute("data-name") || undefined,
      user_hash: script.getAttribute("data-user-hash") || undefined };
  }

  var state = load();
  var settings = null, messages = [], byID = {}, unread = 0, open = false, es = null, retry = 1000, refreshTimer = 0;

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode: the session lasts the page */ }
  }

  // ---- DOM ----
  var host = document.createElement("div");
  host.setAttribute("data-routedesk-chat", "");
  host.style.cssText = "all:initial;position:fixed;z-index:2147483000;bottom:0;right:0;";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  root.innerHTML =
    "<style>" +
    ":host{all:initial}" +
    "*{box-sizing:border-box}" +
    ".w{--a:#1f6feb;font:14px/1.4 var(--f,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif);color:#1d2430}" +
    ".launch{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:var(--a);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}" +
    ".launch:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #111;outline-offset:2px}" +
    ".launch svg{width:28px;height:28px;fill:#fff}" +
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#d1242f;color:#fff;font-size:12px;line-height:20px;text-align:center}" +
    ".badge[hidden],[hidden]{display:none!important}" +
    ".panel{position:fixed;right:20px;bottom:88px;width:360px;height:520px;max-height:calc(100vh - 108px);background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}" +
    ".head{background:var(--a);color:#fff;padding:12px 14px;display:flex;align-items:flex-start;gap:8px}" +
    ".head h2{font-size:16px;margin:0;font-weight:600}.head p{margin:2px 0 0;font-size:12px;opacity:.9}.head div{flex:1}" +
    ".x{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:2px 6px;border-radius:4px}" +
    ".away{background:#fff8e1;border-bottom:1px solid #f0e0a0;padding:10px 14px;font-size:13px}" +
    ".away form{display:flex;gap:6px;margin-top:6px}.away input{flex:1;min-width:0;padding:6px 8px;border:1px solid #c9ced6;border-radius:6px;font:inherit}" +
    ".away button{padding:6px 10px;border:0;border-radius:6px;background:var(--a);color:#fff;font:inherit;cursor:pointer}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f6f8fa;margin:0;list-style:none}" +
    ".m{max-width:80%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere}" +
    ".in{align-self:flex-end;background:var(--a);color:#fff;border-bottom-right-radius:4px}" +
    ".out{align-self:flex-start;background:#fff;border:1px solid #d8dee4;border-bottom-left-radius:4px}" +
    ".who{display:block;font-size:11px;color:#57606a;margin-bottom:2px}" +
    ".file{display:block;margin-top:4px;color:inherit;text-decoration:underline}" +
    ".pending{opacity:.6}.failed{outline:2px solid #d1242f}" +
    ".err{color:#d1242f;font-size:12px;padding:4px 12px;margin:0}" +
    ".compose{display:flex;gap:8px;padding:10px;border-top:1px solid #d8dee4;background:#fff}" +
    ".compose textarea{flex:1;resize:none;height:40px;max-height:120px;padding:9px 10px;border:1px solid #c9ced6;border-radius:8px;font:inherit;color:inherit}" +
    ".send{border:0;border-radius:8px;background:var(--a);color:#fff;padding:0 14px;font:inherit;font-weight:600;cursor:pointer}" +
    ".rate{display:flex;gap:4px;margin-top:6px;flex-wrap:wrap}.rate button{min-width:34px;padding:4px 8px;border:1px solid #c9ced6;border-radius:6px;background:#fff;font:inherit;cursor:pointer}" +
    ".rate button[aria-pressed=true]{background:var(--a);color:#fff;border-color:var(--a)}.rated{display:block;font-size:12px;color:#57606a;margin-top:4px}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;max-height:100%;border-radius:0}.launch{right:14px;bottom:14px}}" +
    "</style>" +
    "<div class='w'>" +
    "<button class='launch' type='button' aria-haspopup='dialog' aria-expanded='false' aria-label='Open chat'>" +
    "<svg viewBox='0 0 24 24' aria-hidden='true'><path d='M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 2-2z'/></svg>" +
    "<span class='badge' hidden aria-hidden='true'></span></button>" +
    "<section class='panel' role='dialog' aria-modal='false' aria-labelledby='rd-title' hidden>" +
    "<header class='head'><div><h2 id='rd-title'>Chat with us</h2><p class='status'></p></div>" +
    "<button class='x' type='button' aria-label='Close chat'>&times;</button></header>" +
    "<div class='away' hidden><p class='awaymsg' style='margin:0'></p><p class='next' style='margin:4px 0 0'></p>" +
    "<form class='emailform'><label class='sr' for='rd-email'>Your email, so we can answer later</label>" +
    "<input id='rd-email' type='email' autocomplete='email' placeholder='Your email' required>" +
    "<button type='submit'>Save</button></form><p class='saved' hidden style='margin:4px 0 0'></p></div>" +
    "<ol class='log' role='log' aria-live='polite' aria-label='Conversation'></ol>" +
    "<p class='err' role='alert' hidden></p>" +
    "<form class='compose'><label class='sr' for='rd-text'>Message</label>" +
    "<textarea id='rd-text' rows='1' maxlength='4000' placeholder='Type a message…' required></textarea>" +
    "<button class='send' type='submit'>Send</button></form>" +
    "</section></div>";
  var $ = function (sel) { return root.querySelector(sel); };
  var w = $(".w"), launch = $(".launch"), badge = $(".badge"), panel = $(".panel"), log = $(".log"), text = $("#rd-text"),
    err = $(".err"), status = $(".status"), away = $(".away");

  function mount() { (document.body || document.documentElement).appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  // ---- API ----
  function api(method, path, body, token) {
    var headers = {};
    if (body) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(base + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, credentials: "omit" })
      .then(function (r) {
        return r.text().then(function (t) {
          var data = null;
          try { data = t ? JSON.parse(t) : null; } catch (e) { /* not JSON */ }
          return { status: r.status, data: data, retryAfter: r.headers.get("Retry-After") };
        });
      });
  }

  // session opens or refreshes the visitor's session; a token that cannot be refreshed starts a new visitor.
  function session(extra) {
    var body = {};
    var id = extra || identity;
    if (id) for (var k in id) if (id[k]) body[k] = id[k];
    return api("POST", "/sessions", body, state.token).then(function (r) {
      if (r.status === 401 && state.token && !extra) {
        state = {}; save();
        return session();
      }
      if (r.status !== 201) throw new Error((r.data && r.data.detail) || "could not start the chat (" + r.status + ")");
      if (state.visitor && state.visitor !== r.data.visitor_id) { messages = []; byID = {}; log.textContent = ""; state.last = ""; }
      state.token = r.data.visitor_token; state.visitor = r.data.visitor_id; state.exp = r.data.expires_at; save();
      apply(r.data.channel);
      scheduleRefresh();
      return r.data;
    });
  }

  // scheduleRefresh exchanges the token a minute before it expires.
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    var ms = new Date(state.exp).getTime() - Date.now() - 60000;
    refreshTimer = setTimeout(function () { session().then(listen, showError); }, Math.max(ms || 0, 10000));
  }

  // resume continues a stored session still valid for five minutes without a new token (a page view is not a session).
  function resume() {
    if (!state.token || !state.exp || new Date(state.exp).getTime() - Date.now() < 300000 || identity) return session();
    return api("GET", "/settings").then(function (r) {
      if (r.status !== 200) return session();
      apply(r.data);
      scheduleRefresh();
    });
  }

  function apply(ch) {
    settings = ch;
    if (ch.accent_color) w.style.setProperty("--a", ch.accent_color);
    if (ch.font) w.style.setProperty("--f", '"' + ch.font.replace(/["\\<>;{}]/g, "") + '", system-ui, sans-serif');
    var a = ch.availability || { open: true };
    away.hidden = a.open;
    status.textContent = a.open ? "We're online" : "We're away";
    if (!a.open) {
      $(".awaymsg").textContent = a.away_message || "We're away right now. Leave a message and we'll get back to you.";
      $(".next").textContent = a.next_open_at ? "We're back " + new Date(a.next_open_at).toLocaleString([], { weekday: "long", hour: "2-digit", minute: "2-digit" }) + "." : "";
      $(".next").hidden = !a.next_open_at;
    }
    showGreeting();
  }

  function showGreeting() {
    var g = log.querySelector(".greeting");
    if (settings && settings.greeting && !messages.length) {
      if (!g) {
        g = bubble({ direction: "outbound", text: settings.greeting });
        g.classList.add("greeting");
        log.insertBefore(g, log.firstChild);
      }
    } else if (g && messages.length && !settings.greeting) {
      g.remove();
    }
  }

  // ---- messages ----
  function bubble(m) {
    var li = document.createElement("li");
    li.className = "m " + (m.direction === "inbound" ? "in" : "out");
    if (m.direction === "outbound" && m.agent_name) {
      var who = document.createElement("span");
      who.className = "who"; who.textContent = m.agent_name;
      li.appendChild(who);
    }
    li.appendChild(document.createTextNode(m.text));
    (m.files || []).forEach(function (f) {
      // A signed link of the visitor's own: it downloads the agent's file without a token.
      var a = document.createElement("a");
      a.className = "file"; a.href = new URL(f.url, origin).href; a.target = "_blank"; a.rel = "noopener";
      a.setAttribute("download", f.name);
      a.textContent = "\uD83D\uDCCE " + f.name + " (" + size(f.size) + ")";
      li.appendChild(a);
    });
    if (m.direction === "outbound" && m.rating && m.rating.url) li.appendChild(ratingButtons(m.rating.url));
    var sr = document.createElement("span");
    sr.className = "sr"; sr.textContent = m.direction === "inbound" ? " (you)" : "";
    li.insertBefore(sr, li.firstChild);
    return li;
  }

  // ratingButtons are a satisfaction survey's 1–5 buttons: a click posts the rating to the survey's link.
  function ratingButtons(url) {
    var box = document.createElement("div");
    box.className = "rate"; box.setAttribute("role", "group"); box.setAttribute("aria-label", "Rate the support, 1 (very unsatisfied) to 5 (very satisfied)");
    var note = document.createElement("span");
    note.className = "rated"; note.setAttribute("role", "status");
    [1, 2, 3, 4, 5].forEach(function (n) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = n + " \u2605"; b.setAttribute("aria-pressed", "false"); b.setAttribute("data-rating", String(n));
      b.addEventListener("click", function () {
        fetch(new URL(url, origin).href, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ rating: n }), credentials: "omit" })
          .then(function (r) {
            if (!r.ok) throw new Error(r.status === 410 ? "This survey is closed." : "Could not save your rating.");
            box.querySelectorAll("button").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
            note.textContent = "Thank you! You rated " + n + " of 5.";
          })
          .catch(function (e) { note.textContent = e.message || "Could not save your rating."; });
      });
      box.appendChild(b);
    });
    box.appendChild(note);
    return box;
  }

  // add shows a message once: a pending bubble of the same client_id becomes the stored message.
  function add(m) {
    if (byID[m.id]) return;
    var pending = m.client_id && log.querySelector("[data-client='" + cssEscape(m.client_id) + "']");
    if (pending) {
      pending.classList.remove("pending", "failed");
      pending.removeAttribute("data-client");
      pending.setAttribute("data-id", m.id);
      byID[m.id] = true; messages.push(m);
      return;
    }
    byID[m.id] = true; messages.push(m);
    var li = bubble(m);
    li.setAttribute("data-id", m.id);
    log.appendChild(li);
    if (!state.last || m.id > state.last) { state.last = m.id; save(); }
    if (m.direction === "outbound" && !open) { unread++; showUnread(); }
    scroll();
  }
  function size(n) { return n < 1024 ? n + " B" : n < 1048576 ? Math.round(n / 1024) + " KB" : (n / 1048576).toFixed(1) + " MB"; }
  function cssEscape(s) { return String(s).replace(/[^A-Za-z0-9_-]/g, "\\$&"); }
  function scroll() { log.scrollTop = log.scrollHeight; }
  function showUnread() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    launch.setAttribute("aria-label", unread ? "Open chat, " + unread + " unread" : "Open chat");
  }
  function showError(e) {
    err.textContent = e && e.message ? e.message : String(e || "");
    err.hidden = !err.textContent;
  }

  function history() {
    return api("GET", "/messages?limit=500", null, state.token).then(function (r) {
      if (r.status !== 200) return;
      var before = unread;
      r.data.items.forEach(add);
      unread = before; showUnread(); // history is not news
      showGreeting();
    });
  }

  // listen keeps an EventSource open; it reconnects by itself (resuming with Last-Event-ID),
  // and after a refused token the session is refreshed first.
  function listen() {
    if (es) es.close();
    var url = base + "/events?visitor_token=" + encodeURIComponent(state.token) + (state.last ? "&after=" + encodeURIComponent(state.last) : "");
    es = new EventSource(url);
    es.addEventListener("message", function (ev) {
      retry = 1000;
      try { add(JSON.parse(ev.data)); } catch (e) { /* ignore a malformed event */ }
    });
    es.onopen = function () { retry = 1000; };
    es.onerror = function () {
      if (es.readyState !== EventSource.CLOSED) return; // reconnecting by itself
      var wait = retry; retry = Math.min(retry * 2, 30000);
      setTimeout(function () { session().then(listen, function () { setTimeout(listen, wait); }); }, wait);
    };
  }

  var started = null;
  function start() {
    if (!started) {
      started = resume().then(function () { return history(); }).then(listen);
      started.catch(function (e) { started = null; showError(e); });
    }
    return started;
  }

  function send(t) {
    var id = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
    var li = bubble({ direction: "inbound", text: t });
    li.classList.add("pending");
    li.setAttribute("data-client", id);
    log.appendChild(li); scroll();
    var g = log.querySelector(".greeting"); if (g) g.setAttribute("data-kept", "");
    var busy = 0;
    var post = function (again) {
      return api("POST", "/messages", { client_id: id, text: t }, state.token).then(function (r) {
        if (r.status === 401 && !again) return session().then(function () { return post(true); });
        if (r.status === 503 && r.retryAfter && busy < 6) {
          // The desk is over its intake limit: the message stays pending and goes again after the wait (same client_id: stored once).
          busy++;
          var wait = Math.min(Math.max(parseInt(r.retryAfter, 10) || 1, 1), 30);
          showError("The desk is busy; sending again in " + wait + " s.");
          return new Promise(function (resolve) { setTimeout(resolve, wait * 1000); }).then(function () { return post(again); });
        }
        if (r.status === 202 || r.status === 200) {
          showError("");
          add({ id: r.data.id, client_id: id, direction: "inbound", text: t });
          if (r.data.availability) apply(Object.assign({}, settings, { availability: r.data.availability }));
          return;
        }
        li.classList.add("failed");
        if (r.status === 429) throw new Error("You're sending messages quickly; try again in " + (r.retryAfter || "a few") + " s.");
        throw new Error((r.data && r.data.detail) || "The message was not sent (" + r.status + ").");
      });
    };
    return start().then(function () { return post(false); }).catch(function (e) { li.classList.add("failed"); showError(e); });
  }

  // ---- interaction ----
  function setOpen(v) {
    open = v;
    panel.hidden = !v;
    launch.setAttribute("aria-expanded", String(v));
    launch.setAttribute("aria-label", v ? "Close chat" : "Open chat");
    if (v) {
      unread = 0; showUnread(); launch.setAttribute("aria-label", "Close chat");
      start();
      setTimeout(function () { text.focus(); scroll(); }, 0);
    } else {
      launch.focus();
    }
  }
  launch.addEventListener("click", function () { setOpen(!open); });
  $(".x").addEventListener("click", function () { setOpen(false); });
  root.addEventListener("keydown", function (e) { if (e.key === "Escape" && open) { e.preventDefault(); setOpen(false); } });
  $(".compose").addEventListener("submit", function (e) {
    e.preventDefault();
    var t = text.value.trim();
    if (!t) return;
    text.value = "";
    send(t);
  });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $(".compose").requestSubmit(); }
  });
  $(".emailform").addEventListener("submit", function (e) {
    e.preventDefault();
    var email = $("#rd-email").value.trim();
    start().then(function () { return session({ email: email }); }).then(function () {
      $(".emailform").hidden = true;
      var s = $(".saved"); s.hidden = false; s.textContent = "Thanks! We'll answer at " + email + ".";
    }, showError);
  });

  // A returning visitor: restore the conversation (and the unread badge) without opening the panel;
  // a new one only reads the branding, so a page view creates no visitor.
  if (state.token) start();
  else api("GET", "/settings").then(function (r) { if (r.status === 200 && !settings) apply(r.data); }, function () {});

  window.RoutedeskChat = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    identify: function (id) { identity = id; return state.token || started ? session(id) : Promise.resolve(); }
  };
})();
