// The facilitator's live console: follows the exchange over the socket and steers it.
// Everything shown is rendered from the facilitator view the server pushes; events only feed the
// screen-reader announcements. Text goes into the page through textContent only (dom.js).

import * as activities from "./activities.js";
import { LiveConnection } from "./connection.js";
import {
  Announcer,
  Toast,
  clock,
  confirmDialog,
  connectionIndicator,
  duration,
  everySecond,
  fill,
  fmt,
  h,
  hoursMinutes,
  icon,
  localTime,
  minuteWarning,
  nameFor,
  parseTime,
  paused,
  planText,
  readJson,
  remaining,
} from "./dom.js";

const root = document.getElementById("console");
const S = readJson("live-strings");
const plan = readJson("live-plan", null);
const invited = readJson("live-invited", []);
const facilitators = readJson("live-facilitators", []);
const exchangeId = root.dataset.exchange;

const regions = Object.fromEntries([...root.querySelectorAll("[data-region]")].map((el) => [el.dataset.region, el]));
const panels = {
  turns: document.getElementById("turns-panel"),
  floor: document.getElementById("floor-panel"),
  prompts: document.getElementById("prompts-panel"),
  activity: document.getElementById("activity-panel"),
  private: document.getElementById("private-panel"),
};
const activityTitle = document.getElementById("activity-h");
const badge = document.querySelector("[data-live-badge]");
const announcer = new Announcer(document.getElementById("live-announcer"));
const toast = new Toast(document.getElementById("live-toast"));

let view = null;
let online = new Set();
let readonly = false; // a programme lead follows along but can't steer
let me = null; // this console's staff id ("staff:3")
const drawn = {}; // region -> the key of what it shows, so unchanged regions aren't rebuilt

const keptAs = root.dataset.me || "staff"; // whose unsent commands and drafts this browser keeps
const conn = new LiveConnection({
  exchangeId,
  storageKey: `story-exchange:console:${exchangeId}`,
  outboxKey: `story-exchange:outbox:${keptAs}:${exchangeId}`,
  checkAccess: async () => {
    const url = `/exchanges/${exchangeId}/console`;
    const response = await fetch(url, { redirect: "manual", credentials: "same-origin" });
    if (response.type === "opaqueredirect" || [401, 403, 404].includes(response.status)) return "denied";
    return "ok";
  },
});

// --- commands ---------------------------------------------------------------------------------

async function act(command, meta = null) {
  if (!conn.connected) {
    toast.show(S.not_connected);
    return null;
  }
  return conn.send(command, { meta });
}
activities.keepDrafts(`story-exchange:drafts:${keptAs}:${exchangeId}`, conn.waiting());
conn.onSettled((result, meta) => activities.settled(result, meta));

conn.onRejected((result) => {
  // A stale draft edit is explained right at the section, next to both texts.
  if (result.code === "stale_version" && result.command?.type === "edit_section") return;
  toast.show(result.message || S.not_sent);
});
conn.onError((error) => console.warn("live: server error frame", error));

async function confirmThen(options, command) {
  const yes = await confirmDialog({ cancel: S.cancel, ...options });
  if (yes) await act(command);
}

/**
 * A control that sends `command`. Options: aria (accessible name when the label is short), key (keeps
 * focus across re-renders), disabled, confirm (dialog options: ask first), symbol (icon), run (custom).
 */
function button(label, command, options = {}) {
  const { cls = "", aria = null, key = null, disabled = false, confirm = null, symbol = null, run = null } = options;
  const focusKey = key || `${command.type}:${command.participant_id || command.timer || ""}:${command.seconds || ""}`;
  const name = nameFor(label, aria);
  return h("button", {
    type: "button",
    class: ["btn", cls],
    "aria-label": name.aria,
    "data-focus-key": focusKey,
    "aria-disabled": disabled ? "true" : null,
    on: {
      click: () => {
        if (disabled) return;
        if (confirm) confirmThen(confirm, command);
        else if (run) run(command);
        else act(command);
      },
    },
  }, symbol ? icon(symbol) : null, label ? h("span", { text: label }) : null, name.extra);
}

// --- helpers over the view -----------------------------------------------------------------------

const nameOf = (id) => view?.roster?.find((m) => m.id === id)?.name || invited.find((p) => p.id === id)?.name || id;

function presence(id) {
  const joined = view?.roster?.some((m) => m.id === id);
  if (online.has(id)) return { cls: "online", text: S.online };
  return joined ? { cls: "away", text: S.away } : { cls: "absent", text: S.not_joined };
}

function presenceTag(id) {
  const p = presence(id);
  return h("span", { class: `live-presence live-presence--${p.cls}` },
    h("span", { class: "live-presence__dot", "aria-hidden": "true" }),
    p.text);
}

/** Seconds of airtime, counting the turn or floor running now. */
function airtime(member, nowMs) {
  let seconds = member.airtime_seconds || 0;
  const turns = view?.turns;
  const floor = view?.floor;
  if (turns?.speaker?.id === member.id && turns.since) seconds += Math.max(0, (nowMs - parseTime(turns.since)) / 1000);
  if (floor?.holder?.id === member.id && floor.since) seconds += Math.max(0, (nowMs - parseTime(floor.since)) / 1000);
  return seconds;
}

function timerText(timer) {
  const left = remaining(timer, conn.now());
  return left === null ? "--:--" : clock(left);
}

function draw(region, key, build) {
  if (drawn[region] === key) return;
  drawn[region] = key;
  fill(regions[region], build());
}

// --- the current phase and its controls --------------------------------------------------------

function renderNow() {
  const status = view.status;
  const phase = view.phase;
  const timer = view.phase_timer;
  const key = JSON.stringify([status, view.phase_index, timer, view.ended_at, conn.connected]);
  draw("now", key, () => {
    if (status === "waiting") {
      const total = plan ? plan.phases.reduce((sum, p) => sum + p.minutes, 0) : 0;
      return [
        h("p", { class: "console-now__title", text: S.not_started }),
        plan ? h("p", { class: "muted", text: [fmt(S.plan_phases, { n: plan.phases.length }), fmt(S.plan_minutes, { n: total })].join(" · ") })
          : null,
        h("p", { class: "muted", text: S.not_started_hint }),
        h("div", { class: "actions" },
          button(S.start, { type: "start_exchange" }, {
            cls: "btn--primary btn--big",
            disabled: !conn.connected,
            confirm: { title: S.start_title, message: S.start_text, confirm: S.start },
          })),
      ];
    }
    if (status === "ended" || !phase) {
      return [
        h("p", { class: "console-now__title", text: S.ended_text }),
        view.ended_at ? h("p", { class: "muted", text: fmt(S.ended_at, { time: localTime(view.ended_at) }) }) : null,
        h("a", { class: "btn", href: root.dataset.exchangeUrl, text: S.back_to_exchange }),
      ];
    }
    const isPaused = paused(timer);
    const index = view.phase_index;
    const nextPhase = view.phases?.[index + 1];
    return [
      h("div", { class: "console-now__head" },
        h("div", {},
          h("p", { class: "eyebrow", text: fmt(S.phase_of, { n: index + 1, total: view.phase_count }) }),
          h("p", { class: "console-now__title", text: phase.title })),
        h("div", { class: ["live-clock", isPaused && "live-clock--paused", timer.time_up && "live-clock--up"] },
          h("span", { class: "live-clock__label", text: S.phase_timer }),
          h("span", { class: "live-clock__time", "data-timer": "phase", text: timerText(timer) }),
          isPaused ? h("span", { class: "badge", text: S.paused }) : null)),
      timer.time_up ? timeUp(S.time_up_phase) : null,
      h("div", { class: "actions console-now__timer", role: "group", "aria-label": S.phase_timer },
        isPaused
          ? button(S.resume, { type: "resume_timer", timer: "phase" }, { aria: S.resume_phase, key: "phase-pause" })
          : button(S.pause, { type: "pause_timer", timer: "phase" }, { aria: S.pause_phase, key: "phase-pause" }),
        button(S.minus_minute, { type: "add_time", timer: "phase", seconds: -60 }, { aria: S.minus_minute_phase }),
        button(S.plus_minute, { type: "add_time", timer: "phase", seconds: 60 }, { aria: S.plus_minute_phase })),
      h("div", { class: "actions console-now__nav" },
        button(S.previous, { type: "previous_phase" }, { disabled: index === 0 }),
        button(nextPhase ? fmt(S.next_named, { title: nextPhase.title }) : S.next, { type: "next_phase" }, {
          cls: "btn--primary",
          disabled: !nextPhase,
          key: "next_phase",
        }),
        h("span", { class: "console-now__spacer" }),
        button(S.end, { type: "end_exchange" }, {
          cls: "btn--danger",
          confirm: { title: S.end_title, message: S.end_text, confirm: S.end, danger: true },
        })),
    ];
  });
}

function timeUp(text) {
  return h("p", { class: "live-timeup" }, // the live region announces it once; this stays quiet
    icon("clock", "live-timeup__icon"),
    h("strong", { text: S.time_up }), " ", h("span", { text: text }));
}

// --- who leads the console (co-facilitators) ----------------------------------------------------

const leadRegion = document.querySelector("[data-region-lead]");
const staffName = (id) => facilitators.find((f) => f.id === id)?.name || S.lead_nobody;

function renderLead() {
  const lead = view?.lead;
  const show = Boolean(lead && view.status !== "ended" && !readonly && (facilitators.length > 1 || lead.id !== me));
  leadRegion.hidden = !show;
  if (!show) {
    drawn.lead = null;
    return;
  }
  const others = facilitators.filter((f) => f.id !== me);
  const key = JSON.stringify([lead, me, others.map((f) => online.has(f.id)), conn.connected]);
  if (drawn.lead === key) return;
  drawn.lead = key;
  const offer = lead.offer;
  const mine = lead.id === me;
  const leadName = lead.name || staffName(lead.id);
  const lines = [];
  const actions = [];
  if (!lead.id) lines.push(h("strong", { text: S.lead_nobody }));
  else if (mine) lines.push(h("strong", { text: S.lead_you }));
  else lines.push(h("strong", { text: fmt(S.lead_other, { name: leadName }) }));
  if (lead.id && lead.away) lines.push(h("span", { text: mine ? S.lead_away_you : fmt(S.lead_away, { name: leadName }) }));
  if (offer) {
    if (mine && offer.to) lines.push(h("span", { text: fmt(S.offered_to, { name: staffName(offer.to) }) }));
    else if (mine) lines.push(h("span", { text: S.offered_any }));
    else if (offer.to === me) lines.push(h("span", { text: fmt(S.offered_you, { name: leadName }) }));
    else if (!offer.to && offer.reason === "lead_left") lines.push(h("span", { text: fmt(S.offered_left, { name: leadName }) }));
    else if (!offer.to) lines.push(h("span", { text: S.offered_open }));
    if (!mine && (!offer.to || offer.to === me)) {
      actions.push(button(S.take_lead, { type: "accept_lead" }, { cls: "btn--primary", key: "accept_lead" }));
    }
  }
  if (mine || !lead.id) {
    for (const person of others) {
      if (offer?.to === person.id) continue;
      actions.push(button(fmt(S.hand_over, { name: person.name }), { type: "offer_lead", to: person.id }, {
        cls: "btn--small", key: `offer:${person.id}`,
      }));
    }
  }
  if (!mine) lines.push(h("span", { class: "muted", text: S.lead_hint }));
  fill(leadRegion,
    h("div", { class: ["console-lead__bar", mine ? "console-lead__bar--mine" : null, offer && !mine ? "console-lead__bar--offer" : null] },
      h("p", { class: "console-lead__text" }, ...lines.flatMap((line, i) => (i ? [" ", line] : [line]))),
      actions.length ? h("div", { class: "actions" }, ...actions) : null));
}

// --- turns --------------------------------------------------------------------------------------

let dragId = null;

function renderTurns() {
  const turns = view.turns;
  panels.turns.hidden = !turns;
  if (!turns) {
    drawn.turns = null;
    return;
  }
  const ids = [...turns.order, ...turns.done, ...turns.skipped].map((p) => p.id);
  if (turns.speaker) ids.push(turns.speaker.id);
  const key = JSON.stringify([turns, ids.map((id) => online.has(id)), conn.connected, view.prepared, readonly]);
  draw("turns", key, () => {
    const speaker = turns.speaker;
    const next = turns.next_speaker;
    const timer = turns.timer;
    const isPaused = paused(timer);
    const timerControls = speaker
      ? h("div", { class: "actions console-turn__timer", role: "group", "aria-label": S.turn_time },
          isPaused
            ? button(S.resume, { type: "resume_timer", timer: "turn" }, { aria: S.resume_turn, key: "turn-pause" })
            : button(S.pause, { type: "pause_timer", timer: "turn" }, { aria: S.pause_turn, key: "turn-pause" }),
          button(S.extend, { type: "extend_turn", seconds: 60 }))
      : null;
    const speakerBlock = speaker
      ? h("div", { class: ["console-speaker", timer.time_up && "console-speaker--up"] },
          h("div", { class: "console-speaker__who" },
            h("span", { class: "live-label", text: S.speaking_now }),
            h("span", { class: "console-speaker__name", text: speaker.name }),
            presenceTag(speaker.id)),
          h("div", { class: ["live-clock", isPaused && "live-clock--paused", timer.time_up && "live-clock--up"] },
            h("span", { class: "live-clock__label", text: S.turn_time }),
            h("span", { class: "live-clock__time", "data-timer": "turn", text: timerText(timer) }),
            isPaused ? h("span", { class: "badge", text: S.paused }) : null,
            timerControls))
      : h("p", { class: "console-speaker console-speaker--none muted", text: S.no_speaker });
    const controls = h("div", { class: "actions", role: "group", "aria-label": S.turns },
      next
        ? button(fmt(speaker || turns.done.length ? S.next_turn : S.start_turn, { name: next.name }),
            { type: "next_turn" }, {
              cls: "btn--primary",
              key: "next_turn",
              // Someone is speaking: ending their turn by a slip would cut them off, so ask first.
              confirm: speaker ? {
                title: fmt(S.next_turn_title, { speaker: speaker.name }),
                message: fmt(S.next_turn_text, { speaker: speaker.name, name: next.name }),
                confirm: fmt(S.next_turn_confirm, { name: next.name }),
              } : null,
            })
        : null,
      speaker ? button(S.finish, { type: "finish_turn" }) : null,
      speaker ? button(S.pass, { type: "pass_turn" }, { aria: fmt(S.pass_label, { name: speaker.name }) }) : null,
      speaker
        ? button(S.skip, { type: "skip_participant", participant_id: speaker.id }, {
            cls: "btn--quiet",
            aria: fmt(S.skip_label, { name: speaker.name }),
          })
        : null);
    return [
      speakerBlock,
      timer.time_up && speaker ? timeUp(S.time_up_turn) : null,
      readAloud(view.prepared?.reading),
      controls,
      h("h3", { id: "order-h", text: S.order }),
      turns.order.length
        ? [h("p", { class: "hint", id: "order-hint", text: S.order_hint }), orderList(turns.order)]
        : h("p", { class: "empty", text: S.order_empty }),
      turns.done.length || turns.skipped.length ? finishedList(turns) : null,
      preparedList(view.prepared?.ready),
    ];
  });
}

/** The speaker chose to have their prepared story read aloud: here it is, while their turn runs. */
function readAloud(reading) {
  if (!reading) return null;
  return h("div", { class: "console-reading", role: "region", "aria-label": fmt(S.read_aloud, { name: reading.name }) },
    h("p", { class: "live-label", text: fmt(S.read_aloud, { name: reading.name }) }),
    reading.title ? h("h3", { text: reading.title }) : null,
    h("p", { class: "console-reading__text", text: reading.text }),
    reading.shared
      ? h("p", { class: "muted", text: S.read_in_record })
      : readonly ? null : button(S.read_share, { type: "share_prepared_story", participant_id: reading.id }, {
          key: "share_prepared_story",
        }));
}

function preparedList(ready) {
  if (!ready?.length) return null;
  return h("p", { class: "console-prepared muted" },
    fmt(S.prepared_list, { names: ready.map((p) => `${p.name} (${p.delivery === "read" ? S.prepared_read : S.prepared_tell})`).join(", ") }));
}

function orderList(order) {
  const list = h("ol", { class: "console-order", "aria-labelledby": "order-h", "aria-describedby": "order-hint" });
  order.forEach((person, index) => {
    const item = h("li", { class: "console-order__item", draggable: "true", dataset: { id: person.id, index } },
      icon("grip", "console-order__grip"),
      h("span", { class: "console-order__num", "aria-hidden": "true", text: String(index + 1) }),
      h("span", { class: "console-order__name" }, h("span", { text: person.name }), presenceTag(person.id)),
      h("span", { class: "console-order__moves" },
        button("", { type: "move_speaker", participant_id: person.id, position: index - 1 }, {
          cls: "btn--small",
          symbol: "up",
          run: () => moveSpeaker(person.id, index - 1),
          aria: fmt(S.move_up_label, { name: person.name }),
          key: `up:${person.id}`,
          disabled: index === 0,
        }),
        button("", { type: "move_speaker", participant_id: person.id, position: index + 1 }, {
          cls: "btn--small",
          symbol: "down",
          run: () => moveSpeaker(person.id, index + 1),
          aria: fmt(S.move_down_label, { name: person.name }),
          key: `down:${person.id}`,
          disabled: index === order.length - 1,
        }),
        button(S.skip, { type: "skip_participant", participant_id: person.id }, {
          cls: "btn--small btn--quiet",
          aria: fmt(S.skip_label, { name: person.name }),
          key: `skip:${person.id}`,
        })));
    wireDrag(item, list, order);
    list.appendChild(item);
  });
  return list;
}

function wireDrag(item, list, order) {
  const clearMarks = () => {
    for (const el of list.querySelectorAll(".is-drop-before, .is-drop-after")) {
      el.classList.remove("is-drop-before", "is-drop-after");
    }
  };
  item.addEventListener("dragstart", (event) => {
    dragId = item.dataset.id;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragId);
    item.classList.add("is-dragging");
  });
  item.addEventListener("dragend", () => {
    dragId = null;
    item.classList.remove("is-dragging");
    clearMarks();
  });
  item.addEventListener("dragover", (event) => {
    if (!dragId) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const box = item.getBoundingClientRect();
    const before = event.clientY < box.top + box.height / 2;
    clearMarks();
    item.classList.add(before ? "is-drop-before" : "is-drop-after");
  });
  item.addEventListener("drop", (event) => {
    event.preventDefault();
    const id = dragId || event.dataTransfer.getData("text/plain");
    clearMarks();
    const from = order.findIndex((p) => p.id === id);
    if (from < 0) return;
    const box = item.getBoundingClientRect();
    const target = Number(item.dataset.index) + (event.clientY < box.top + box.height / 2 ? 0 : 1);
    const position = target > from ? target - 1 : target;
    if (position !== from) moveSpeaker(id, position);
  });
}

async function moveSpeaker(id, position) {
  const result = await act({ type: "move_speaker", participant_id: id, position });
  if (result?.ok) announcer.say(fmt(S.moved, { name: nameOf(id), n: position + 1 }));
}

function finishedList(turns) {
  const row = (person, label) =>
    h("li", {},
      h("span", { text: person.name }), " ",
      h("span", { class: "badge", text: label }), " ",
      button(S.add_back, { type: "set_speaking_order", order: [...turns.order.map((p) => p.id), person.id] }, {
        cls: "btn--small btn--quiet",
        aria: fmt(S.add_back_label, { name: person.name }),
        key: `back:${person.id}`,
      }));
  return h("ul", { class: "console-done" },
    turns.done.map((p) => row(p, S.spoke)),
    turns.skipped.map((p) => row(p, S.skipped)));
}

// --- open floor ---------------------------------------------------------------------------------

function renderFloor() {
  const floor = view.floor;
  panels.floor.hidden = !floor;
  if (!floor) {
    drawn.floor = null;
    return;
  }
  const key = JSON.stringify([floor, view.roster, conn.connected]);
  draw("floor", key, () => {
    const holder = floor.holder;
    const progressive = floor.queue_order === "progressive";
    const members = new Map(view.roster.map((m) => [m.id, m]));
    return [
      holder
        ? h("div", { class: "console-speaker" },
            h("div", { class: "console-speaker__who" },
              h("span", { class: "live-label", text: S.speaking_now }),
              h("span", { class: "console-speaker__name", text: fmt(S.has_floor, { name: holder.name }) })),
            h("div", { class: "live-clock" },
              h("span", { class: "live-clock__label", text: S.speaking_for }),
              h("span", { class: "live-clock__time", "data-since": "floor",
                text: duration(sinceSeconds(floor.since)) })),
            h("div", { class: "actions" }, button(S.end_floor, { type: "end_floor" })))
        : h("p", { class: "console-speaker console-speaker--none muted", text: S.floor_open }),
      h("div", { class: "console-hands__head" },
        h("h3", { id: "hands-h", text: S.hands }),
        h("div", { class: "live-toggle", role: "group", "aria-label": S.queue_order },
          h("span", { class: "live-toggle__label", "aria-hidden": "true", text: S.queue_order }),
          toggle(S.first_come, "first_come", !progressive),
          toggle(S.progressive, "progressive", progressive))),
      h("p", { class: "hint", text: progressive ? S.progressive_hint : S.first_come_hint }),
      floor.hands.length
        ? [
            h("ol", { class: "console-hands", "aria-labelledby": "hands-h" },
              floor.hands.map((hand, index) => {
                const member = members.get(hand.id);
                return h("li", { class: "console-hands__item" },
                  h("span", { class: "console-order__num", "aria-hidden": "true", text: String(index + 1) }),
                  h("span", { class: "console-hands__name" },
                    icon("hand", "live-hand"),
                    h("span", { text: hand.name }),
                    h("span", { class: "muted console-hands__meta", text: handMeta(hand, member) })),
                  h("span", { class: "console-order__moves" },
                    button(S.give_floor, { type: "give_floor", participant_id: hand.id }, {
                      cls: "btn--small btn--primary",
                      aria: fmt(S.give_floor_label, { name: hand.name }),
                      key: `give:${hand.id}`,
                    }),
                    button(S.lower, { type: "lower_hand", participant_id: hand.id }, {
                      cls: "btn--small btn--quiet",
                      aria: fmt(S.lower_label, { name: hand.name }),
                      key: `lower:${hand.id}`,
                    })));
              })),
            h("div", { class: "actions" },
              button(S.give_next, { type: "give_floor", participant_id: null }, { key: "give-next" })),
          ]
        : h("p", { class: "empty", text: S.no_hands }),
    ];
  });
}

function handMeta(hand, member) {
  const raised = fmt(S.raised_at, { time: localTime(hand.raised_at) });
  return member ? `${raised} · ${fmt(S.spoken, { time: duration(member.airtime_seconds) })}` : raised;
}

function toggle(label, order, pressed) {
  return h("button", {
    type: "button",
    class: ["btn", "btn--small", pressed && "is-pressed"],
    "aria-pressed": pressed ? "true" : "false",
    "data-focus-key": `order:${order}`,
    text: label,
    on: { click: () => !pressed && act({ type: "set_queue_order", order }) },
  });
}

function sinceSeconds(iso) {
  return iso ? Math.max(0, (conn.now() - parseTime(iso)) / 1000) : 0;
}

// --- prompts ------------------------------------------------------------------------------------

function renderPrompts() {
  const phase = view.phase;
  panels.prompts.hidden = !phase;
  draw("prompts", JSON.stringify([phase?.key, phase?.prompts, phase?.listener_prompts]), () => {
    if (!phase) return h("p", { class: "muted", text: S.no_phase });
    return [
      h("ol", { class: "console-prompts" }, phase.prompts.map((text) => h("li", { text }))),
      phase.listener_prompts.length
        ? [h("h3", { text: S.listener_prompts }),
            h("ul", { class: "console-prompts console-prompts--listen" },
              phase.listener_prompts.map((text) => h("li", { text })))]
        : null,
    ];
  });
}

// --- run of show --------------------------------------------------------------------------------

function phasesToShow() {
  if (view?.phases?.length) return view.phases;
  let offset = 0;
  return (plan?.phases || []).map((phase, index) => {
    const row = { index, title: phase.title, minutes: phase.minutes, planned_offset_minutes: offset };
    offset += phase.minutes;
    return row;
  });
}

function renderShow() {
  const phases = phasesToShow();
  const live = view?.status === "live";
  const current = live ? view.phase_index : null;
  draw("show", JSON.stringify([phases, current, live, readonly, conn.connected]), () =>
    h("ol", { class: "console-show" }, phases.map((phase) => {
      const isCurrent = phase.index === current;
      const times = phase.started_at
        ? phase.ended_at && !isCurrent
          ? fmt(S.ran, { start: localTime(phase.started_at), end: localTime(phase.ended_at) })
          : fmt(S.running_since, { start: localTime(phase.started_at) })
        : "";
      const label = fmt(S.goto_label, { n: phase.index + 1, title: phase.title });
      const inner = [
        h("span", { class: "console-show__num", "aria-hidden": "true", text: String(phase.index + 1) }),
        h("span", { class: "console-show__main" },
          h("span", { class: "console-show__title", text: phase.title }),
          h("span", { class: "console-show__meta" },
            h("span", { text: fmt(S.minutes, { n: phase.minutes }) }),
            h("span", { text: fmt(S.offset, { offset: hoursMinutes(phase.planned_offset_minutes) }) }),
            times ? h("span", { class: "console-show__actual", text: times }) : null)),
        isCurrent ? h("span", { class: "badge badge--live", text: S.now }) : null,
      ];
      const canJump = live && !isCurrent && !readonly;
      const classes = ["console-show__item", isCurrent && "is-current", phase.ended_at && !isCurrent && "is-done"];
      return h("li", { class: classes, "aria-current": isCurrent ? "step" : null },
        canJump
          ? h("button", {
              type: "button",
              class: "console-show__row",
              "data-focus-key": `goto:${phase.index}`,
              on: {
                click: () =>
                  confirmThen(
                    { title: fmt(S.goto_title, { title: phase.title }), message: S.goto_text, confirm: S.goto_confirm },
                    { type: "goto_phase", index: phase.index },
                  ),
              },
            }, h("span", { class: "sr-only", text: `${label} · ` }), inner) // the visible words stay in its name
          : h("div", {
              class: "console-show__row",
              tabindex: isCurrent ? "-1" : null,
              "data-focus-key": `goto:${phase.index}`,
            }, inner));
    })));
}

// --- roster -------------------------------------------------------------------------------------

function people() {
  const list = invited.filter((p) => !p.revoked || view?.roster?.some((m) => m.id === p.id)).map((p) => ({ ...p }));
  for (const member of view?.roster || []) {
    if (!list.some((p) => p.id === member.id)) list.push({ id: member.id, name: member.name, context: "" });
  }
  return list;
}

function renderRoster() {
  const list = people();
  const hands = new Set((view?.floor?.hands || []).map((hand) => hand.id));
  const speaking = view?.turns?.speaker?.id || view?.floor?.holder?.id || null;
  const staff = [...online].filter((id) => id.startsWith("staff:")).length;
  const key = JSON.stringify([list, view?.roster, [...online].sort(), [...hands], speaking]);
  draw("roster", key, () => {
    if (!list.length) return h("p", { class: "empty", text: S.nobody_invited });
    return [
      h("ul", { class: "console-roster" }, list.map((person) => {
        const member = view?.roster?.find((m) => m.id === person.id);
        return h("li", { class: "console-roster__item" },
          h("div", { class: "console-roster__top" },
            h("span", { class: "console-roster__name", text: person.name }),
            speaking === person.id ? h("span", { class: "badge badge--live", text: S.speaking }) : null,
            hands.has(person.id) ? h("span", { class: "badge badge--hand" }, icon("hand"), S.hand_up) : null,
            presenceTag(person.id)),
          person.context ? h("span", { class: "muted console-roster__context", text: person.context }) : null,
          member
            ? h("div", { class: "console-airtime" },
                h("span", { class: "console-airtime__label", text: S.airtime }),
                h("span", { class: "console-airtime__bar", "aria-hidden": "true" },
                  h("span", { class: "console-airtime__fill", dataset: { airtime: person.id } })),
                h("span", { class: "console-airtime__time", dataset: { airtimeText: person.id } }))
            : null);
      })),
      staff ? h("p", { class: "muted console-roster__staff", text: fmt(S.staff_online, { n: staff }) }) : null,
    ];
  });
  tickAirtime();
}

// --- every second: countdowns and running airtime -----------------------------------------------

function tickAirtime() {
  if (!view?.roster) return;
  const nowMs = conn.now();
  const seconds = new Map(view.roster.map((m) => [m.id, airtime(m, nowMs)]));
  const most = Math.max(120, ...seconds.values());
  for (const fillEl of root.querySelectorAll("[data-airtime]")) {
    const value = seconds.get(fillEl.dataset.airtime) || 0;
    fillEl.style.width = `${Math.round((value / most) * 100)}%`;
  }
  for (const textEl of root.querySelectorAll("[data-airtime-text]")) {
    const id = textEl.dataset.airtimeText;
    textEl.textContent = duration(seconds.get(id) || 0);
    textEl.setAttribute("aria-label", fmt(S.airtime_of, { name: nameOf(id), time: duration(seconds.get(id) || 0) }));
  }
}

const warnMinute = minuteWarning(announcer);

function tick() {
  if (!view) return;
  const nowMs = conn.now();
  warnMinute("phase", view.status === "live" ? remaining(view.phase_timer, nowMs) : null, S.ann_minute_phase);
  warnMinute("turn", view.turns?.speaker ? remaining(view.turns.timer, nowMs) : null, S.ann_minute_turn);
  for (const el of root.querySelectorAll("[data-timer]")) {
    const timer = el.dataset.timer === "phase" ? view.phase_timer : view.turns?.timer;
    el.textContent = timerText(timer);
  }
  for (const el of root.querySelectorAll("[data-since]")) el.textContent = duration(sinceSeconds(view.floor?.since));
  tickAirtime();
}

// --- announcements ------------------------------------------------------------------------------

function announce(envelopes) {
  for (const { event } of envelopes) {
    switch (event.type) {
      case "exchange_started":
        announcer.say(S.ann_started);
        break;
      case "phase_started": {
        const title = view.phases?.[event.index]?.title || "";
        announcer.say(fmt(S.ann_phase, { n: event.index + 1, total: view.phase_count, title }));
        break;
      }
      case "turn_started":
        announcer.say(fmt(S.ann_speaking, { name: nameOf(event.participant_id) }));
        break;
      case "turn_ended":
        if (event.reason !== "phase_ended") {
          announcer.say(fmt(S.ann_turn_ended, { name: nameOf(event.participant_id) }));
        }
        break;
      case "time_up":
        announcer.say(event.timer === "phase" ? S.ann_time_up_phase : S.ann_time_up_turn);
        break;
      case "hand_raised":
        announcer.say(fmt(S.ann_hand, { name: nameOf(event.participant_id) }));
        break;
      case "hand_lowered":
        announcer.say(fmt(S.ann_hand_lowered, { name: nameOf(event.participant_id) }));
        break;
      case "floor_given":
        announcer.say(fmt(S.ann_floor, { name: nameOf(event.participant_id) }));
        break;
      case "participant_joined":
        announcer.say(fmt(S.ann_joined, { name: event.name }));
        break;
      case "exchange_ended":
        announcer.say(S.ann_ended);
        break;
      case "lead_accepted":
        announcer.say(fmt(S.ann_lead, { name: event.name }));
        break;
      case "lead_offered":
        if (event.to_id === null || event.to_id === me) announcer.say(S.ann_lead_offered);
        break;
      default:
        break;
    }
  }
}

// --- the phase's activity, and the private notes ------------------------------------------------

const ACTIVITY_TITLES = {
  agreements: "act_agreements",
  story_round: "act_stories",
  cards: "act_cards",
  discussion: "act_actions",
  draft: "act_draft",
  feedback: "act_feedback",
  selection: "act_selection",
};

function renderActivities() {
  activities.setContext({
    S, me: null, staff: true, readonly, view,
    personal: null,
    send: (command, meta) => act(command, meta),
    announce: (message) => announcer.say(message),
    rerender: renderActivities,
    confirm: (options) => confirmDialog({ cancel: S.cancel, ...options }),
  });
  const ui = activities.uiKey();
  const live = view?.status === "live";
  const ended = view?.status === "ended";
  const kind = live ? view.phase?.kind : null;
  const current = kind ? activities.activity() : ended ? activities.feedbackSummary() : null;
  const hidden = live || ended ? activities.hiddenList() : null; // what was hidden, with its Undo
  const content = current || hidden ? [current, hidden] : null;
  panels.activity.hidden = !content;
  if (activityTitle) activityTitle.textContent = S[ACTIVITY_TITLES[kind] || "act_feedback"] || "";
  const skip = ["phase_timer", "turns", "floor", "seq"];
  const relevant = view ? Object.fromEntries(Object.entries(view).filter(([k]) => !skip.includes(k))) : null;
  const key = JSON.stringify([relevant, ui, readonly, conn.connected]);
  if (drawn.activity !== key) {
    drawn.activity = key;
    activities.redraw(regions.activity, content);
  }
  panels.private.hidden = !(live || ended) || readonly;
  if (!panels.private.hidden && drawn.private !== key) {
    drawn.private = key;
    activities.redraw(regions.private, activities.privateNotes());
  }
}

// --- wiring -------------------------------------------------------------------------------------

function render() {
  if (view) {
    badge.textContent = S[`status_${view.status}`] || view.status;
    badge.className = `badge badge--${view.status === "waiting" ? "scheduled" : view.status}`;
    renderLead();
    renderNow();
    renderTurns();
    renderFloor();
    renderPrompts();
    renderActivities();
  }
  renderShow();
  renderRoster();
}

const indicator = connectionIndicator(document.querySelector("[data-live-conn]"), S);

conn.onView((next) => {
  view = planText(next, S.plan_text);
  render();
});
conn.onEvents((envelopes, { resumed }) => {
  if (!resumed) announce(envelopes);
});
conn.onWelcome((you) => {
  me = you?.id || null;
  drawn.lead = null;
  readonly = you?.role !== "facilitator";
  root.classList.toggle("console--readonly", readonly);
  drawn.activity = null; // rebuild the activity with (or without) its controls
  if (view) renderActivities();
  const note = document.querySelector("[data-live-readonly]");
  if (note) {
    note.textContent = S.readonly;
    note.hidden = !readonly;
  }
});
conn.onPresence((ids) => {
  online = new Set(ids);
  render();
});
conn.onStatus((status) => {
  indicator(status);
  root.dataset.conn = status; // presence and controls look stale while the connection is down
  if (status === "crowded") toast.show(S.crowded_text); // too many of their tabs or devices are open
  if (status === "denied") {
    fill(regions.now,
      h("p", { class: "console-now__title", text: S.denied }),
      h("p", { text: S.denied_text }),
      h("a", { class: "btn btn--primary", href: `/login?next=${encodeURIComponent(location.pathname)}`,
        text: S.log_in }));
    drawn.now = "denied";
    return;
  }
  render();
});

renderShow();
renderRoster();
everySecond(tick);
conn.start();
