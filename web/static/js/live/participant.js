// The practitioner's live page (phone first): the phase and its prompt, who is speaking, the time
// left, who is next, "your turn" and "you are up next" cues, and the hand to raise in open phases.
// Everything is rendered from the participant view the server pushes; text goes in via textContent.

import * as activities from "./activities.js";
import { LiveConnection } from "./connection.js";
import { PreparePanel } from "./prepare.js";
import {
  confirmDialog,
  Announcer,
  Toast,
  clock,
  connectionIndicator,
  everySecond,
  fill,
  fmt,
  h,
  icon,
  minuteWarning,
  paused,
  planText,
  readJson,
  remaining,
} from "./dom.js";

const root = document.getElementById("live");
const S = readJson("live-strings");
const exchangeId = root.dataset.exchange;
const me = root.dataset.me;
const region = root.querySelector("[data-region='live']");
const activityRegion = root.querySelector("[data-region='activity']");
const floorRegion = root.querySelector("[data-region='floor']");
const prepareRegion = root.querySelector("[data-region='prepare']");
const lobby = document.querySelector("[data-lobby]");
const announcer = new Announcer(document.getElementById("live-announcer"));
const toast = new Toast(document.getElementById("live-toast"));
const pageTitle = document.title;

let view = null;
let closed = false; // access ended: everything the page showed is gone
let personal = null; // what only I see (personal frames)
let drawnKey = null;
let activityKey = null;
const sending = new Set(); // command types sent and not yet answered

async function checkAccess() {
  const response = await fetch(`/e/${exchangeId}`, { redirect: "manual", credentials: "same-origin", cache: "no-store" });
  if (response.type === "opaqueredirect" || [401, 403, 404].includes(response.status)) return "denied";
  return "ok";
}

const conn = new LiveConnection({
  exchangeId,
  storageKey: `story-exchange:practitioner:${exchangeId}`,
  outboxKey: `story-exchange:outbox:${me}:${exchangeId}`, // unanswered commands survive a reload
  checkAccess,
});
// What is typed here is kept until the server has it, across reloads too (activities.js).
activities.keepDrafts(`story-exchange:drafts:${me}:${exchangeId}`, conn.waiting());
conn.onSettled((result, meta) => activities.settled(result, meta));
// A story prepared before the call, from the lobby on (prepare.js).
const prepare = prepareRegion ? new PreparePanel(prepareRegion, { S, send: (command) => conn.send(command), me }) : null;

// --- commands ---------------------------------------------------------------------------------

async function act(command) {
  if (sending.has(command.type)) return;
  sending.add(command.type);
  render();
  // Sent now, or as soon as the connection is back (with the same id, so it counts once).
  await conn.send(command);
  sending.delete(command.type);
  render();
}

conn.onRejected((result) => {
  // A stale draft edit is explained right at the section, next to both texts.
  if (result.code === "stale_version" && result.command?.type === "edit_section") return;
  toast.show(result.message || S.not_sent);
});

function button(label, command, { cls = "", symbol = null, key = null } = {}) {
  const busy = sending.has(command.type);
  return h("button", {
    type: "button",
    class: ["btn", "btn--big", "btn--block", cls],
    "data-focus-key": key || command.type,
    "aria-disabled": busy ? "true" : null,
    on: { click: () => act(command) },
  },
  symbol ? icon(symbol, "live-icon") : null,
  h("span", { text: busy ? S.sending : label }));
}

// --- rendering --------------------------------------------------------------------------------

function timerText(timer) {
  const left = remaining(timer, conn.now());
  return left === null ? "--:--" : clock(left);
}

function cue(kind, symbol, title, hint) {
  return h("div", { class: `live-cue live-cue--${kind}` },
    icon(symbol, "live-cue__icon"),
    h("span", { class: "live-cue__text" },
      h("strong", { class: "live-cue__title", text: title }),
      hint ? h("span", { class: "live-cue__hint", text: hint }) : null));
}

function countdown(label, timer, kind) {
  const classes = ["live-countdown", paused(timer) && "live-countdown--paused", timer.time_up && "live-countdown--up"];
  return h("p", { class: classes },
    h("span", { class: "live-countdown__label", text: label }),
    h("span", { class: "live-countdown__time", "data-timer": kind, text: timerText(timer) }),
    paused(timer) ? h("span", { class: "badge", text: S.paused }) : null);
}

function timeUpNote(text) {
  return h("p", { class: "live-timeup" }, // the live region announces it once; this stays quiet
    icon("clock", "live-timeup__icon"),
    h("span", {}, h("strong", { text: S.time_up }), " ", text));
}

function renderTurns(turns) {
  const speaker = turns.speaker;
  const next = turns.next_speaker;
  const mine = speaker?.id === me;
  const parts = [];
  if (mine) {
    parts.push(cue("turn", "play", S.your_turn, S.your_turn_hint));
    parts.push(countdown(S.your_time, turns.timer, "turn"));
    if (turns.timer.time_up) parts.push(timeUpNote(S.time_up_yours));
    parts.push(h("div", { class: "live-actions" },
      button(S.done, { type: "finish_turn" }, { cls: "btn--primary", symbol: "check" }),
      button(S.pass, { type: "pass_turn" }, { symbol: "pass" }),
      h("p", { class: "hint", text: S.pass_hint })));
  } else if (speaker) {
    parts.push(h("div", { class: "live-speaker" },
      icon("mic", "live-speaker__icon"),
      h("strong", { class: "live-speaker__name", text: fmt(S.is_speaking, { name: speaker.name }) })));
    parts.push(countdown(S.speaker_time, turns.timer, "turn"));
    if (turns.timer.time_up) parts.push(timeUpNote(S.time_up_turn));
  } else {
    parts.push(h("p", { class: "live-speaker live-speaker--none", text: next ? S.no_speaker : S.round_done }));
  }
  if (next && next.id === me && !mine) parts.push(cue("next", "next", S.up_next, S.up_next_hint));
  else if (next && !mine) parts.push(h("p", { class: "live-next", text: fmt(S.next, { name: next.name }) }));
  else if (next && mine) parts.push(h("p", { class: "live-next", text: fmt(S.next, { name: next.name }) }));
  return h("div", { class: "live-turns" }, parts);
}

function renderFloor(floor) {
  const holder = floor.holder;
  const mine = holder?.id === me;
  const place = floor.hands.findIndex((hand) => hand.id === me);
  const parts = [];
  if (mine) {
    parts.push(cue("turn", "play", S.your_floor, S.your_floor_hint));
    parts.push(h("div", { class: "live-actions" },
      button(S.done, { type: "end_floor" }, { cls: "btn--primary", symbol: "check" })));
  } else if (holder) {
    parts.push(h("div", { class: "live-speaker" },
      icon("mic", "live-speaker__icon"),
      h("strong", { class: "live-speaker__name", text: fmt(S.has_floor, { name: holder.name }) })));
  } else {
    parts.push(h("p", { class: "live-speaker live-speaker--none", text: S.floor_open }));
  }
  if (!mine) {
    if (place >= 0) {
      parts.push(cue("hand", "hand", S.hand_up, fmt(S.queue_place, { n: place + 1, total: floor.hands.length })));
      parts.push(h("div", { class: "live-actions" },
        button(S.lower, { type: "lower_hand", participant_id: null }, { symbol: "down", key: "hand" })));
    } else {
      parts.push(h("div", { class: "live-actions" },
        button(S.raise, { type: "raise_hand", participant_id: null }, { cls: "btn--primary", symbol: "hand", key: "hand" })));
      if (floor.hands.length) {
        parts.push(h("p", { class: "muted live-queue", text: fmt(S.queue_count, { n: floor.hands.length }) }));
      }
    }
    if (floor.queue_order === "progressive") parts.push(h("p", { class: "hint", text: S.queue_progressive }));
  }
  return h("div", { class: "live-floor" }, parts);
}

function renderPrompts(phase, turns) {
  const speaker = turns?.speaker;
  if (speaker && speaker.id !== me && phase.listener_prompts.length) {
    return h("div", { class: "live-prompts live-prompts--listen" },
      h("h3", { class: "live-prompts__title", text: fmt(S.listen_title, { name: speaker.name }) }),
      h("p", { class: "muted", text: S.listen_hint }),
      h("ul", { class: "live-listen" }, phase.listener_prompts.map((text) => h("li", { text }))),
      h("details", { class: "live-more" },
        h("summary", { text: S.speaker_prompts }),
        h("ul", { class: "live-prompt-list" }, phase.prompts.map((text) => h("li", { text })))));
  }
  const [first, ...rest] = phase.prompts;
  return h("div", { class: "live-prompts" },
    h("h3", { class: "sr-only", text: S.prompts_title }),
    h("p", { class: "live-prompt", text: first }),
    rest.length ? h("ul", { class: "live-prompt-list" }, rest.map((text) => h("li", { text }))) : null);
}

function renderLive() {
  const phase = view.phase;
  if (!phase) return h("p", { class: "muted", text: S.waiting });
  const timer = view.phase_timer;
  return h("article", { class: "panel live-now" },
    h("div", { class: "live-now__meta" },
      h("span", { class: "eyebrow", text: fmt(S.phase_of, { n: view.phase_index + 1, total: view.phase_count }) }),
      h("span", { class: ["live-now__phase-time", timer.time_up && "is-up"] },
        timer.time_up
          ? [icon("clock"), h("span", { text: S.time_up })]
          : h("span", { "data-timer": "phase-left", text: fmt(S.phase_left, { time: timerText(timer) }) }),
        paused(timer) ? h("span", { class: "badge", text: S.paused }) : null)),
    h("h2", { class: "live-now__title", text: phase.title }),
    timer.time_up && !view.turns?.speaker ? timeUpNote(S.time_up_phase) : null,
    // On a phone the task comes first: the prompt, then whose turn it is (the phase's activity follows
    // in its own region, and the raised hands after it, only where the phase uses the floor).
    renderPrompts(phase, view.turns),
    view.turns ? renderTurns(view.turns) : null,
    // In an open discussion the floor is the action: right under the prompt.
    usesFloor() && phase.kind === "discussion" ? renderFloor(view.floor) : null);
}

/** The open floor is offered where the phase is an open discussion, or while the facilitator runs it. */
function usesFloor() {
  const floor = view?.floor;
  if (!floor || view.status !== "live" || !view.phase || view.turns) return false;
  return view.phase.kind === "discussion" || Boolean(floor.holder) || floor.hands.length > 0;
}

function renderActivity() {
  if (!activityRegion || closed) return;
  if (!view || view.status !== "live" || conn.status === "denied") {
    if (activityKey !== null) fill(activityRegion);
    activityKey = null;
    return;
  }
  activities.setContext({
    S, me, staff: false, readonly: false, view, personal,
    send: (command, meta) => conn.send(command, { meta }),
    announce: (message) => announcer.say(message),
    rerender: renderActivity,
    confirm: (options) => confirmDialog({ cancel: S.cancel, ...options }),
  });
  const key = JSON.stringify([view, personal, activities.uiKey()]);
  if (key === activityKey) return;
  activityKey = key;
  const content = activities.activity();
  activities.redraw(activityRegion, content ? h("div", { class: `live-activity live-activity--${view.phase.kind}` }, content) : null);
}

function render() {
  if (closed) return;
  renderActivity();
  if (!view || conn.status === "denied") return;
  prepare?.update({ view, personal });
  const status = view.status;
  lobby?.classList.toggle("lobby--live", status !== "waiting");
  for (const el of document.querySelectorAll("[data-lobby-only]")) el.hidden = status !== "waiting";
  const key = JSON.stringify([status, view.phase_index, view.phase, view.phase_timer, view.turns, view.floor,
    [...sending]]);
  if (key === drawnKey) return;
  drawnKey = key;
  if (status === "waiting") {
    fill(region); // the lobby below says when it starts and to keep the page open
  } else if (status === "ended") {
    fill(region, h("article", { class: "panel live-thanks" },
      h("p", { class: "live-thanks__icon" }, icon("heart")),
      h("h2", { class: "live-now__title", text: S.thanks_title }),
      h("p", { class: "live-prompt", text: S.thanks_text }),
      h("p", { text: S.thanks_review }),
      h("div", { class: "actions" },
        h("a", { class: "btn btn--primary", href: `/e/${exchangeId}/record`, text: S.review_record }),
        h("a", { class: "btn", href: `/e/${exchangeId}/my-contributions.md`, download: "", text: S.my_contributions })),
      h("p", { class: "muted", text: S.thanks_close })));
  } else {
    fill(region, renderLive());
  }
  // Elsewhere the floor, when the facilitator runs it, comes after the phase's own task.
  const floorBelow = status === "live" && usesFloor() && view.phase?.kind !== "discussion";
  if (floorRegion) fill(floorRegion, floorBelow ? h("section", { class: "panel live-floor-panel" }, renderFloor(view.floor)) : null);
  const myTurn = view.turns?.speaker?.id === me || view.floor?.holder?.id === me;
  document.title = myTurn ? `▶ ${S.title_your_turn} · ${pageTitle}` : pageTitle;
}

const warnMinute = minuteWarning(announcer);

function tick() {
  if (!view) return;
  const nowMs = conn.now();
  const mine = view.turns?.speaker?.id === me;
  warnMinute("phase", view.status === "live" ? remaining(view.phase_timer, nowMs) : null, S.ann_minute_phase);
  warnMinute("turn", view.turns?.speaker ? remaining(view.turns.timer, nowMs) : null, mine ? S.ann_minute_yours : S.ann_minute_turn);
  for (const el of region.querySelectorAll("[data-timer]")) {
    const kind = el.dataset.timer;
    if (kind === "turn") el.textContent = timerText(view.turns?.timer);
    else if (kind === "phase-left") el.textContent = fmt(S.phase_left, { time: timerText(view.phase_timer) });
  }
}

// --- announcements ------------------------------------------------------------------------------

function announce(envelopes, before) {
  for (const { event } of envelopes) {
    switch (event.type) {
      case "exchange_started":
        announcer.say(S.ann_started);
        break;
      case "phase_started":
        if (view.phase && view.phase_index === event.index) {
          announcer.say(fmt(S.ann_phase, { n: event.index + 1, total: view.phase_count, title: view.phase.title }));
        }
        break;
      case "turn_started":
        if (event.participant_id === me) {
          announcer.say(S.ann_your_turn);
          navigator.vibrate?.([200, 100, 200]);
        } else {
          announcer.say(fmt(S.ann_speaking, { name: nameOf(event.participant_id) }));
        }
        break;
      case "draft_final_set":
        announcer.say(event.final ? S.ann_draft_final : S.ann_draft_reopened);
        break;
      case "time_up":
        announcer.say(S.ann_time_up);
        break;
      case "floor_given":
        if (event.participant_id === me) {
          announcer.say(S.ann_your_floor);
          navigator.vibrate?.([200, 100, 200]);
        } else {
          announcer.say(fmt(S.ann_floor, { name: nameOf(event.participant_id) }));
        }
        break;
      case "hand_raised":
        if (event.participant_id === me) announcer.say(S.ann_hand_up);
        break;
      case "hand_lowered":
        if (event.participant_id === me) announcer.say(S.ann_hand_down);
        break;
      case "exchange_ended":
        announcer.say(S.ann_ended);
        break;
      default:
        break;
    }
  }
  const wasNext = before?.turns?.next_speaker?.id === me;
  const isNext = view.turns?.next_speaker?.id === me && view.turns?.speaker?.id !== me;
  if (isNext && !wasNext) announcer.say(S.ann_up_next);
}

function nameOf(id) {
  return view?.roster?.find((m) => m.id === id)?.name || "";
}

// --- wiring -------------------------------------------------------------------------------------

const indicator = connectionIndicator(root.querySelector("[data-live-conn]"), S);
let previous = null;

conn.onView((next) => {
  previous = view;
  view = planText(next, S.plan_text);
  render();
});
conn.onPersonal((data) => {
  announceHidden(personal?.hidden_items, data?.hidden_items);
  personal = data;
  renderActivity();
  if (view && !closed) prepare?.update({ view, personal });
});

/** Tell the author when the facilitator hides one of their items, or shows it again. */
function announceHidden(before, after) {
  if (!before) return; // the first personal frame: the page shows what is hidden already
  const was = new Set(before.map((item) => item.ref));
  const now = new Set((after || []).map((item) => item.ref));
  if ([...now].some((ref) => !was.has(ref))) announcer.say(S.ann_hidden);
  else if ([...was].some((ref) => !now.has(ref))) announcer.say(S.ann_shown_again);
}
conn.onEvents((envelopes, { resumed }) => {
  if (!resumed) announce(envelopes, previous); // the view they lead to is already in place
});
conn.onStatus((status) => {
  if (closed) return;
  indicator(status);
  if (status === "denied") accessEnded();
  if (status === "crowded") toast.show(S.crowded_text); // too many of their tabs or devices are open
});

// --- when access ends -----------------------------------------------------------------------------

/** The server refused us: if the page agrees the link no longer opens it, forget the exchange here. */
async function accessEnded() {
  let answer = "denied";
  try {
    answer = await checkAccess();
  } catch {
    // No answer: the socket was refused on purpose, so err on the side of the practitioner's privacy.
  }
  if (answer === "ok") {
    // Still let in (a refusal for another reason): say so, and keep the page.
    for (const el of document.querySelectorAll("[data-lobby-only]")) el.hidden = true;
    fill(region, h("article", { class: "panel live-denied", role: "alert" },
      h("h2", { class: "live-now__title", text: S.denied_title }),
      h("p", { text: S.denied_next })));
    drawnKey = "denied";
    return;
  }
  closePage();
}

/** Remove every piece of the exchange this page rendered and kept, leaving a plain message. */
function closePage() {
  if (closed) return;
  closed = true;
  prepare?.forget();
  conn.stop();
  conn.view = null;
  conn.personal = null;
  conn.pending.clear();
  view = null;
  personal = null;
  previous = null;
  activities.forgetDrafts();
  activities.setContext(null);
  forgetStored();
  for (const dialog of document.querySelectorAll("dialog")) dialog.remove();
  const main = document.getElementById("main") || document.body;
  main.replaceChildren(h("section", { class: "panel panel--narrow notice live-denied", role: "alert" },
    h("h1", { text: S.denied_title }),
    h("p", { text: S.denied_text }),
    h("p", { text: S.denied_next })));
  document.title = S.denied_title;
}

function forgetStored() {
  try {
    const suffix = `:${exchangeId}`;
    const keys = [];
    for (let i = 0; i < sessionStorage.length; i += 1) {
      const key = sessionStorage.key(i);
      if (key && key.startsWith("story-exchange:") && key.endsWith(suffix)) keys.push(key);
    }
    for (const key of keys) sessionStorage.removeItem(key);
  } catch {
    // Storage unavailable: nothing was kept there.
  }
}

everySecond(tick);
conn.start();
