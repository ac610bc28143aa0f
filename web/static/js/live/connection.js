// The live session's socket, as both live pages use it (protocol: docs/protocol.md).
//
// It says hello with the last seq it holds (kept in memory, and in sessionStorage so a reload
// resumes), reconnects by itself with jittered exponential backoff, pings to notice a dead
// connection within a few seconds, resends unanswered commands with the same id (the server applies
// an id once) and keeps them in sessionStorage until they are answered, so a reload resends them
// too, and estimates the server's clock so countdowns are right even when the device's clock is not.

const PROTOCOL = 1;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15000;
// Heartbeat: a ping after 2 s of silence; nothing heard for 4 s and the page says the link is down
// (checked twice a second, so it shows within 5 s); nothing for 12 s and the socket is replaced.
// A slow but working line (400 ms each way, lost packets resent) answers well within 4 s.
const PING_AFTER_SILENCE_MS = 2000;
const SILENT_IS_DOWN_MS = 4000;
const SILENT_IS_DEAD_MS = 12000;
const WATCH_EVERY_MS = 500;
const OPEN_WITHIN_MS = 15000; // a handshake that hangs this long is given up and retried
const COMMAND_MAX_AGE_MS = 120000; // a command still unsent after this is dropped, not sent late
const DENIED_AFTER_FAILED_OPENS = 2; // then ask checkAccess() whether we're still let in

const CLOSE_POLICY = 1008;
const CLOSE_TRY_AGAIN = 1013;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_RESTART = 1012;
const CLOSE_TOO_MANY_SOCKETS = 4029; // this person has the exchange open in too many tabs or devices
const CROWDED_RETRY_MS = 30000; // then try again about this often: a tab closed elsewhere makes room

let commandCounter = 0;

/** A fresh command id: [A-Za-z0-9_.:-], 8-64 characters, unique enough across tabs and reloads. */
export function newCommandId() {
  commandCounter += 1;
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `c.${Date.now().toString(36)}.${random[0].toString(36)}${random[1].toString(36)}.${commandCounter}`;
}

/**
 * Apply an events frame's "items" to a view (docs/protocol.md): per list, the items new or changed
 * replace those with the same key or are added at the end, removed keys go, and "order", when
 * given, is the list's whole order. Unchanged items stay the very same objects.
 */
export function applyItems(view, items) {
  if (!items) return view;
  for (const [name, delta] of Object.entries(items)) {
    const key = delta.key;
    const old = Array.isArray(view[name]) ? view[name] : [];
    const byKey = new Map(old.map((item) => [item[key], item]));
    for (const gone of delta.remove || []) byKey.delete(gone);
    const order = old.map((item) => item[key]).filter((k) => byKey.has(k));
    for (const item of delta.upsert || []) {
      if (!byKey.has(item[key])) order.push(item[key]);
      byKey.set(item[key], item);
    }
    view[name] = (delta.order || order).map((k) => byKey.get(k)).filter(Boolean);
  }
  return view;
}

function parseServerTime(iso) {
  if (!iso) return NaN;
  return Date.parse(String(iso).replace(/(\.\d{3})\d+/, "$1"));
}

/**
 * Callbacks (each on... method adds a listener and returns a function that removes it):
 *   onWelcome({role, id, name})       who the server says we are
 *   onView(view, {seq, resumed})       the whole role view after a snapshot or events frame
 *   onEvents(envelopes, {seq, resumed}) new events only, right after onView of the view they lead to
 *                                      (resumed: they arrived on (re)connecting)
 *   onPresence(onlineIds)
 *   onStatus(status)                   "connecting" | "connected" | "reconnecting" | "offline" | "denied"
 *                                      | "crowded" (too many of this person's sockets are open)
 *   onRejected({id, code, message, command})  a command the server refused (show the message)
 *   onPersonal(data, {seq})            what only this practitioner sees (their notes, votes, ...);
 *                                      kept apart from the events seq: it neither advances nor is
 *                                      dropped by it (the latest one always wins)
 *   onError({code, message})           the server didn't understand a frame
 */
export class LiveConnection {
  constructor({ exchangeId, storageKey, outboxKey, url, checkAccess } = {}) {
    if (!exchangeId) throw new Error("LiveConnection needs an exchangeId");
    this.exchangeId = String(exchangeId);
    this.url = url || `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/e/${this.exchangeId}/ws`;
    this.storageKey = storageKey || `story-exchange:seq:${this.exchangeId}`;
    this.checkAccess = checkAccess || null;
    this.lastSeq = this.readStoredSeq();
    this.view = null;
    this.personal = null; // the latest personal frame's data (practitioners only)
    this.you = null;
    this.status = null;
    this.offsetMs = 0; // server clock minus our clock
    this.bestRtt = Infinity;
    this.outboxKey = outboxKey || null; // sessionStorage: commands not yet answered, across reloads
    this.pending = new Map(); // id -> {command, resolve, createdAt, meta}
    this.restorePending();
    this.listeners = {};
    this.ws = null;
    this.attempt = 0;
    this.failedOpens = 0;
    this.everConnected = false;
    this.synced = false;
    this.stopped = false;
    this.timers = {};
    this.helloSentAt = 0;
    this.lastHeard = 0; // when the current socket last brought anything
    this.pingSentAt = 0;
    this.down = false; // silent too long: shown as reconnecting while we wait for a sign of life
    this.lastError = null; // the code of the last error frame on this socket

    this.handleOnline = () => this.wake();
    this.handleOffline = () => {
      this.setStatus("offline");
      this.down = Boolean(this.synced); // any frame heard after this shows it connected again
      this.ping(); // a pong proves the socket still works after all
    };
    this.handleVisible = () => {
      if (document.visibilityState === "visible") this.wake();
    };
  }

  // --- listeners -----------------------------------------------------------------------------

  on(name, fn) {
    (this.listeners[name] ||= new Set()).add(fn);
    return () => this.listeners[name].delete(fn);
  }

  emit(name, ...args) {
    for (const fn of this.listeners[name] || []) {
      try {
        fn(...args);
      } catch (error) {
        console.error(`live: ${name} listener failed`, error);
      }
    }
  }

  onWelcome(fn) { return this.on("welcome", fn); }
  onView(fn) { return this.on("view", fn); }
  onEvents(fn) { return this.on("events", fn); }
  onPresence(fn) { return this.on("presence", fn); }
  onStatus(fn) { return this.on("status", fn); }
  onRejected(fn) { return this.on("rejected", fn); }
  onError(fn) { return this.on("error", fn); }
  onPersonal(fn) { return this.on("personal", fn); }
  /** fn(result, meta) once a command is answered (acked or refused), also one sent before a reload. */
  onSettled(fn) { return this.on("settled", fn); }

  // --- lifecycle -----------------------------------------------------------------------------

  start() {
    this.stopped = false;
    window.addEventListener("online", this.handleOnline);
    window.addEventListener("offline", this.handleOffline);
    document.addEventListener("visibilitychange", this.handleVisible);
    this.open();
    return this;
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.handleOnline);
    window.removeEventListener("offline", this.handleOffline);
    document.removeEventListener("visibilitychange", this.handleVisible);
    this.clearTimers();
    this.drop(1000);
  }

  get connected() {
    return this.status === "connected";
  }

  /** Milliseconds since the epoch by the server's clock. */
  now() {
    return Date.now() + this.offsetMs;
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.emit("status", status);
  }

  open() {
    if (this.stopped || this.status === "denied") return;
    this.clearTimers();
    this.synced = false;
    if (navigator.onLine === false) {
      this.setStatus("offline");
    } else {
      this.setStatus(this.everConnected || this.attempt > 0 ? "reconnecting" : "connecting");
    }
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      console.error("live: can't open the socket", error);
      this.retry();
      return;
    }
    this.ws = ws;
    let opened = false;
    this.timers.open = setTimeout(() => {
      if (this.ws === ws && !opened) {
        this.drop();
        this.failedOpens += 1;
        this.retry();
      }
    }, OPEN_WITHIN_MS);
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      opened = true;
      clearTimeout(this.timers.open);
      this.helloSentAt = Date.now();
      this.lastError = null;
      this.sendFrame({ type: "hello", protocol: PROTOCOL, last_seq: this.lastSeq > 0 ? this.lastSeq : null });
    });
    ws.addEventListener("message", (message) => {
      if (this.ws === ws) this.receive(message.data);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.closed(event, opened);
    });
    // "error" is always followed by "close"; nothing to do here.
  }

  /** Forget the current socket (closing it if it still looks open) without waiting for it. */
  drop(code) {
    const ws = this.ws;
    this.ws = null;
    this.synced = false;
    this.down = false;
    clearInterval(this.timers.watch);
    if (ws && ws.readyState <= WebSocket.OPEN) {
      try {
        ws.close(code || 1000);
      } catch {
        // Already closing.
      }
    }
  }

  closed(event, opened) {
    clearInterval(this.timers.watch);
    clearTimeout(this.timers.open);
    this.synced = false;
    this.down = false;
    if (this.stopped) return;
    if (event.code === CLOSE_POLICY && this.lastError !== "hello_expected") {
      // Not allowed (signed out, link revoked, ...): retrying won't help. (A hello that reached
      // the server too late on a slow line is refused with 1008 too, after an error frame saying so.)
      this.deny();
      return;
    }
    if (event.code === CLOSE_TOO_MANY_SOCKETS) {
      this.crowded();
      return;
    }
    if (!opened) this.failedOpens += 1;
    // A handshake the server refuses reaches the page as a bare 1006: ask the page whether we're
    // still let in before trying forever.
    const beyond = this.failedOpens - DENIED_AFTER_FAILED_OPENS;
    const askNow = beyond >= 0 && beyond % 3 === 0; // not on every retry: it costs a page load
    if (!opened && this.checkAccess && askNow) {
      this.setStatus(navigator.onLine === false ? "offline" : "reconnecting");
      Promise.resolve()
        .then(() => this.checkAccess())
        .then((answer) => (answer === "denied" ? this.deny() : this.retry()))
        .catch(() => this.retry());
      return;
    }
    if (event.code === CLOSE_GOING_AWAY || event.code === CLOSE_RESTART) {
      this.retry({ soon: true });
    } else {
      this.retry({ slow: event.code === CLOSE_TRY_AGAIN });
    }
  }

  /** Too many of this person's tabs or devices are connected: say so, and look again now and then. */
  crowded() {
    if (this.stopped || this.status === "denied") return;
    clearTimeout(this.timers.retry);
    this.setStatus("crowded");
    this.timers.retry = setTimeout(() => this.open(), CROWDED_RETRY_MS * (0.75 + Math.random() / 2));
  }

  deny() {
    this.clearTimers();
    this.drop();
    this.setStatus("denied");
  }

  /** Try again after a jittered, growing delay (soon: right away, as after a server restart). */
  retry({ soon = false, slow = false } = {}) {
    if (this.stopped || this.status === "denied") return;
    clearTimeout(this.timers.retry);
    if (navigator.onLine === false) {
      this.setStatus("offline");
      return; // the "online" event brings us back
    }
    this.setStatus("reconnecting");
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    let delay = Math.random() * ceiling; // full jitter
    if (soon) delay = Math.random() * 250;
    if (slow) delay = Math.max(delay, BACKOFF_BASE_MS * 2);
    this.attempt += 1;
    this.timers.retry = setTimeout(() => this.open(), delay);
  }

  /** The device came back (online again, or the page is visible again): reconnect now if down. */
  wake() {
    if (this.stopped || this.status === "denied") return;
    if (this.ws && this.synced) {
      this.ping(); // a socket that slept may be dead without knowing it yet
      return;
    }
    if (this.ws && this.ws.readyState === WebSocket.CONNECTING) return;
    this.attempt = 0;
    clearTimeout(this.timers.retry);
    this.drop();
    this.open();
  }

  clearTimers() {
    for (const handle of Object.values(this.timers)) {
      clearTimeout(handle);
      clearInterval(handle);
    }
    this.timers = {};
  }

  // --- frames in -----------------------------------------------------------------------------

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    this.heard();
    switch (frame.type) {
      case "welcome":
        this.you = frame.you || null;
        this.clockSample(frame.server_time, this.helloSentAt, Date.now());
        this.emit("welcome", this.you);
        break;
      case "snapshot":
        this.snapshot(frame);
        break;
      case "events":
        this.events(frame);
        break;
      case "ack":
        this.settle(frame.id, { ok: true, seq: frame.seq });
        break;
      case "rejected":
        this.rejected(frame);
        break;
      case "personal":
        // Separate from the events stream: never touches lastSeq, never skipped by it.
        this.personal = frame.data && typeof frame.data === "object" ? frame.data : null;
        if (this.personal) this.emit("personal", this.personal, { seq: Number(frame.seq) || 0 });
        break;
      case "presence":
        this.emit("presence", Array.isArray(frame.online) ? frame.online : []);
        break;
      case "pong":
        this.pingSentAt = 0;
        this.clockSample(frame.server_time, frame.t, Date.now());
        break;
      case "error":
        this.lastError = frame.code;
        this.emit("error", { code: frame.code, message: frame.message });
        break;
      default:
        break;
    }
  }

  snapshot(frame) {
    // A snapshot is the whole truth, even when its seq is lower than ours (a rebuilt server).
    this.lastSeq = Number(frame.seq) || 0;
    this.storeSeq();
    this.view = frame.view;
    const resumed = !this.synced;
    this.emit("view", frame.view, { seq: this.lastSeq, resumed });
    if (resumed) this.synced_();
  }

  events(frame) {
    const seq = Number(frame.seq) || 0;
    const first = !this.synced;
    // The first frame after hello always brings the view (a reload knows the seq but not the view).
    if (seq <= this.lastSeq && !first) return;
    const fresh = (frame.events || []).filter((envelope) => envelope.seq > this.lastSeq);
    if (!frame.view && !this.view) {
      // Changes can only be applied to a view we hold; this never happens unless the server errs.
      this.ws?.close(4000, "resync");
      return;
    }
    this.lastSeq = Math.max(this.lastSeq, seq);
    this.storeSeq();
    // A live batch carries only the parts of the view that changed, and of its lists only the items
    // that changed; the first frame has it whole.
    this.view = frame.view || applyItems({ ...this.view, ...frame.changes }, frame.items);
    this.emit("view", this.view, { seq, resumed: first });
    if (fresh.length) this.emit("events", fresh, { seq, resumed: first });
    if (first) this.synced_();
  }

  synced_() {
    this.synced = true;
    this.everConnected = true;
    this.attempt = 0;
    this.failedOpens = 0;
    this.setStatus("connected");
    this.flush();
    this.watch();
  }

  rejected(frame) {
    const entry = this.pending.get(frame.id);
    const result = { ok: false, id: frame.id, code: frame.code, message: frame.message, command: entry?.command };
    this.settle(frame.id, result);
    this.emit("rejected", result);
  }

  settle(id, result) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    this.storePending();
    this.emit("settled", { ...result, id }, entry.meta || {});
    entry.resolve(result);
  }

  // --- frames out ----------------------------------------------------------------------------

  sendFrame(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Send a command; resolves to {ok: true, seq} once it is durable, or {ok: false, code, message}.
   * While the connection is down it waits, and it is resent with the same id after reconnecting.
   */
  send(command, { id = newCommandId(), meta = null } = {}) {
    return new Promise((resolve) => {
      this.pending.set(id, { command, resolve, createdAt: Date.now(), meta });
      this.storePending();
      if (this.synced) this.sendFrame({ type: "command", id, command });
    });
  }

  /** The commands still waiting for an answer, oldest first: [{id, command, meta}]. */
  waiting() {
    return [...this.pending].map(([id, entry]) => ({ id, command: entry.command, meta: entry.meta || {} }));
  }

  /** (Re)send every command still waiting for its answer, oldest first, with its own id. */
  flush() {
    const now = Date.now();
    for (const [id, entry] of this.pending) {
      if (now - entry.createdAt > COMMAND_MAX_AGE_MS) {
        const result = { ok: false, id, code: "not_sent", message: "", command: entry.command };
        this.settle(id, result);
        this.emit("rejected", result);
        continue;
      }
      this.sendFrame({ type: "command", id, command: entry.command });
    }
  }

  /** Has a command been sent but not answered yet? */
  get busy() {
    return this.pending.size > 0;
  }

  /** Anything from the server proves the link works: a page shown as down is connected again. */
  heard() {
    this.lastHeard = Date.now();
    if (this.down && this.synced) {
      this.down = false;
      this.setStatus("connected");
    }
  }

  ping() {
    if (!this.synced) return;
    if (this.sendFrame({ type: "ping", t: Date.now() })) this.pingSentAt = Date.now();
  }

  /** The heartbeat: ping after a short silence, show a silent link as down, replace a dead one. */
  watch() {
    clearInterval(this.timers.watch);
    this.lastHeard = Date.now();
    this.pingSentAt = 0;
    this.down = false;
    this.timers.watch = setInterval(() => {
      if (!this.ws || !this.synced) return;
      const now = Date.now();
      const silent = now - this.lastHeard;
      if (silent >= SILENT_IS_DEAD_MS) {
        this.dead();
        return;
      }
      if (silent >= SILENT_IS_DOWN_MS && !this.down) {
        this.down = true;
        this.setStatus(navigator.onLine === false ? "offline" : "reconnecting");
      }
      if (silent >= PING_AFTER_SILENCE_MS && now - this.pingSentAt >= PING_AFTER_SILENCE_MS) this.ping();
    }, WATCH_EVERY_MS);
  }

  /** No sign of life for long: the connection is gone even if the socket hasn't noticed. */
  dead() {
    if (!this.ws) return;
    this.drop(4000);
    this.retry({ soon: true });
  }

  clockSample(serverIso, sentAt, receivedAt) {
    const server = parseServerTime(serverIso);
    if (Number.isNaN(server)) return;
    const rtt = typeof sentAt === "number" && sentAt > 0 ? Math.max(0, receivedAt - sentAt) : 1000;
    // The server read its clock about half a round trip before we got the answer. Keep the
    // estimate from the quickest round trip; an old one ages so a changed clock is followed.
    const offset = server + rtt / 2 - receivedAt;
    this.bestRtt *= 1.25;
    if (rtt <= this.bestRtt) {
      this.bestRtt = rtt;
      this.offsetMs = offset;
    }
  }

  // --- resume across reloads -----------------------------------------------------------------

  /** Commands sent before a reload and never answered: resent (same id) once connected. */
  restorePending() {
    if (!this.outboxKey) return;
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.outboxKey) || "[]");
      for (const entry of Array.isArray(saved) ? saved : []) {
        if (!entry || typeof entry.id !== "string" || !entry.command) continue;
        this.pending.set(entry.id, { command: entry.command, resolve: () => {}, createdAt: Number(entry.createdAt) || Date.now(), meta: entry.meta || {} });
      }
    } catch {
      // Nothing kept, or unreadable: nothing to resend.
    }
  }

  storePending() {
    if (!this.outboxKey) return;
    try {
      if (!this.pending.size) {
        sessionStorage.removeItem(this.outboxKey);
        return;
      }
      const list = [...this.pending].map(([id, e]) => ({ id, command: e.command, createdAt: e.createdAt, meta: e.meta || {} }));
      sessionStorage.setItem(this.outboxKey, JSON.stringify(list));
    } catch {
      // Private mode or storage full: the page still resends while it stays open.
    }
  }

  readStoredSeq() {
    try {
      const raw = sessionStorage.getItem(this.storageKey);
      const seq = raw === null ? 0 : Number.parseInt(raw, 10);
      return Number.isFinite(seq) && seq > 0 ? seq : 0;
    } catch {
      return 0;
    }
  }

  storeSeq() {
    try {
      sessionStorage.setItem(this.storageKey, String(this.lastSeq));
    } catch {
      // Private mode or storage full: resuming within this page still works.
    }
  }
}
