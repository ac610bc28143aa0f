// Small helpers shared by the live pages. Text only ever goes in through textContent or
// setAttribute: nothing pushed by the server (names, prompts) is parsed as HTML.

/**
 * Build an element. attrs: {class, text, hidden, dataset: {...}, on: {click: fn}, any-attribute: value}.
 * Children: nodes, strings (as text), arrays of them; null/undefined/false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    else if (key === "on") for (const [name, fn] of Object.entries(value)) el.addEventListener(name, fn);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  // What people type takes its own direction (an Arabic reflection on an English page, and the reverse).
  if ((tag === "textarea" || (tag === "input" && ["text", "search", undefined].includes(attrs?.type))) && !attrs?.dir) {
    el.setAttribute("dir", "auto");
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace an element's children, keeping keyboard focus on the "same" control (data-focus-key). */
export function fill(el, ...children) {
  const active = document.activeElement;
  const inside = Boolean(active) && active !== el && el.contains(active);
  const key = inside ? active.dataset.focusKey : undefined;
  const frag = document.createDocumentFragment();
  append(frag, children);
  el.replaceChildren(frag);
  if (inside) {
    const again = key ? el.querySelector(`[data-focus-key="${CSS.escape(key)}"]`) : null;
    if (again) again.focus({ preventScroll: true });
    else (el.closest("[tabindex='-1']") || el.closest("section, [role=region]"))?.focus?.({ preventScroll: true });
  }
  return el;
}

/** The JSON in a <script type="application/json"> data block (not executed: the CSP stays strict). */
export function readJson(id, fallback = {}) {
  const el = document.getElementById(id);
  if (!el) return fallback;
  try {
    return JSON.parse(el.textContent);
  } catch {
    return fallback;
  }
}

/** The page's language (<html lang>, the viewer's own), for numbers and plurals. */
export const LANG = document.documentElement.lang || "en";
const numbers = new Intl.NumberFormat(LANG, { maximumFractionDigits: 2, useGrouping: false }); // counts, limits, averages
const plurals = new Intl.PluralRules(LANG);

const RTL_PAGE = document.documentElement.dir === "rtl";
const STRONG_RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;
const STRONG_LTR = /[A-Za-z\u00C0-\u02AF\u0370-\u052F]/;

/** A name or title put into a sentence of the other direction ("Rosa" in Arabic, "أمينة" in English)
 * is isolated (U+2068 FIRST STRONG ISOLATE ... U+2069), so it can't reorder the words around it. */
export function isolate(text) {
  return (RTL_PAGE ? STRONG_LTR : STRONG_RTL).test(text) ? `\u2068${text}\u2069` : text;
}

/** "{name} is speaking" + {name: "Rosa"} -> "Rosa is speaking". Unknown placeholders stay as they are.
 * A template with plural forms ({one: ..., few: ..., other: ...}, from the server's catalogue) is
 * chosen by `values.n` with the language's plural rules; numbers are written the language's way. */
export function fmt(template, values = {}) {
  const text = template && typeof template === "object" ? template[plurals.select(values.n)] ?? template.other : template;
  return String(text ?? "").replace(/\{(\w+)\}/g, (all, key) => {
    if (!(key in values)) return all;
    const value = values[key];
    return typeof value === "number" ? numbers.format(value) : isolate(String(value));
  });
}

/** A shipped plan's words in the viewer's language: the view as the server sent it (the same for
 * everyone with this role), with each text of the plan swapped through `table` (source -> own language;
 * a text a facilitator wrote is not in it and stays as written). Keys and values used in commands stay. */
export function planText(view, table) {
  if (!view || !table || !Object.keys(table).length) return view;
  const t = (text) => (typeof text === "string" && table[text]) || text;
  const phase = (p) => p && {
    ...p,
    title: t(p.title),
    prompts: (p.prompts || []).map(t),
    listener_prompts: (p.listener_prompts || []).map(t),
    card_fields: (p.card_fields || []).map((f) => ({ ...f, label: t(f.label) })),
  };
  const out = { ...view };
  if (view.phase) out.phase = phase(view.phase);
  if (Array.isArray(view.phases)) out.phases = view.phases.map((p) => ({ ...p, title: t(p.title) }));
  if (Array.isArray(view.agreements)) out.agreements = view.agreements.map(t);
  if (Array.isArray(view.drafts)) {
    out.drafts = view.drafts.map((d) => ({ ...d, sections: (d.sections || []).map((s) => ({ ...s, title: t(s.title) })) }));
  }
  return out;
}

/** Milliseconds since the epoch for an ISO 8601 time (any number of fraction digits), or NaN. */
export function parseTime(iso) {
  if (!iso) return NaN;
  const trimmed = String(iso).replace(/(\.\d{3})\d+/, "$1").replace(/Z$/, "+00:00");
  return Date.parse(trimmed);
}

/** 75 -> "01:15", 3725 -> "1:02:05"; negative values count as zero. */
export function clock(seconds) {
  const total = Math.max(0, Math.ceil(seconds));
  const hours = Math.floor(total / 3600);
  const mins = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return hours ? `${hours}:${two(mins)}:${two(secs)}` : `${two(mins)}:${two(secs)}`;
}

/** Elapsed seconds as "m:ss" (airtime); never negative. */
export function duration(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const mins = Math.floor(total / 60);
  return `${mins}:${String(total % 60).padStart(2, "0")}`;
}

/** Seconds a view timer has left at server time `nowMs`; null when it isn't running or paused. */
export function remaining(timer, nowMs) {
  if (!timer) return null;
  if (timer.paused_remaining !== null && timer.paused_remaining !== undefined) return timer.paused_remaining;
  if (!timer.deadline) return null;
  return Math.max(0, (parseTime(timer.deadline) - nowMs) / 1000);
}

/** Whether a timer is paused (it keeps its time left but doesn't count down). */
export function paused(timer) {
  return Boolean(timer) && timer.paused_remaining !== null && timer.paused_remaining !== undefined;
}

const timeFormat = new Intl.DateTimeFormat(LANG, { hour: "2-digit", minute: "2-digit" });

/** A UTC ISO time as the viewer's wall clock, e.g. "14:05". */
export function localTime(iso) {
  const ms = parseTime(iso);
  return Number.isNaN(ms) ? "" : timeFormat.format(new Date(ms));
}

/**
 * A polite live region for screen readers. Messages said within a moment of each other are read
 * together; the same message twice in a row is said once.
 */
export class Announcer {
  constructor(el) {
    this.el = el;
    this.queue = [];
    this.timer = null;
    this.last = "";
  }

  say(message) {
    if (!message || !this.el) return;
    if (this.queue.includes(message)) return;
    this.queue.push(message);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), 150);
  }

  flush() {
    const text = this.queue.map((m) => (/[.!?…。]$/.test(m) ? m : `${m}.`)).join(" ");
    this.queue = [];
    if (!text) return;
    // Clearing first makes screen readers read a repeated message again.
    this.el.textContent = "";
    setTimeout(() => {
      this.el.textContent = text;
      this.last = text;
    }, 50);
  }
}

/** A short message in an alert region (role="alert"), hidden again after a while. */
export class Toast {
  constructor(el) {
    this.el = el;
    this.timer = null;
  }

  show(message, { kind = "error", seconds = 8 } = {}) {
    if (!this.el || !message) return;
    clearTimeout(this.timer);
    this.el.className = `live-toast live-toast--${kind}`;
    this.el.textContent = message;
    this.el.hidden = false;
    this.timer = setTimeout(() => this.hide(), seconds * 1000);
  }

  hide() {
    if (!this.el) return;
    this.el.hidden = true;
    this.el.textContent = "";
  }
}

/**
 * Ask before doing something that can't be undone, with a <dialog> (keyboard and screen-reader
 * friendly, and no inline script). Resolves to true when confirmed.
 */
export function confirmDialog({ title, message = "", confirm, cancel, danger = false }) {
  return new Promise((resolve) => {
    const ok = h("button", { type: "button", class: ["btn", danger ? "btn--danger" : "btn--primary"], text: confirm });
    const no = h("button", { type: "button", class: "btn", text: cancel });
    const dialog = h(
      "dialog",
      { class: "live-dialog", "aria-labelledby": "live-dialog-title" },
      h("h2", { id: "live-dialog-title", text: title }),
      message ? h("p", { text: message }) : null,
      h("div", { class: "actions" }, ok, no),
    );
    const previous = document.activeElement;
    let answered = false;
    const finish = (answer) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      if (previous && previous.isConnected) previous.focus({ preventScroll: true });
      resolve(answer);
    };
    ok.addEventListener("click", () => finish(true));
    no.addEventListener("click", () => finish(false));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    no.focus();
  });
}

/** Call `fn` every second, on the second, while the page is visible; returns a stop function. */
export function everySecond(fn) {
  let handle = null;
  const schedule = () => {
    handle = setTimeout(() => {
      fn();
      schedule();
    }, 1000 - (Date.now() % 1000) + 5);
  };
  schedule();
  return () => clearTimeout(handle);
}

/**
 * The connection indicator: a dot plus words (never colour alone). Returns a function taking
 * "connecting" | "connected" | "reconnecting" | "offline" | "denied" | "crowded"; strings come from the page.
 */
export function connectionIndicator(el, strings) {
  const text = el?.querySelector("[data-live-conn-text]");
  return (status) => {
    if (!el) return;
    el.className = `live-conn live-conn--${status}`;
    el.dataset.status = status;
    if (text) text.textContent = strings[status] || status;
  };
}

/** 95 minutes -> "1:35" (hours and minutes). */
export function hoursMinutes(minutes) {
  const total = Math.max(0, Math.round(minutes));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

// Small line icons drawn as SVG (emoji fonts are missing on many devices). Always decorative:
// each sits next to words that say the same thing.
const ICONS = {
  hand: [
    ["path", { d: "M18 11V6a2 2 0 0 0-4 0v5" }],
    ["path", { d: "M14 10V4a2 2 0 0 0-4 0v6" }],
    ["path", { d: "M10 10.5V6a2 2 0 0 0-4 0v8" }],
    ["path", { d: "M18 8a2 2 0 1 1 4 0v6a8 8 0 0 1-8 8h-2c-2.8 0-4.5-.9-6-2.3l-3.6-3.6a2 2 0 0 1 2.8-2.8L7 15" }],
  ],
  mic: [
    ["rect", { x: "9", y: "2", width: "6", height: "12", rx: "3" }],
    ["path", { d: "M19 10v1a7 7 0 0 1-14 0v-1" }],
    ["path", { d: "M12 18v4M8 22h8" }],
  ],
  play: [["path", { d: "M7 4.5v15l12-7.5z", fill: "currentColor" }]],
  next: [["path", { d: "M5 5v14l10-7z", fill: "currentColor" }], ["path", { d: "M19 5v14" }]],
  clock: [["circle", { cx: "12", cy: "13", r: "8" }], ["path", { d: "M12 9v4l2.5 2.5M9 2h6M12 2v3" }]],
  check: [["path", { d: "M20 6 9 17l-5-5" }]],
  pass: [["path", { d: "M15 14l5-5-5-5" }], ["path", { d: "M20 9H9.5A5.5 5.5 0 0 0 4 14.5V20" }]],
  down: [["path", { d: "M12 5v14M19 12l-7 7-7-7" }]],
  up: [["path", { d: "M12 19V5M5 12l7-7 7 7" }]],
  grip: [
    ["circle", { cx: "9", cy: "6", r: "1.4", fill: "currentColor" }],
    ["circle", { cx: "15", cy: "6", r: "1.4", fill: "currentColor" }],
    ["circle", { cx: "9", cy: "12", r: "1.4", fill: "currentColor" }],
    ["circle", { cx: "15", cy: "12", r: "1.4", fill: "currentColor" }],
    ["circle", { cx: "9", cy: "18", r: "1.4", fill: "currentColor" }],
    ["circle", { cx: "15", cy: "18", r: "1.4", fill: "currentColor" }],
  ],
  heart: [
    ["path", { d: "M20.8 4.6a5.5 5.5 0 0 0-7.8 0L12 5.7l-1-1.1a5.5 5.5 0 0 0-7.8 7.8l1 1.1L12 21.2l7.8-7.7 1-1.1a5.5 5.5 0 0 0 0-7.8z" }],
  ],
};

/** An inline SVG icon (aria-hidden), e.g. icon("hand"). */
export function icon(name, cls = "") {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", `live-svg ${cls}`.trim());
  for (const [tag, attrs] of ICONS[name] || []) {
    const part = document.createElementNS(ns, tag);
    for (const [key, value] of Object.entries(attrs)) part.setAttribute(key, value);
    svg.appendChild(part);
  }
  return svg;
}

/**
 * The one-minute warning: returns check(name, seconds, message), which says `message` once when the
 * timer called `name` goes from more than a minute to a minute or less (not on a page opened later).
 */
export function minuteWarning(announcer) {
  const last = new Map();
  return (name, seconds, message) => {
    const before = last.get(name);
    last.set(name, seconds);
    if (seconds === null || seconds === undefined || before === null || before === undefined) return;
    if (before > 60 && seconds <= 60 && seconds > 0) announcer.say(message);
  };
}

/**
 * Label in name (WCAG 2.5.3): a control shows `label` and should be announced as `aria`. When `aria`
 * holds the visible words it becomes the aria-label; otherwise the visible words stay the name and
 * `aria` follows them as hidden text ("+1 min (Add one minute to the phase)"), so speech input that
 * says what is on the screen still finds the control. Returns {aria, extra} for the builder.
 */
export function nameFor(label, aria) {
  if (!aria) return { aria: null, extra: null };
  const norm = (text) => String(text ?? "").replace(/\s+/g, " ").trim().toLowerCase();
  // Whole words, as speech input and axe see them: "passes" does not hold "Pass".
  const escaped = norm(label).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const whole = new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, "u");
  if (!label || whole.test(norm(aria))) return { aria, extra: null };
  return { aria: null, extra: h("span", { class: "sr-only", text: ` (${aria})` }) };
}
