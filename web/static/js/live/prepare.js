// A practitioner's story, prepared before the call: written at their own pace (saved as they type,
// a moment after each pause), with how it reaches the group (told live, read by the facilitator, or
// kept private). The fields are built once and never redrawn while someone types; updates from the
// server only touch the status line and the share button.

import { fmt, h, localTime } from "./dom.js";

const SAVE_AFTER_MS = 900; // a pause in typing this long saves

export class PreparePanel {
  constructor(region, { S, send, me }) {
    this.region = region;
    this.S = S;
    this.send = send;
    this.me = me;
    this.timer = null;
    this.saving = false;
    this.dirty = false; // typed since the last save went out
    this.loaded = false; // filled from the server's copy once
    this.build();
  }

  build() {
    const S = this.S;
    const counter = (max) => h("span", { class: "act-count", text: fmt(S.count, { n: 0, max }) });
    this.titleCount = counter(200);
    this.textCount = counter(4000);
    this.title = h("input", {
      id: "prep-title", class: "act-input", type: "text", maxlength: 200, "aria-describedby": "prep-status",
      on: { input: () => this.typed() },
    });
    this.text = h("textarea", {
      id: "prep-text", class: "act-input", rows: 8, maxlength: 4000, "aria-describedby": "prep-hint prep-status",
      on: { input: () => this.typed() },
    });
    const choice = (value, label, hint) => h("label", { class: "choice prep-choice" },
      h("input", { type: "radio", name: "prep-delivery", value, on: { change: () => this.save() } }),
      h("span", {}, h("strong", { text: label }), h("br"), h("span", { class: "muted", text: hint })));
    this.choices = h("fieldset", { class: "prep-delivery" },
      h("legend", { text: S.prep_how }),
      choice("tell", S.prep_tell, S.prep_tell_hint),
      choice("read", S.prep_read, S.prep_read_hint),
      choice("private", S.prep_private, S.prep_private_hint));
    this.status = h("p", { id: "prep-status", class: "prep-status muted", role: "status", text: S.prep_not_saved });
    this.turn = h("div", { class: "prep-turn", hidden: true });
    this.panel = h("article", { class: "panel prep", "aria-labelledby": "prep-h" },
      h("h2", { id: "prep-h", text: S.prep_title }),
      h("p", { id: "prep-hint", class: "muted", text: S.prep_intro }),
      this.turn,
      h("div", { class: "field act-field" },
        h("label", { for: "prep-title", text: S.prep_story_title }), this.title,
        h("div", { class: "act-field__foot" }, this.titleCount)),
      h("div", { class: "field act-field" },
        h("label", { for: "prep-text", text: S.prep_story_text }), this.text,
        h("div", { class: "act-field__foot" }, this.textCount)),
      this.choices,
      this.status);
    this.region.replaceChildren(this.panel);
    this.region.hidden = true;
    this.setDelivery("tell");
  }

  /** The page's access ended: drop the text and any save still waiting. */
  forget() {
    clearTimeout(this.timer);
    this.title.value = "";
    this.text.value = "";
    this.region.replaceChildren();
  }

  delivery() {
    return this.choices.querySelector("input:checked")?.value || "tell";
  }

  setDelivery(value) {
    for (const input of this.choices.querySelectorAll("input")) input.checked = input.value === value;
  }

  counts() {
    this.titleCount.textContent = fmt(this.S.count, { n: this.title.value.length, max: 200 });
    this.textCount.textContent = fmt(this.S.count, { n: this.text.value.length, max: 4000 });
  }

  typed() {
    this.dirty = true;
    this.counts();
    this.status.textContent = this.S.prep_saving;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), SAVE_AFTER_MS);
  }

  async save() {
    clearTimeout(this.timer);
    this.dirty = false;
    this.status.textContent = this.S.prep_saving;
    const command = { type: "prepare_story", title: this.title.value, text: this.text.value, delivery: this.delivery() };
    const result = await this.send(command);
    if (this.dirty) return; // typed again meanwhile: the next save reports
    if (result?.ok) this.status.textContent = fmt(this.S.prep_saved, { time: localTime(new Date().toISOString()) });
    else this.status.textContent = result?.message || this.S.prep_not_saved;
  }

  /** Show the panel where it helps (the lobby, and story rounds); fill it from the server's copy once. */
  update({ view, personal }) {
    const status = view?.status;
    const round = status === "live" && view.phase?.kind === "story_round";
    const saved = personal?.prepared;
    // In the lobby, always; in a story round, only for someone who prepared a story (their notes).
    this.region.hidden = !(status === "waiting" || (round && (this.dirty || Boolean(saved && (saved.title || saved.text)))));
    if (saved && !this.loaded && !this.dirty) {
      this.loaded = true;
      this.title.value = saved.title;
      this.text.value = saved.text;
      this.setDelivery(saved.delivery);
      this.counts();
      this.status.textContent = fmt(this.S.prep_saved, { time: localTime(saved.saved_at) });
    } else if (personal) {
      this.loaded = true;
    }
    this.renderTurn(view, saved, round);
  }

  renderTurn(view, saved, round) {
    const S = this.S;
    const turns = view?.turns;
    const mine = turns && (turns.speaker?.id === this.me || turns.done.some((p) => p.id === this.me));
    const shared = (view?.stories || []).some((s) => s.teller?.id === this.me && s.phase_index === view.phase_index);
    const ready = saved && (saved.title || saved.text) && saved.delivery !== "private";
    const show = Boolean(round && mine && ready && !shared);
    this.turn.hidden = !show;
    if (!show) {
      this.turn.replaceChildren();
      return;
    }
    this.turn.replaceChildren(
      h("p", { text: saved.delivery === "read" ? S.prep_being_read : S.prep_tell_now }),
      h("button", {
        type: "button", class: "btn btn--primary",
        on: { click: () => this.send({ type: "share_prepared_story" }) },
        text: S.prep_share,
      }));
  }
}
