// The content of each phase (agreements, stories, cards and votes, points made and actions, the shared draft,
// feedback, the facilitator's notes), shared by the practitioner's page and the console.
//
// Regions are rebuilt from the view whenever it changes, so what people type is kept here (by a
// stable key) and put back on every rebuild, with the caret where it was. Text only ever goes in
// through textContent (dom.js h()).

import { fill, fmt, h, icon, localTime, nameFor } from "./dom.js";

const inputs = new Map(); // form key -> unsaved value (string, boolean or array)
const busy = new Set(); // form keys whose command is on its way
const open = new Set(); // items whose edit form is open
const bases = new Map(); // draft section key -> the version the unsaved text was started from
const baseTexts = new Map(); // draft section key -> the text of that version (the three-way merge's base)
const merged = new Map(); // draft section key -> what "Add their changes" did, to say next to the field
const conflicts = new Set(); // draft section keys refused as stale: show their text next to mine
const sentNote = new Map(); // form key -> the word shown under it after its command arrived ("Sent")
let uiVersion = 0;
let ctx = null;
let draftsKey = null; // sessionStorage key of what is typed here (per exchange and person)
let storeTimer = null;

const SENT_SHOWN_MS = 6000;
const STILL_SENDING_MS = 1500;

// What someone types is kept in `inputs` until the server acknowledged the command that carried it,
// and in sessionStorage, so a reply that comes late, a dropped line or a reload loses nothing.
function remember(key, val) {
  inputs.set(key, val);
  storeDrafts();
}

function forget(key) {
  inputs.delete(key);
  storeDrafts();
}

function storeDrafts() {
  if (!draftsKey) return;
  clearTimeout(storeTimer);
  storeTimer = setTimeout(() => {
    try {
      const kept = { inputs: [...inputs], bases: [...bases], open: [...open] };
      if (!inputs.size && !open.size) sessionStorage.removeItem(draftsKey);
      else sessionStorage.setItem(draftsKey, JSON.stringify(kept));
    } catch {
      // Private mode or storage full: the text is still kept while the page is open.
    }
  }, 100);
}

/**
 * Keep what is typed on this page in sessionStorage under `key` (one per exchange and person), and
 * bring back what was kept there before a reload. `waiting`: the commands the connection still holds
 * unanswered from before the reload ([{meta: {form}}]): their forms show "Sending…" again.
 */
export function keepDrafts(key, waiting = []) {
  draftsKey = key;
  try {
    const kept = JSON.parse(sessionStorage.getItem(key) || "null");
    if (kept && typeof kept === "object") {
      for (const [k, v] of kept.inputs || []) if (!inputs.has(k)) inputs.set(k, v);
      for (const [k, v] of kept.bases || []) if (!bases.has(k)) bases.set(k, v);
      for (const k of kept.open || []) open.add(k);
    }
  } catch {
    // Nothing kept, or unreadable.
  }
  for (const entry of waiting) if (entry.meta?.form) busy.add(entry.meta.form);
}

/** Forget everything typed here (the page lost its access). */
export function forgetDrafts() {
  inputs.clear();
  bases.clear();
  open.clear();
  busy.clear();
  if (draftsKey) {
    try {
      sessionStorage.removeItem(draftsKey);
    } catch {
      // Storage unavailable.
    }
  }
}

const SETTLED_WORDS = {
  cast_vote: "vote_counted",
  cast_selection_vote: "vote_counted",
  edit_section: "saved",
  edit_card: "saved",
  write_listening_note: "saved",
  add_note: "saved",
  accept_agreements: null, // done by the page itself (the rules were accepted on joining)
};

/**
 * A command was answered (connection.onSettled), perhaps one sent before a reload. Acked: the fields it
 * carried are cleared, unless something new was typed there since; it is said and shown.
 */
export function settled(result, meta = {}) {
  if (meta.form) busy.delete(meta.form);
  if (result?.ok) {
    for (const [k, sentValue] of Object.entries(meta.clears || {})) {
      if (inputs.has(k) && JSON.stringify(inputs.get(k)) === JSON.stringify(sentValue)) forget(k);
    }
    // Only what this module sent says "sent" (the page's own buttons announce what they change).
    const wordKey = meta.type in SETTLED_WORDS ? SETTLED_WORDS[meta.type] : "sent";
    const word = meta.type && wordKey ? ctx?.S?.[wordKey] || null : null;
    if (word) {
      if (meta.form) {
        sentNote.set(meta.form, word);
        setTimeout(() => {
          if (sentNote.get(meta.form) === word) {
            sentNote.delete(meta.form);
            changed();
          }
        }, SENT_SHOWN_MS);
      }
      ctx?.announce?.(word);
    }
  }
  changed();
}

/**
 * ctx: {S, me, staff, view, personal, send(command) -> Promise<{ok, code}|null>, rerender(), confirm(opts)}.
 * Returns a value that changes whenever the local form state does (include it in a region's key).
 */
export function setContext(next) {
  ctx = next;
}

export function uiKey() {
  return uiVersion;
}

function changed() {
  uiVersion += 1;
  ctx?.rerender();
}

/** fill(), also keeping the caret of the text field being typed in. */
export function redraw(el, ...children) {
  const active = document.activeElement;
  let caret = null;
  if (active && el.contains(active) && active.dataset.focusKey && "selectionStart" in active) {
    try {
      caret = [active.dataset.focusKey, active.selectionStart, active.selectionEnd];
    } catch {
      caret = null; // inputs such as type=date have no caret
    }
  }
  fill(el, ...children);
  if (caret) {
    const again = document.activeElement;
    if (again?.dataset.focusKey === caret[0] && typeof again.setSelectionRange === "function") {
      try {
        again.setSelectionRange(caret[1], caret[2]);
      } catch {
        // not a text field any more
      }
    }
  }
}

// --- small widgets -------------------------------------------------------------------------------

const S = () => ctx.S;
const value = (key, fallback = "") => (inputs.has(key) ? inputs.get(key) : fallback);
const slug = (key) => `f-${key.replace(/[^A-Za-z0-9_-]/g, "-")}`;

function countText(n, max) {
  return fmt(S().count, { n, max });
}

/** A labelled text field with its limit shown as a live counter. */
function textField({ key, label, max, rows = 0, required = false, initial = "", hint = null, type = "text", onInput = null }) {
  const id = slug(key);
  const current = String(value(key, initial));
  const count = max
    ? h("span", { class: "act-count", id: `${id}-count`, text: countText(current.length, max) })
    : null;
  const attrs = {
    id,
    class: "act-input",
    "data-focus-key": key,
    maxlength: max || null,
    required,
    "aria-describedby": [hint ? `${id}-hint` : null, max ? `${id}-count` : null].filter(Boolean).join(" ") || null,
    on: {
      input: (event) => {
        remember(key, event.target.value);
        if (count) {
          count.textContent = countText(event.target.value.length, max);
          count.classList.toggle("is-near", event.target.value.length >= max * 0.9);
        }
        onInput?.(event.target.value);
      },
    },
  };
  const input = rows ? h("textarea", { ...attrs, rows }) : h("input", { ...attrs, type });
  input.value = current;
  if (count && current.length >= max * 0.9) count.classList.add("is-near");
  return h("div", { class: "field act-field" },
    h("label", { for: id, text: label }),
    input,
    hint || count
      ? h("div", { class: "act-field__foot" },
          hint ? h("span", { class: "hint", id: `${id}-hint`, text: hint }) : h("span"),
          count)
      : null);
}

function checkbox({ key, label, initial = false }) {
  const id = slug(key);
  const box = h("input", {
    type: "checkbox",
    id,
    "data-focus-key": key,
    on: { change: (event) => remember(key, event.target.checked) },
  });
  box.checked = Boolean(value(key, initial));
  return h("label", { class: "choice", for: id }, box, h("span", { text: label }));
}

/** A group of radio buttons in a fieldset: options [{value, label}]. */
function radios({ key, legend, options, initial = null, required = false, cls = "" }) {
  const chosen = String(value(key, initial ?? ""));
  return h("fieldset", { class: ["act-radios", cls] },
    h("legend", { text: legend }),
    h("div", { class: "act-radios__options" }, options.map((option) => {
      const id = slug(`${key}-${option.value}`);
      const input = h("input", {
        type: "radio",
        name: slug(key),
        id,
        value: option.value,
        required,
        "data-focus-key": `${key}:${option.value}`,
        on: { change: () => remember(key, option.value) },
      });
      input.checked = chosen === String(option.value);
      return h("label", { class: "act-radio", for: id }, input, h("span", { text: option.label }));
    })));
}

/** A form that sends what `build()` returns (null: nothing to send), then clears its fields. */
function form(key, { title = null, hint = null, submit, build, clear = [], cls = "", after = null, onDone = null }, ...fields) {
  if (ctx.readonly) return null; // a programme lead follows along but can't steer
  const sending = busy.has(key);
  const note = !sending ? sentNote.get(key) : null;
  return h("form", {
    class: ["act-form", cls],
    "data-form": key,
    "aria-busy": sending ? "true" : null,
    on: {
      submit: async (event) => {
        event.preventDefault();
        if (busy.has(key)) return;
        const command = build();
        if (!command) return;
        // What this command carries; cleared once acked unless typed over meanwhile (settled()).
        const clears = Object.fromEntries(clear.filter((k) => inputs.has(k)).map((k) => [k, inputs.get(k)]));
        const result = await run(key, command, clears);
        if (result?.ok) {
          onDone?.(result);
          changed();
        }
        after?.(result);
      },
    },
  },
  title ? h("h4", { class: "act-form__title", text: title }) : null,
  hint ? h("p", { class: "hint", text: hint }) : null,
  fields,
  h("div", { class: "act-form__actions" },
    h("button", { type: "submit", class: "btn btn--primary", "data-focus-key": `${key}:submit`,
      "aria-disabled": sending ? "true" : null, text: sending ? S().sending : submit }),
    sending ? h("span", { class: "act-sending", text: S().kept_until_sent }) : null,
    note ? h("span", { class: "act-sent" }, icon("check"), h("span", { text: note })) : null));
}

async function run(key, command, clears = null) {
  busy.add(key);
  sentNote.delete(key);
  changed();
  const slow = setTimeout(() => {
    if (busy.has(key)) ctx?.announce?.(S().still_sending);
  }, STILL_SENDING_MS);
  let result = null;
  try {
    result = await ctx.send(command, { form: key, clears, type: command.type });
  } finally {
    clearTimeout(slow);
    if (busy.delete(key)) changed(); // settled() has done it when the connection answered
  }
  return result;
}

/** A button that sends one command (confirm: dialog options, ask first). */
function action(label, command, { key, cls = "btn--small", aria = null, confirm = null, pressed = null, disabled = false } = {}) {
  if (ctx.readonly) return null;
  const focusKey = key || `${command.type}:${command.card_id || command.item_id || command.action_id || command.story_id || ""}`;
  const sending = busy.has(focusKey);
  const name = nameFor(label, aria);
  return h("button", {
    type: "button",
    class: ["btn", cls],
    "data-focus-key": focusKey,
    "aria-label": name.aria,
    "aria-pressed": pressed === null ? null : pressed ? "true" : "false",
    "aria-disabled": sending || disabled ? "true" : null,
    on: {
      click: async () => {
        if (busy.has(focusKey) || disabled) return;
        if (confirm && !(await ctx.confirm(confirm))) return;
        await run(focusKey, command);
      },
    },
  }, h("span", { text: label }), name.extra);
}

function toggleOpen(key, label, aria, closeLabel = null) {
  if (ctx.readonly) return null;
  const isOpen = open.has(key);
  const shown = isOpen ? closeLabel || S().cancel_edit : label;
  const name = nameFor(shown, isOpen ? null : aria);
  return h("button", {
    type: "button",
    class: "btn btn--small btn--quiet",
    "data-focus-key": `open:${key}`,
    "aria-expanded": isOpen ? "true" : "false",
    "aria-label": name.aria,
    on: {
      click: () => {
        if (isOpen) open.delete(key);
        else open.add(key);
        changed();
      },
    },
  }, h("span", { text: shown }), name.extra);
}

function section(cls, title, ...children) {
  return h("section", { class: ["act", cls] },
    title ? h("h3", { class: "act__title", text: title }) : null,
    children);
}

function empty(text) {
  return h("p", { class: "empty act-empty", text });
}

function offRecordBadge(item) {
  return item.off_record ? h("span", { class: "badge badge--off", text: ctx.S.off_record }) : null;
}

function offRecordToggle(item) {
  return action(item.off_record ? S().back_on_record : S().keep_off_record,
    { type: "set_off_record", item_id: item.id, off_record: !item.off_record },
    { key: `off:${item.id}`, cls: "btn--small btn--quiet", pressed: Boolean(item.off_record) });
}

// --- moderation: the facilitator hides an item from every screen; its author alone is told --------

const short = (text, max = 60) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Staff: "Hide" opens a short form (an optional reason for the author) that hides `ref` in one step. */
function hideControl(ref, text) {
  if (!ctx.staff || ctx.readonly) return null;
  const key = `hide:${ref}`;
  const limits = ctx.view.limits;
  return h("div", { class: "act-hide" },
    h("div", { class: "act-row" }, toggleOpen(key, S().hide, fmt(S().hide_named, { text: short(text) }), S().cancel)),
    open.has(key)
      ? form(key, {
          cls: "act-hide__form",
          hint: S().hide_hint,
          submit: S().hide_submit,
          clear: [`${key}:reason`],
          build: () => ({ type: "hide_item", ref, reason: String(value(`${key}:reason`)).trim() }),
          onDone: () => open.delete(key),
        },
        textField({ key: `${key}:reason`, label: S().hide_reason, max: limits.hide_reason, rows: 2 }))
      : null);
}

const HIDDEN_KINDS = { card: "kind_card", reflection: "kind_reflection", recall: "kind_recall", section: "kind_section", comment: "kind_comment" };

/** Staff: what is hidden, with an Undo (a lead watching sees the list, without it). */
export function hiddenList() {
  const hidden = ctx?.view?.hidden || [];
  if (!ctx?.staff || !hidden.length) return null;
  return section("act--hidden", fmt(S().hidden_title, { n: hidden.length }),
    h("p", { class: "hint", text: S().hidden_list_hint }),
    h("ul", { class: "act-hidden" }, hidden.map((item) => {
      const phase = ctx.view.phases?.[item.phase_index]?.title;
      const label = [S()[HIDDEN_KINDS[item.kind]] || item.kind, phase].filter(Boolean).join(" · ");
      return h("li", { class: "act-hidden__item", dataset: { hidden: item.ref } },
        h("p", { class: "act-hidden__what" }, h("strong", { text: label })),
        item.text
          ? h("details", { class: "act-hidden__text" },
              h("summary", { text: S().show_hidden_text }),
              h("p", { text: item.text }))
          : h("p", { class: "muted", text: S().hidden_comment_later }),
        item.reason ? h("p", { class: "muted", text: fmt(S().hidden_reason, { reason: item.reason }) }) : null,
        h("div", { class: "act-row" },
          action(S().undo_hide, { type: "unhide_item", ref: item.ref }, {
            key: `unhide:${item.ref}`, cls: "btn--small",
            aria: item.text ? fmt(S().undo_hide_named, { text: short(item.text) }) : S().undo_hide,
          })));
    })));
}

const YOUR_HIDDEN = { card: "your_card_hidden", reflection: "your_reflection_hidden", recall: "your_recall_hidden", section: "your_section_hidden", comment: "your_comment_hidden" };

/** A practitioner: which of their own items the facilitator hid, and why (no one else is told). */
export function hiddenNotice() {
  const mine = ctx?.personal?.hidden_items || [];
  if (ctx?.staff || !mine.length) return null;
  return section("act--hidden-mine", null,
    h("ul", { class: "act-hidden-mine" }, mine.map((item) =>
      h("li", { class: "act-hidden-mine__item", dataset: { hidden: item.ref } },
        h("p", { class: "act-hidden-mine__text", text: fmt(S()[YOUR_HIDDEN[item.kind]] || S().your_card_hidden, { text: short(item.text, 80) }) }),
        item.reason ? h("p", { text: fmt(S().hidden_reason, { reason: item.reason }) }) : null,
        h("p", { class: "hint", text: S().hidden_mine_hint })))));
}

// --- agreements ----------------------------------------------------------------------------------

export function agreements() {
  const { view, personal } = ctx;
  if (ctx.staff) {
    const accepted = view.agreements_accepted || [];
    const pending = view.agreements_pending || [];
    return section("act--agreements", null, // the console panel's heading names it
      h("div", { class: "act-columns" },
        h("div", {},
          h("h4", { text: fmt(S().accepted_n, { n: accepted.length }) }),
          accepted.length
            ? h("ul", { class: "act-people" }, accepted.map((p) =>
                h("li", {}, icon("check", "act-ok"), h("span", { text: p.name }),
                  h("span", { class: "muted", text: ` · ${localTime(p.at)}` }))))
            : empty(S().nobody_yet)),
        h("div", {},
          h("h4", { text: fmt(S().pending_n, { n: pending.length }) }),
          pending.length
            ? h("ul", { class: "act-people" }, pending.map((p) => h("li", { text: p.name })))
            : h("p", { class: "act-done", text: S().everyone_accepted }))));
  }
  // This page opens only for someone who accepted the ground rules on joining: the phase records that
  // acceptance by itself instead of asking a second time, and keeps the rules one tap away.
  const accepted = Boolean(personal?.agreements_accepted);
  if (!accepted && personal && !busy.has("accept") && !ctx.readonly) {
    queueMicrotask(() => {
      if (!busy.has("accept")) run("accept", { type: "accept_agreements" });
    });
  }
  return section("act--agreements", null,
    h("p", { class: "act-done", role: "status" }, icon("check"), h("span", { text: S().agreements_accepted })),
    h("details", { class: "act-rules" },
      h("summary", { text: S().agreements_title }),
      h("ul", { class: "rules" }, (view.agreements || []).map((rule) => h("li", { text: rule })))));
}

// --- story round ---------------------------------------------------------------------------------

const kindLabel = (kind) => S()[`reflect_${kind}`] || kind;

function storyCard(story) {
  const mine = story.teller?.id === ctx.me;
  const editKey = `story-edit:${story.id}`;
  const limits = ctx.view.limits;
  return h("li", { class: ["act-story", mine && "is-mine"], dataset: { story: story.id } },
    h("div", { class: "act-story__head" },
      h("strong", { class: "act-story__title", text: story.title }),
      h("span", { class: "muted act-story__by", text: fmt(S().told_by, { name: story.teller?.name || "" }) }),
      mine ? h("span", { class: "badge", text: S().yours }) : null,
      offRecordBadge(story)),
    story.summary ? h("p", { class: "act-story__summary", text: story.summary }) : null,
    mine && !ctx.staff
      ? h("div", { class: "act-row" },
          toggleOpen(editKey, S().edit, fmt(S().edit_named, { title: story.title })),
          offRecordToggle(story),
          action(S().withdraw, { type: "withdraw_story", story_id: story.id }, {
            cls: "btn--small btn--quiet",
            aria: fmt(S().withdraw_named, { title: story.title }),
            confirm: { title: S().withdraw_story_title, message: S().withdraw_story_text, confirm: S().withdraw, danger: true },
          }))
      : null,
    mine && open.has(editKey)
      ? form(editKey, {
          submit: S().save,
          clear: [`${editKey}:title`, `${editKey}:summary`],
          build: () => ({
            type: "share_story",
            story_id: story.id,
            title: String(value(`${editKey}:title`, story.title)).trim(),
            summary: String(value(`${editKey}:summary`, story.summary)).trim(),
          }),
          onDone: () => open.delete(editKey),
        },
        textField({ key: `${editKey}:title`, label: S().story_title, max: limits.story_title, required: true, initial: story.title }),
        textField({ key: `${editKey}:summary`, label: S().story_summary, max: limits.story_summary, rows: 4, initial: story.summary }))
      : null,
    story.reflections.length
      ? h("div", { class: "act-reflections" },
          h("h4", { class: "act-reflections__title", text: fmt(S().reflections_n, { n: story.reflections.length }) }),
          h("ul", {}, story.reflections.map((r) => {
            const own = r.author?.id === ctx.me;
            return h("li", { class: "act-reflection" },
              h("span", { class: "act-reflection__kind", text: kindLabel(r.kind) }),
              h("p", { class: "act-reflection__text", text: r.text }),
              h("span", { class: "muted act-reflection__by", text: r.author?.name || "" }),
              offRecordBadge(r),
              own && !ctx.staff ? offRecordToggle(r) : null,
              hideControl(r.id, r.text));
          })))
      : null);
}

export function storyRound() {
  const { view, personal, me } = ctx;
  const limits = view.limits;
  const stories = view.stories || [];
  const parts = [];
  if (!ctx.staff) {
    const turns = view.turns;
    const speaking = turns?.speaker?.id === me;
    const done = Boolean(turns?.done?.some((p) => p.id === me));
    const shared = stories.some((s) => s.teller?.id === me && s.phase_index === view.phase_index);
    if ((speaking || done) && !shared) {
      parts.push(section("act--share", S().share_title,
        form("share", {
          hint: S().share_hint,
          submit: S().share_submit,
          clear: ["share:title", "share:summary"],
          build: () => ({ type: "share_story", title: String(value("share:title")).trim(), summary: String(value("share:summary")).trim() }),
        },
        textField({ key: "share:title", label: S().story_title, max: limits.story_title, required: true }),
        textField({ key: "share:summary", label: S().story_summary, max: limits.story_summary, rows: 4 }))));
    }
    const others = stories.filter((s) => s.teller?.id !== me);
    if (others.length) {
      const latest = others[others.length - 1];
      const storyId = String(value("reflect:story", latest.id));
      const target = others.find((s) => s.id === storyId) || latest;
      parts.push(section("act--reflect", S().reflect_title,
        form("reflect", {
          hint: fmt(S().reflect_hint, { name: target.teller?.name || "" }),
          submit: S().reflect_submit,
          clear: ["reflect:text", "reflect:kind"],
          build: () => {
            const text = String(value("reflect:text")).trim();
            const kind = String(value("reflect:kind", "heard"));
            return text ? { type: "reflect", story_id: target.id, kind, text } : null;
          },
        },
        others.length > 1
          ? h("div", { class: "field act-field" },
              h("label", { for: "f-reflect-story", text: S().reflect_on }),
              storySelect(others, target.id))
          : h("p", { class: "act-target", text: fmt(S().reflect_on_story, { title: target.title, name: target.teller?.name || "" }) }),
        radios({
          key: "reflect:kind",
          legend: S().reflect_kind,
          initial: "heard",
          options: (view.reflection_kinds || ["heard", "moment", "question"]).map((k) => ({ value: k, label: kindLabel(k) })),
        }),
        textField({ key: "reflect:text", label: S().reflect_text, max: limits.reflection, rows: 3, required: true }))));
    }
    const speaker = turns?.speaker;
    const notes = (personal?.listening_notes || []).filter((n) => n.phase_index === view.phase_index);
    if ((speaker && !speaking) || notes.length) {
      parts.push(section("act--notes", S().listening_title,
        h("p", { class: "act-private" }, icon("check"), h("span", { text: S().only_you })),
        speaker && !speaking
          ? form("listen", {
              submit: S().save_note,
              clear: ["listen:text"],
              build: () => {
                const text = String(value("listen:text")).trim();
                return text ? { type: "write_listening_note", text } : null;
              },
            },
            textField({ key: "listen:text", label: fmt(S().listening_about, { name: speaker.name }), max: limits.listening_note, rows: 3, required: true }))
          : null,
        notes.length
          ? h("ul", { class: "act-notes" }, notes.map((n) =>
              h("li", {}, n.about ? h("span", { class: "muted", text: n.about.name }) : null, h("p", { text: n.text }))))
          : null));
    }
  }
  parts.push(section("act--stories", S().stories_title,
    stories.length ? h("ul", { class: "act-stories" }, stories.map(storyCard)) : empty(S().no_stories)));
  const recalls = recallRound();
  if (recalls) parts.push(recalls);
  return parts;
}

// --- the recall round ----------------------------------------------------------------------------

/** After the stories are told: each names the most memorable point of someone else's story. */
function recallRound() {
  const { view, me } = ctx;
  const limits = view.limits;
  const stories = view.stories || [];
  const others = stories.filter((s) => s.teller?.id !== me);
  const recalls = (view.recalls || []).filter((r) => r.phase_index === view.phase_index);
  const speaking = Boolean(view.turns?.speaker);
  const canRecall = !ctx.staff && others.length > 0 && !speaking;
  if (!canRecall && !recalls.length) return null;
  const titleOf = new Map(stories.map((s) => [s.id, s]));
  const pickKey = "recall:story";
  let picker = null;
  if (canRecall) {
    picker = h("select", {
      id: "f-recall-story", class: "act-input", "data-focus-key": pickKey,
      on: { change: (event) => remember(pickKey, event.target.value) },
    },
    h("option", { value: "", text: S().recall_any }),
    others.map((s) => h("option", { value: s.id, text: fmt(S().story_option, { title: s.title, name: s.teller?.name || "" }) })));
    const chosen = String(value(pickKey, ""));
    picker.value = others.some((s) => s.id === chosen) ? chosen : "";
  }
  return section("act--recall", S().recall_title,
    canRecall
      ? form("recall", {
          hint: S().recall_hint,
          submit: S().recall_submit,
          clear: ["recall:text", pickKey],
          build: () => {
            const text = String(value("recall:text")).trim();
            const storyId = String(value(pickKey, ""));
            if (!text) return null;
            return others.some((s) => s.id === storyId) ? { type: "add_recall", text, story_id: storyId } : { type: "add_recall", text };
          },
        },
        textField({ key: "recall:text", label: S().recall_label, max: limits.recall, rows: 3, required: true }),
        h("div", { class: "field act-field" }, h("label", { for: "f-recall-story", text: S().recall_story }), picker))
      : null,
    h("h4", { class: "act-recalls__title", text: fmt(S().recalls_n, { n: recalls.length }) }),
    recalls.length
      ? h("ul", { class: "act-recalls" }, recalls.map((r) => {
          const story = r.story_id ? titleOf.get(r.story_id) : null;
          const own = r.author?.id === me;
          return h("li", { class: ["act-recall", own && "is-mine"], dataset: { recall: r.id } },
            h("p", { class: "act-recall__text", text: r.text }),
            h("p", { class: "muted act-recall__meta" },
              h("span", { text: r.author?.name || "" }),
              story ? h("span", { text: ` · ${fmt(S().recall_about, { title: story.title })}` }) : null),
            offRecordBadge(r),
            own && !ctx.staff ? offRecordToggle(r) : null,
            hideControl(r.id, r.text));
        }))
      : empty(S().no_recalls));
}

// --- selection (most significant change) ---------------------------------------------------------

function choicesOf(view) {
  // Recording again for the same domain replaces the earlier choice: keep the latest per domain.
  const latest = new Map();
  for (const c of (view.selection?.choices || []).filter((c) => c.phase_index === view.phase_index)) {
    latest.set(c.domain || "", c);
  }
  return [...latest.values()];
}

function choiceCard(choice) {
  const two = choice.stories.length > 1;
  return h("div", { class: "act-choice", dataset: { choice: choice.id }, role: "region", "aria-label": two ? S().sel_chosen_two : S().sel_chosen_one },
    h("p", { class: "act-choice__eyebrow" }, icon("check"), h("span", { text: two ? S().sel_chosen_two : S().sel_chosen_one })),
    choice.domain ? h("p", { class: "muted", text: choice.domain }) : null,
    h("ul", { class: "act-choice__stories" }, choice.stories.map((s) =>
      h("li", {}, h("strong", { text: s.title }), h("span", { class: "muted", text: ` · ${fmt(S().told_by, { name: s.teller?.name || "" })}` })))),
    h("h4", { text: S().sel_reason_label }),
    h("p", { class: "act-choice__reason", text: choice.reason }),
    h("h4", { text: S().sel_dissent_label }),
    choice.dissent
      ? h("p", { class: "act-choice__dissent", text: choice.dissent })
      : h("p", { class: "muted act-choice__dissent", text: S().sel_no_dissent }));
}

function totalsList(round, { mine = [], live = false } = {}) {
  // Fewer than three voters: totals would give each one's votes away, so nobody sees them.
  if (!round.totals) return h("p", { class: "hint act-withheld", text: fmt(S().totals_withheld, { n: round.min_group || 3, count: round.voters }) });
  const totals = round.totals;
  const most = Math.max(1, ...Object.values(totals));
  const ordered = [...round.stories].sort((a, b) => (totals[b.id] || 0) - (totals[a.id] || 0));
  return h("ol", { class: ["act-totals", live && "is-live"] }, ordered.map((s) => {
    const n = totals[s.id] || 0;
    const bar = h("span", { class: "act-total__fill", "aria-hidden": "true" });
    bar.style.width = `${Math.round((n / most) * 100)}%`; // CSSOM: allowed by the CSP
    return h("li", { class: "act-total", dataset: { story: s.id } },
      h("div", { class: "act-total__head" },
        h("strong", { class: "act-total__title", text: s.title }),
        h("span", { class: "badge badge--votes", text: fmt(S().votes_count, { n }) }),
        mine.includes(s.id) ? h("span", { class: "badge", text: S().sel_your_vote }) : null),
      h("span", { class: "act-total__bar" }, bar));
  }));
}

function selectionStory(story, summaryOf, controls = null, extra = null) {
  const summary = summaryOf.get(story.id)?.summary || "";
  return h("li", { class: "act-story act-pick", dataset: { story: story.id } },
    h("div", { class: "act-story__head" },
      h("strong", { class: "act-story__title", text: story.title }),
      h("span", { class: "muted act-story__by", text: fmt(S().told_by, { name: story.teller?.name || "" }) }),
      extra),
    summary ? h("p", { class: "act-story__summary", text: summary }) : null,
    controls);
}

function recordForm(pool) {
  const limits = ctx.view.limits;
  const key = "select";
  const picked = value(`${key}:stories`, []).filter((id) => pool.some((s) => s.id === id));
  const err = value(`${key}:error`, "");
  return form(key, {
    title: S().sel_record_title,
    hint: S().sel_record_hint,
    submit: S().sel_record,
    clear: [`${key}:stories`, `${key}:reason`, `${key}:dissent`, `${key}:error`],
    build: () => {
      const ids = value(`${key}:stories`, []).filter((id) => pool.some((s) => s.id === id)).slice(0, 2);
      const reason = String(value(`${key}:reason`)).trim();
      if (!ids.length) {
        remember(`${key}:error`, S().sel_pick_first);
        changed();
        document.getElementById("f-select-picks")?.focus();
        return null;
      }
      if (!reason) return null;
      return { type: "record_selection", story_ids: ids, reason, dissent: String(value(`${key}:dissent`)).trim() };
    },
  },
  h("fieldset", { class: "act-picks", id: "f-select-picks", tabindex: "-1", "aria-describedby": "f-select-picks-count" },
    h("legend", { text: S().sel_pick }),
    pool.map((s) => {
      const id = slug(`${key}-pick-${s.id}`);
      const checked = picked.includes(s.id);
      const box = h("input", {
        type: "checkbox", id, "data-focus-key": `${key}:pick:${s.id}`,
        disabled: !checked && picked.length >= 2 ? true : null,
        on: {
          change: (event) => {
            const now = new Set(value(`${key}:stories`, []));
            if (event.target.checked) now.add(s.id);
            else now.delete(s.id);
            remember(`${key}:stories`, [...now].slice(0, 2));
            forget(`${key}:error`);
            changed();
          },
        },
      });
      box.checked = checked;
      return h("label", { class: "choice", for: id }, box,
        h("span", { text: fmt(S().story_option, { title: s.title, name: s.teller?.name || "" }) }));
    }),
    h("div", { class: "act-field__foot" },
      err ? h("span", { class: "act-error", role: "alert", text: err }) : h("span"),
      h("span", { class: "act-count", id: "f-select-picks-count", text: fmt(S().sel_picked, { n: picked.length }) }))),
  textField({ key: `${key}:reason`, label: S().sel_reason, max: limits.selection_reason, rows: 3, required: true }),
  textField({ key: `${key}:dissent`, label: S().sel_dissent, max: limits.selection_dissent, rows: 2 }));
}

export function selection() {
  const { view, personal } = ctx;
  const idx = view.phase_index;
  const rounds = (view.selection?.rounds || []).filter((r) => r.phase_index === idx);
  const current = rounds.find((r) => r.open) || null;
  const closed = rounds.filter((r) => !r.open);
  const lastClosed = closed[closed.length - 1] || null;
  const storiesById = new Map((view.stories || []).map((s) => [s.id, s]));
  const pool = (view.stories || []).map((s) => ({ id: s.id, title: s.title, teller: s.teller }));
  const choices = choicesOf(view);
  const allowance = view.phase?.votes_per_person || 1;
  const parts = [];
  if (choices.length) parts.push(section("act--chosen", null, choices.map(choiceCard)));

  if (ctx.staff) {
    const controls = section("act--rounds", S().sel_rounds_title,
      current
        ? [
            h("p", { class: "act-state", role: "status", text: fmt(S().sel_round_open, { n: current.number }) }),
            h("p", { class: "muted", text: fmt(S().sel_voters, { n: current.voters }) }),
            h("p", { class: "act-private" }, h("span", { text: S().sel_live_totals })),
            totalsList(current, { live: true }),
            h("div", { class: "act-row" }, action(S().sel_close_round, { type: "close_selection_round" }, { key: "sel:close", cls: "btn--primary" })),
          ]
        : [
            h("p", { class: "act-state", role: "status", text: rounds.length ? (ctx.readonly ? S().sel_between_hint : S().sel_between) : S().sel_no_rounds }),
            ctx.readonly ? null : pool.length
              ? h("div", { class: "act-row" },
                  action(rounds.length ? S().sel_open_again : S().sel_open_round, { type: "open_selection_round" }, { key: "sel:open", cls: "btn--primary" }),
                  h("span", { class: "muted", text: fmt(S().sel_open_hint, { n: pool.length }) }))
              : empty(S().sel_no_stories),
          ]);
    parts.push(controls);
    if (closed.length) {
      parts.push(section("act--results", S().sel_results_title,
        [...closed].reverse().map((r) => h("div", { class: "act-round", dataset: { round: String(r.number) } },
          h("h4", { text: fmt(S().sel_round_totals, { n: r.number, voters: r.voters }) }),
          totalsList(r)))));
    }
    if (!current && pool.length && !ctx.readonly) parts.push(section("act--record", null, recordForm(pool)));
    parts.push(section("act--pool", fmt(S().sel_pool_n, { n: pool.length }),
      pool.length ? h("ul", { class: "act-stories" }, pool.map((s) => selectionStory(s, storiesById))) : empty(S().sel_no_stories)));
    return parts;
  }

  // A practitioner: read, vote within the allowance, see the totals once the round closes.
  if (current) {
    const mine = personal?.my_selection_votes?.[String(current.number)] || [];
    const left = Math.max(0, allowance - mine.length);
    parts.push(h("p", { class: "act-voting", role: "status" },
      h("strong", { text: fmt(S().sel_round_open, { n: current.number }) }), " ",
      h("span", { class: "act-left", text: left ? fmt(S().votes_left, { n: left }) : S().sel_used_all })));
    parts.push(section("act--pool", S().sel_choose_title,
      h("ul", { class: "act-stories" }, current.stories.map((s) => {
        const voted = mine.includes(s.id);
        return selectionStory(s, storiesById,
          h("div", { class: "act-row act-vote" },
            voted
              ? [
                  h("span", { class: "badge badge--mine" }, icon("check"), h("span", { text: S().sel_your_vote })),
                  action(S().sel_take_back, { type: "retract_selection_vote", story_id: s.id }, {
                    key: `sel-unvote:${s.id}`, cls: "btn--small btn--quiet", aria: fmt(S().sel_take_back_named, { title: s.title }),
                  }),
                ]
              : action(S().vote, { type: "cast_selection_vote", story_id: s.id }, {
                  key: `sel-vote:${s.id}`, cls: "btn--small btn--primary", aria: fmt(S().vote_for, { title: s.title }), disabled: left === 0,
                })));
      }))));
    return parts;
  }
  if (lastClosed) {
    const mine = personal?.my_selection_votes?.[String(lastClosed.number)] || [];
    parts.push(section("act--results", fmt(S().sel_round_totals, { n: lastClosed.number, voters: lastClosed.voters }),
      choices.length ? null : h("p", { class: "hint", text: S().sel_between_hint }),
      totalsList(lastClosed, { mine })));
  } else if (!choices.length) {
    parts.push(h("p", { class: "act-voting", text: S().sel_read_hint }));
  }
  parts.push(section("act--pool", fmt(S().sel_pool_n, { n: pool.length }),
    pool.length ? h("ul", { class: "act-stories" }, pool.map((s) => selectionStory(s, storiesById))) : empty(S().sel_no_stories)));
  return parts;
}

function storySelect(stories, chosen) {
  const select = h("select", {
    id: "f-reflect-story",
    class: "act-input",
    "data-focus-key": "reflect:story",
    on: { change: (event) => { remember("reflect:story", event.target.value); changed(); } },
  }, stories.map((s) => h("option", { value: s.id, text: fmt(S().story_option, { title: s.title, name: s.teller?.name || "" }) })));
  select.value = chosen;
  return select;
}

// --- cards and votes -----------------------------------------------------------------------------

function cardTitle(card, phase) {
  const first = (phase?.card_fields || []).map((f) => card.fields[f.key]).find(Boolean) || Object.values(card.fields)[0] || "";
  return first.length > 60 ? `${first.slice(0, 59)}…` : first;
}

function cardFieldsForm(key, phase, { initial = {}, anonymous = null, submit, build, onDone, title = null }) {
  const limit = ctx.view.limits.card_field;
  const fields = phase.card_fields || [];
  return form(key, {
    title,
    submit,
    clear: [...fields.map((f) => `${key}:${f.key}`), `${key}:anon`],
    build: () => {
      const values = Object.fromEntries(fields.map((f) => [f.key, String(value(`${key}:${f.key}`, initial[f.key] || "")).trim()]));
      return Object.values(values).some(Boolean) ? build(values) : null;
    },
    onDone,
  },
  fields.map((f, index) => textField({
    key: `${key}:${f.key}`, label: f.label, max: Math.min(f.max_length || limit, limit), rows: 2,
    initial: initial[f.key] || "", required: index === 0,
  })),
  anonymous);
}

// The phase's mode decides: always anonymous (said plainly, nothing to tick), named (said plainly), or
// the author's choice, which starts on "anonymously": the private choice is the default.
function anonymityChoice(mode) {
  if (mode === "always") return h("p", { class: "hint act-private", text: S().anonymous_always });
  if (mode === "optional") {
    return h("div", {}, checkbox({ key: "card:anon", label: S().anonymous_card, initial: true }),
      h("p", { class: "hint", text: S().anonymous_hint }));
  }
  return h("p", { class: "hint", text: S().named_cards });
}

function anonymousWanted(mode) {
  if (mode === "optional") return Boolean(value("card:anon", true));
  return mode === "always";
}

function votesWithheld(view, idx) {
  const voters = (view.voters || {})[String(idx)] || 0;
  const least = view.min_group || 3;
  return voters < least ? fmt(S().totals_withheld, { n: least, count: voters }) : null;
}

function cardItem(card, phase, state) {
  const { personal } = ctx;
  const idx = ctx.view.phase_index;
  const mine = !ctx.staff && (personal?.my_cards || []).includes(card.id);
  const editKey = `card-edit:${card.id}`;
  const title = cardTitle(card, phase);
  const myVotes = personal?.my_votes?.[String(idx)]?.cards?.[card.id] || 0;
  const labels = Object.fromEntries((phase.card_fields || []).map((f) => [f.key, f.label]));
  const movable = ctx.staff && !ctx.readonly && state.clusters.length;
  return h("li", {
    class: ["act-card", mine && "is-mine", movable && "is-movable"],
    dataset: { card: card.id },
    draggable: movable ? "true" : null,
    on: movable ? dragSource(card) : null,
  },
    h("dl", { class: "act-card__fields" }, Object.entries(card.fields).filter(([, v]) => v).map(([k, v]) => [
      h("dt", { text: labels[k] || k }), h("dd", { text: v }),
    ])),
    h("div", { class: "act-card__meta" },
      h("span", { class: "muted", text: card.anonymous ? S().anonymous : card.author?.name || "" }),
      mine ? h("span", { class: "badge", text: S().yours }) : null,
      offRecordBadge(card),
      "votes" in card && state.votesPer > 0 && (ctx.staff || state.revealed)
        ? h("span", { class: "badge badge--votes", text: fmt(S().votes_count, { n: card.votes }) })
        : null),
    !ctx.staff && state.voting
      ? h("div", { class: "act-row act-vote" },
          action(S().vote, { type: "cast_vote", card_id: card.id }, {
            key: `vote:${card.id}`, cls: "btn--small btn--primary", aria: fmt(S().vote_for, { title }),
          }),
          myVotes
            ? action(S().unvote, { type: "retract_vote", card_id: card.id }, {
                key: `unvote:${card.id}`, cls: "btn--small btn--quiet", aria: fmt(S().unvote_for, { title }),
              })
            : null,
          myVotes ? h("span", { class: "act-dots", text: fmt(S().your_votes, { n: myVotes }) }) : null)
      : !ctx.staff && myVotes
        ? h("p", { class: "act-dots", text: fmt(S().your_votes, { n: myVotes }) })
        : null,
    ctx.staff && !ctx.readonly && state.clusters.length
      ? h("div", { class: "act-row" },
          h("label", { class: "act-inline-label", for: `move-${card.id}`, text: S().cluster }),
          clusterSelect(card, state.clusters, title))
      : null,
    hideControl(card.id, title),
    mine
      ? h("div", { class: "act-row" },
          toggleOpen(editKey, S().edit, fmt(S().edit_named, { title })),
          action(S().withdraw, { type: "withdraw_card", card_id: card.id }, {
            cls: "btn--small btn--quiet",
            aria: fmt(S().withdraw_named, { title }),
            confirm: { title: S().withdraw_card_title, message: S().withdraw_card_text, confirm: S().withdraw, danger: true },
          }),
          offRecordToggle(card))
      : null,
    mine && open.has(editKey)
      ? cardFieldsForm(editKey, phase, {
          initial: card.fields,
          submit: S().save,
          build: (fields) => ({ type: "edit_card", card_id: card.id, fields }),
          onDone: () => open.delete(editKey),
        })
      : null);
}

function clusterSelect(card, clusters, title) {
  if (ctx.readonly) return null;
  const select = h("select", {
    id: `move-${card.id}`,
    class: "act-input act-input--small",
    "data-focus-key": `move:${card.id}`,
    "aria-label": fmt(S().move_card, { title }),
    on: {
      change: (event) => run(`move:${card.id}`, { type: "move_card", card_id: card.id, cluster_id: event.target.value || null }),
    },
  },
  h("option", { value: "", text: S().no_cluster }),
  clusters.map((c) => h("option", { value: c.id, text: c.name })));
  select.value = card.cluster_id || "";
  return select;
}

export function cards() {
  const { view, personal } = ctx;
  const phase = view.phase;
  const idx = view.phase_index;
  const limits = view.limits;
  const phaseCards = (view.cards || []).filter((c) => c.phase_index === idx);
  const clusters = (view.clusters || []).filter((c) => c.phase_index === idx);
  const votesPer = phase.votes_per_person || 0;
  const state = {
    clusters,
    votesPer,
    voting: votesPer > 0 && (view.voting_open || []).includes(idx),
    revealed: (view.votes_revealed || []).includes(idx),
  };
  const parts = [];
  if (!ctx.staff) {
    parts.push(section("act--add-card", S().add_card_title,
      cardFieldsForm("card", phase, {
        submit: S().add_card,
        anonymous: anonymityChoice(phase.card_anonymity),
        build: (fields) => ({ type: "add_card", fields, anonymous: anonymousWanted(phase.card_anonymity) }),
      })));
  } else if (!ctx.readonly) {
    parts.push(section("act--clusters", S().clusters_title,
      form("cluster", {
        submit: S().create_cluster,
        clear: ["cluster:name"],
        cls: "act-form--inline",
        build: () => {
          const name = String(value("cluster:name")).trim();
          return name ? { type: "create_cluster", name } : null;
        },
      },
      textField({ key: "cluster:name", label: S().cluster_name, max: limits.cluster_name, required: true }))));
    if (votesPer > 0) {
      parts.push(section("act--voting", S().voting_title,
        h("p", { class: "muted", text: fmt(S().votes_each, { n: votesPer }) }),
        h("p", { class: "act-state", role: "status", text: state.voting ? S().voting_is_open : state.revealed ? S().votes_are_revealed : S().voting_is_closed }),
        votesWithheld(view, idx) ? h("p", { class: "hint", text: votesWithheld(view, idx) }) : null,
        h("div", { class: "act-row" },
          state.voting
            ? action(S().close_voting, { type: "close_voting" }, { key: "close_voting", cls: "" })
            : action(S().open_voting, { type: "open_voting" }, { key: "open_voting", cls: "btn--primary" }),
          !state.revealed ? action(S().reveal_votes, { type: "reveal_votes" }, { key: "reveal_votes", cls: "" }) : null)));
    }
  }
  if (!ctx.staff && votesPer > 0) {
    const left = personal?.my_votes?.[String(idx)]?.left ?? votesPer;
    if (state.voting) {
      parts.push(h("p", { class: "act-voting", role: "status" },
        h("strong", { text: S().voting_is_open }), " ",
        h("span", { class: "act-left", text: fmt(S().votes_left, { n: left }) })));
    } else if (state.revealed) {
      parts.push(h("p", { class: "act-voting", text: votesWithheld(view, idx) || S().votes_are_revealed }));
    }
  }
  const groups = [...clusters.map((c) => ({ id: c.id, name: c.name })), { id: null, name: clusters.length ? S().not_grouped : null }];
  let ordered = phaseCards;
  if (state.revealed || ctx.staff) ordered = [...phaseCards].sort((a, b) => (b.votes || 0) - (a.votes || 0));
  parts.push(section("act--cards", fmt(S().cards_n, { n: phaseCards.length }),
    phaseCards.length
      ? groups.map((group) => {
          const inGroup = ordered.filter((c) => (c.cluster_id || null) === group.id);
          if (group.id === null && !inGroup.length) return null;
          const staffCan = ctx.staff && !ctx.readonly;
          return h("div", {
            class: "act-cluster",
            dataset: { cluster: group.id || "none" },
            on: staffCan ? dropTarget(group.id) : null,
          },
            group.name
              ? h("div", { class: "act-cluster__head" },
                  h("h4", { class: "act-cluster__name", text: `${group.name} (${inGroup.length})` }),
                  staffCan && group.id ? groupControls(group, clusters) : null)
              : null,
            staffCan && group.id && open.has(`rename:${group.id}`) ? renameForm(group) : null,
            inGroup.length
              ? h("ul", { class: "act-cards" }, inGroup.map((card) => cardItem(card, phase, state)))
              : h("p", { class: "muted act-cluster__empty", text: S().cluster_empty }));
        })
      : empty(S().no_cards)));
  if (ctx.staff && !ctx.readonly && clusters.length && phaseCards.length) {
    parts.push(h("p", { class: "hint act-drop-hint", text: S().group_drop_hint }));
  }
  return parts;
}

// --- card groups: drag a card onto a group (or choose it on the card); rename, merge, remove ---------

let draggedCard = null;

function dropTarget(clusterId) {
  return {
    dragover: (event) => {
      if (!draggedCard) return;
      event.preventDefault();
      event.currentTarget.classList.add("is-drop");
    },
    dragleave: (event) => event.currentTarget.classList.remove("is-drop"),
    drop: (event) => {
      event.preventDefault();
      event.currentTarget.classList.remove("is-drop");
      const card = draggedCard;
      draggedCard = null;
      if (card && (card.cluster_id || null) !== clusterId) {
        run(`move:${card.id}`, { type: "move_card", card_id: card.id, cluster_id: clusterId });
      }
    },
  };
}

function dragSource(card) {
  return {
    dragstart: (event) => {
      draggedCard = card;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.id);
    },
    dragend: () => {
      draggedCard = null;
    },
  };
}

function groupControls(group, clusters) {
  const others = clusters.filter((c) => c.id !== group.id);
  const mergeKey = `merge:${group.id}`;
  const pick = h("select", {
    id: slug(mergeKey),
    class: "act-input act-input--small",
    "data-focus-key": `${mergeKey}:into`,
    "aria-label": fmt(S().group_merge_into, { name: group.name }),
    on: { change: (event) => inputs.set(mergeKey, event.target.value) },
  }, others.map((c) => h("option", { value: c.id, text: c.name })));
  const chosen = others.find((c) => c.id === value(mergeKey, "")) || others[0];
  if (chosen) pick.value = chosen.id;
  return h("div", { class: "act-row act-cluster__tools" },
    toggleOpen(`rename:${group.id}`, S().group_rename, fmt(S().group_rename_named, { name: group.name })),
    others.length
      ? h("span", { class: "act-cluster__merge" },
          h("label", { class: "act-inline-label", for: slug(mergeKey), text: S().group_merge_label }),
          pick,
          h("button", {
            type: "button",
            class: "btn btn--small",
            "data-focus-key": mergeKey,
            "aria-label": fmt(S().group_merge_named, { name: group.name }),
            on: {
              click: async () => {
                const into = others.find((c) => c.id === pick.value);
                if (!into) return;
                const ok = await ctx.confirm({
                  title: fmt(S().group_merge_title, { name: group.name, into: into.name }),
                  message: fmt(S().group_merge_text, { name: group.name, into: into.name }),
                  confirm: S().group_merge,
                });
                if (ok) await run(mergeKey, { type: "merge_clusters", cluster_id: group.id, into_id: into.id });
              },
            },
          }, h("span", { text: S().group_merge })))
      : null,
    action(S().group_remove, { type: "remove_cluster", cluster_id: group.id }, {
      key: `remove-group:${group.id}`,
      cls: "btn--small btn--quiet",
      aria: fmt(S().group_remove_named, { name: group.name }),
      confirm: {
        title: fmt(S().group_remove_title, { name: group.name }),
        message: S().group_remove_text,
        confirm: S().group_remove,
        danger: true,
      },
    }));
}

function renameForm(group) {
  const key = `rename:${group.id}`;
  return form(key, {
    submit: S().save,
    clear: [`${key}:name`],
    cls: "act-form--inline",
    build: () => {
      const name = String(value(`${key}:name`, group.name)).trim();
      return name ? { type: "rename_cluster", cluster_id: group.id, name } : null;
    },
    onDone: () => open.delete(key),
  },
  textField({
    key: `${key}:name`, label: fmt(S().group_new_name, { name: group.name }), max: ctx.view.limits.cluster_name,
    required: true, initial: group.name,
  }));
}

// --- actions (discussion) ------------------------------------------------------------------------

export function actions() {
  const { view } = ctx;
  const limits = view.limits;
  const list = view.actions || [];
  return section("act--actions", S().actions_title,
    list.length
      ? h("ul", { class: "act-actions" }, list.map((a) =>
          h("li", { class: ["act-action", a.done && "is-done"], dataset: { action: a.id } },
            h("div", { class: "act-action__main" },
              a.done ? h("span", { class: "badge badge--done" }, icon("check"), S().action_done) : null,
              h("strong", { class: "act-action__what", text: a.what }),
              h("span", { class: "muted act-action__meta", text: a.due ? fmt(S().who_due, { who: a.who, due: a.due }) : fmt(S().who_only, { who: a.who }) }),
              offRecordBadge(a)),
            !ctx.staff && a.added_by?.id === ctx.me ? h("div", { class: "act-row" }, offRecordToggle(a)) : null,
            ctx.staff
              ? h("div", { class: "act-row" },
                  action(a.done ? S().not_done : S().mark_done, { type: "complete_action", action_id: a.id, done: !a.done }, {
                    key: `done:${a.id}`, aria: fmt(a.done ? S().not_done_named : S().mark_done_named, { what: a.what }),
                  }),
                  action(S().remove, { type: "remove_action", action_id: a.id }, {
                    key: `remove:${a.id}`, cls: "btn--small btn--quiet", aria: fmt(S().remove_named, { what: a.what }),
                    confirm: { title: S().remove_action_title, message: a.what, confirm: S().remove, danger: true },
                  }))
              : null)))
      : empty(S().no_actions),
    form("action", {
      title: S().add_action_title,
      submit: S().add_action,
      clear: ["action:what", "action:who", "action:due"],
      build: () => {
        const what = String(value("action:what")).trim();
        const who = String(value("action:who")).trim();
        const due = String(value("action:due")).trim();
        return what && who ? { type: "add_action", what, who, due: due || null } : null;
      },
    },
    textField({ key: "action:what", label: S().action_what, max: limits.action_what, rows: 2, required: true }),
    h("div", { class: "act-two" },
      textField({ key: "action:who", label: S().action_who, max: limits.action_who, required: true }),
      textField({ key: "action:due", label: S().action_due, type: "date" }))));
}

// --- points made (discussion; public, unlike the facilitator's private notes) --------------------

export function points() {
  const { view } = ctx;
  const limits = view.limits;
  const list = view.points || [];
  const roster = view.roster || [];
  const byKey = "point:by";
  let by = null;
  if (ctx.staff && !ctx.readonly) {
    by = h("select", {
      id: "f-point-by", class: "act-input", "data-focus-key": byKey,
      on: { change: (event) => remember(byKey, event.target.value) },
    }, h("option", { value: "", text: S().point_by_none }), roster.map((m) => h("option", { value: m.id, text: m.name })));
    by.value = String(value(byKey, ""));
  }
  return section("act--points", S().points_title,
    ctx.staff ? h("p", { class: "hint", text: S().points_hint }) : null,
    list.length
      ? h("ul", { class: "act-points" }, list.map((p) =>
          h("li", { class: "act-point", dataset: { point: p.id } },
            h("div", { class: "act-point__main" },
              h("span", { class: "act-point__text", text: p.text }),
              p.made_by ? h("span", { class: "muted act-point__by", text: fmt(S().point_made_by, { name: p.made_by.name }) }) : null,
              offRecordBadge(p)),
            !ctx.staff && p.made_by?.id === ctx.me ? h("div", { class: "act-row" }, offRecordToggle(p)) : null,
            ctx.staff
              ? h("div", { class: "act-row" },
                  action(S().remove, { type: "remove_point", point_id: p.id }, {
                    key: `remove-point:${p.id}`, cls: "btn--small btn--quiet", aria: fmt(S().remove_named, { what: p.text }),
                    confirm: { title: S().remove_point_title, message: p.text, confirm: S().remove, danger: true },
                  }))
              : null)))
      : empty(S().no_points),
    ctx.staff
      ? form("point", {
          title: S().note_point_title,
          submit: S().note_point,
          clear: ["point:text", byKey],
          build: () => {
            const text = String(value("point:text")).trim();
            return text ? { type: "note_point", text, participant_id: value(byKey, "") || null } : null;
          },
        },
        textField({ key: "point:text", label: S().point_text, max: limits.discussion_point, rows: 2, required: true }),
        h("div", { class: "field act-field" }, h("label", { for: "f-point-by", text: S().point_by }), by))
      : null);
}

// --- the shared draft ----------------------------------------------------------------------------

function citationOptions() {
  const { view } = ctx;
  const options = [];
  for (const s of view.stories || []) {
    if (s.off_record) continue;
    options.push({ id: s.id, label: fmt(S().cite_story, { title: s.title, name: s.teller?.name || "" }) });
  }
  for (const c of view.cards || []) {
    const phaseTitle = view.phases?.[c.phase_index]?.title;
    const first = Object.values(c.fields).find(Boolean) || "";
    const text = first.length > 70 ? `${first.slice(0, 69)}…` : first;
    options.push({ id: c.id, label: phaseTitle ? `${text} (${phaseTitle})` : fmt(S().cite_card, { text }) });
  }
  return options;
}

function draftSection(draft, sec, { final }) {
  const k = `draft:${draft.phase_index}:${sec.index}`;
  const limits = ctx.view.limits;
  const citeKey = `${k}:cite`;
  const dirty = inputs.has(k) || inputs.has(citeKey);
  const stale = conflicts.has(k);
  const citations = value(citeKey, sec.citations);
  const options = citationOptions();
  const labelOf = new Map(options.map((o) => [o.id, o.label]));
  const head = h("div", { class: "act-draft__head" },
    h("h4", { class: "act-draft__title", id: `${slug(k)}-h`, text: sec.title }),
    h("span", { class: "muted act-draft__meta", text: sec.last_editor ? fmt(S().saved_by, { name: sec.last_editor.name, n: sec.version }) : S().not_written }));
  const hidden = sec.hidden ? h("p", { class: "act-hidden-note", role: "note", text: S().section_hidden }) : null;
  const hide = sec.text && !sec.hidden ? hideControl(`section-${draft.phase_index}-${sec.index}`, sec.text) : null;
  if (final) {
    return h("li", { class: "act-draft", dataset: { section: String(sec.index) } },
      head,
      hidden,
      sec.text ? h("p", { class: "act-draft__text", text: sec.text }) : sec.hidden ? null : empty(S().not_written),
      hide,
      sec.citations.length
        ? h("p", { class: "muted act-draft__cites", text: fmt(S().cites, { list: sec.citations.map((id) => labelOf.get(id) || id).join("; ") }) })
        : null);
  }
  const base = stale ? sec.version : dirty ? bases.get(k) ?? sec.version : sec.version;
  const noteBase = () => {
    if (!bases.has(k)) bases.set(k, sec.version);
    if (!baseTexts.has(k)) baseTexts.set(k, sec.text);
  };
  const parts = [head, hidden, hide];
  if (stale) {
    parts.push(h("div", { class: "act-conflict", role: "alert" },
      h("p", { class: "act-conflict__title" }, icon("clock"), h("strong", { text: S().stale_title })),
      h("p", { class: "hint", text: S().stale_hint }),
      h("h5", { text: sec.last_editor ? fmt(S().their_text, { name: sec.last_editor.name }) : S().their_text_plain }),
      h("blockquote", { class: "act-conflict__theirs", "data-theirs": "", text: sec.text || "—" }),
      h("div", { class: "act-row" },
        h("button", {
          type: "button",
          class: "btn btn--small",
          "data-focus-key": `${k}:combine`,
          on: {
            click: async () => {
              // A three-way merge from the text both started from: their changes go into mine once,
              // and the shared starting text is never repeated (merge.js, fetched the first time it is
              // needed: most pages never meet a conflict, and the phone's first load stays light).
              const { mergeTexts } = await import("./merge.js");
              const result = mergeTexts(baseTexts.get(k) ?? "", String(value(k, "")), sec.text || "");
              remember(k, result.text);
              remember(citeKey, [...new Set([...sec.citations, ...value(citeKey, [])])]);
              baseTexts.set(k, sec.text || ""); // mine now starts from theirs
              merged.set(k, result.clash ? S().combine_clash : S().combine_done);
              changed();
            },
          },
        }, h("span", { text: S().combine }))),
    ));
  }
  if (stale && merged.has(k)) parts.push(h("p", { class: "hint act-merged", role: "status", text: merged.get(k) }));
  if (!stale && dirty && bases.has(k) && bases.get(k) !== sec.version) {
    parts.push(h("p", { class: "hint act-newer" }, icon("clock"), h("span", { text: S().newer_saved })));
  }
  parts.push(form(k, {
    submit: stale ? S().save_merged : S().save_section,
    build: () => ({
      type: "edit_section",
      section: sec.index,
      base_version: base,
      text: String(value(k, sec.text)),
      citations: [...value(citeKey, sec.citations)].slice(0, limits.section_citations),
    }),
    clear: [k, citeKey], // once saved, unless typed over meanwhile (settled())
    onDone: () => {
      bases.delete(k);
      baseTexts.delete(k);
      merged.delete(k);
      conflicts.delete(k);
      storeDrafts();
    },
    after: (result) => {
      if (result && !result.ok && result.code === "stale_version") {
        conflicts.add(k);
        bases.delete(k);
        changed();
      }
    },
  },
  textField({
    key: k, label: stale ? S().your_text : fmt(S().section_text, { title: sec.title }), max: limits.section_text, rows: 6,
    initial: sec.text, onInput: noteBase,
  }),
  options.length
    ? h("details", {
        class: "act-cites",
        open: citations.length || open.has(`cites:${k}`) ? true : null,
        on: { toggle: (event) => (event.target.open ? open.add(`cites:${k}`) : open.delete(`cites:${k}`)) },
      },
        h("summary", { text: fmt(S().citations, { n: citations.length, max: limits.section_citations }) }),
        h("p", { class: "hint", text: S().citations_hint }),
        h("div", { class: "act-cites__list" }, options.map((o) => {
          const id = slug(`${k}-c-${o.id}`);
          const box = h("input", {
            type: "checkbox", id, "data-focus-key": `${citeKey}:${o.id}`,
            on: {
              change: (event) => {
                noteBase();
                const now = new Set(value(citeKey, sec.citations));
                if (event.target.checked) now.add(o.id);
                else now.delete(o.id);
                remember(citeKey, [...now]);
              },
            },
          });
          box.checked = citations.includes(o.id);
          return h("label", { class: "choice", for: id }, box, h("span", { text: o.label }));
        })))
    : null));
  return h("li", { class: ["act-draft", stale && "is-stale"], dataset: { section: String(sec.index) } }, parts);
}

export function draft() {
  const { view } = ctx;
  const current = (view.drafts || []).find((d) => d.phase_index === view.phase_index);
  if (!current) return null;
  return section("act--draft", null,
    h("div", { class: "act-draft-head" },
      current.final
        ? h("p", { class: "act-final", role: "status" }, icon("check"), h("strong", { text: S().draft_final }))
        : current.reopened
          ? h("p", { class: "act-reopened", role: "status" }, icon("clock"), h("strong", { text: S().draft_reopened }))
          : null,
      !current.final && !ctx.readonly ? h("p", { class: "hint", text: S().draft_hint }) : null,
      ctx.staff && !ctx.readonly
        ? action(current.final ? S().reopen_draft : S().mark_final, { type: "set_draft_final", final: !current.final }, {
            key: "final", cls: current.final ? "" : "btn--primary", pressed: current.final,
          })
        : null),
    h("ol", { class: "act-drafts" }, current.sections.map((sec) => draftSection(current, sec, { final: current.final || ctx.readonly }))));
}

// --- closing feedback ----------------------------------------------------------------------------

export function feedback() {
  const { view, personal } = ctx;
  if (ctx.staff) return feedbackSummary(view.phase_index);
  const mine = personal?.feedback?.[String(view.phase_index)] || null;
  const key = `feedback:${view.phase_index}`;
  const questions = view.feedback_questions || [];
  return section("act--feedback", S().feedback_title,
    mine ? h("p", { class: "act-done", role: "status" }, icon("heart"), h("span", { text: S().feedback_thanks })) : null,
    form(key, {
      hint: S().feedback_hint,
      submit: mine ? S().feedback_update : S().feedback_submit,
      build: () => {
        const ratings = {};
        for (const q of questions) {
          const answer = value(`${key}:${q.key}`, mine?.ratings?.[q.key] ?? "");
          if (answer !== "") ratings[q.key] = Number(answer);
        }
        return { type: "submit_feedback", ratings, text: String(value(`${key}:text`, mine?.text || "")).trim() };
      },
      clear: [...questions.map((q) => `${key}:${q.key}`), `${key}:text`],
    },
    questions.map((q) => radios({
      key: `${key}:${q.key}`,
      legend: q.question,
      cls: "act-scale",
      initial: mine?.ratings?.[q.key] ?? null,
      options: [1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: String(n) })),
    })),
    h("p", { class: "hint act-scale__hint", text: S().scale_hint }),
    textField({ key: `${key}:text`, label: S().feedback_text, max: view.limits.feedback_text, rows: 3, initial: mine?.text || "" })));
}

export function feedbackSummary(onlyIndex = null) {
  const { view } = ctx;
  const all = (view.feedback || []).filter((f) => onlyIndex === null || f.phase_index === onlyIndex);
  if (!all.length) return null;
  return section("act--summary", null, // the console panel's heading names it
    h("p", { class: "act-private" }, h("span", { text: S().feedback_anonymous })),
    all.map((f) => h("div", { class: "act-summary" },
      h("p", { class: "act-state", text: fmt(S().responses_count, { n: f.responses }) }),
      f.summary && f.summary.withheld
        ? h("p", { class: "hint", text: fmt(S().summary_withheld, { n: f.summary.min_group }) })
        : f.summary
        ? [
            h("dl", { class: "act-ratings" }, Object.entries(f.summary.ratings).map(([k, r]) => [
              h("dt", { text: r.question }),
              h("dd", {},
                h("strong", { text: r.average === null ? fmt(S().too_few_ratings, { n: r.count }) : fmt(S().average, { n: r.average }) }),
                r.distribution && h("span", { class: "act-bars", "aria-label": fmt(S().distribution, { list: Object.entries(r.distribution).map(([n, c]) => `${n}: ${c}`).join(", ") }) },
                  Object.entries(r.distribution).map(([n, c]) => {
                    const bar = h("span", { class: "act-bar__fill", "aria-hidden": "true" });
                    bar.style.height = `${r.count ? Math.round((c / r.count) * 100) : 0}%`; // CSSOM: allowed by the CSP
                    return h("span", { class: "act-bar", title: `${n}: ${c}` },
                      h("span", { class: "act-bar__track" }, bar),
                      h("span", { class: "act-bar__label", "aria-hidden": "true", text: n }));
                  }))),
            ])),
            f.summary.texts.length
              ? h("ul", { class: "act-texts" }, f.summary.texts.map((t, i) => {
                  const ref = f.summary.text_refs?.[i];
                  const first = ref && f.summary.text_refs.indexOf(ref) === i; // one Hide for a text given twice
                  return h("li", {}, h("span", { text: t }), first ? hideControl(ref, t) : null);
                }))
              : null,
            f.summary.hidden_comments
              ? h("p", { class: "hint", text: fmt(S().hidden_comments, { n: f.summary.hidden_comments }) })
              : null,
          ]
        : h("p", { class: "hint", text: S().summary_later }))));
}

// --- the facilitator's private notes and parking lot ---------------------------------------------

export function privateNotes() {
  const { view } = ctx;
  const limits = view.limits;
  const notes = [...(view.notes || [])].reverse();
  const points = view.parking_lot || [];
  const roster = view.roster || [];
  const aboutKey = "note:about";
  const about = h("select", {
    id: "f-note-about", class: "act-input", "data-focus-key": aboutKey,
    on: { change: (event) => remember(aboutKey, event.target.value) },
  }, h("option", { value: "", text: S().note_about_none }), roster.map((m) => h("option", { value: m.id, text: m.name })));
  about.value = String(value(aboutKey, ""));
  const live = view.status === "live";
  return [
    h("p", { class: "act-private act-private--strong" }, icon("check"), h("span", { text: S().only_you_console })),
    h("h3", { class: "act__title", text: S().notes_title }),
    live
      ? form("note", {
          submit: S().add_note,
          clear: ["note:text", aboutKey],
          build: () => {
            const text = String(value("note:text")).trim();
            return text ? { type: "add_note", text, participant_id: value(aboutKey, "") || null } : null;
          },
        },
        textField({ key: "note:text", label: S().note_text, max: limits.note, rows: 3, required: true }),
        h("div", { class: "field act-field" }, h("label", { for: "f-note-about", text: S().note_about }), about))
      : null,
    notes.length
      ? h("ul", { class: "act-notes" }, notes.map((n) => h("li", {},
          h("span", { class: "muted", text: [view.phases?.[n.phase_index]?.title, n.about?.name].filter(Boolean).join(" · ") }),
          h("p", { text: n.text }))))
      : h("p", { class: "muted", text: S().no_notes }),
    h("h3", { class: "act__title", text: S().parking_title }),
    live
      ? form("park", {
          submit: S().park,
          clear: ["park:text"],
          cls: "act-form--inline",
          build: () => {
            const text = String(value("park:text")).trim();
            return text ? { type: "park_point", text } : null;
          },
        },
        textField({ key: "park:text", label: S().park_text, max: limits.parked_point, required: true }))
      : null,
    points.length
      ? h("ul", { class: "act-parked" }, points.map((p) => h("li", { class: [p.resolved && "is-done"] },
          h("span", { class: "act-parked__text", text: p.text }),
          p.resolved ? h("span", { class: "badge badge--done", text: S().resolved }) : null,
          action(p.resolved ? S().reopen : S().resolve, { type: "resolve_point", item_id: p.id, resolved: !p.resolved }, {
            key: `resolve:${p.id}`, cls: "btn--small btn--quiet", aria: fmt(p.resolved ? S().reopen_named : S().resolve_named, { text: p.text }),
          }))))
      : h("p", { class: "muted", text: S().no_parked }),
  ];
}

/** The activity of the current phase, by its kind; a practitioner sees first what of theirs was hidden. */
export function activity() {
  const content = phaseActivity();
  const notice = hiddenNotice();
  return notice ? [notice, content] : content;
}

function phaseActivity() {
  const kind = ctx.view.phase?.kind;
  switch (kind) {
    case "agreements":
      return agreements();
    case "story_round":
      return storyRound();
    case "cards":
      return cards();
    case "discussion":
      return [points(), actions()];
    case "draft":
      return draft();
    case "feedback":
      return feedback();
    case "selection":
      return selection();
    default:
      return null;
  }
}
