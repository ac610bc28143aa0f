// The plan editor, in place: move phases up and down (buttons, arrow keys on the handle, or drag),
// remove one after its confirmation (with an undo), and keep the running total against the scheduled
// length. Nothing is sent until "Save plan": the hidden `order` inputs carry the order the page shows,
// and a removed phase's fields leave the form with it. Without this script the same buttons post the
// form and the server does each step.

const form = document.querySelector("[data-plan-editor]");
const list = form?.querySelector("[data-phases]");
const strings = JSON.parse(form?.dataset.strings || "{}");

// From now on the page's order is the order to save (see the `order` inputs); a page without this
// script never says so, and its order inputs are ignored.
const ordered = Object.assign(document.createElement("input"), { type: "hidden", name: "ordered", value: "1" });
form.prepend(ordered);

const fmt = (text, values) => String(text || "").replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
const phases = () => [...list.querySelectorAll(":scope > [data-phase]")];
const titleOf = (li) => li.querySelector("[data-title-input]")?.value.trim() || li.querySelector("[data-phase-title]")?.textContent || "";

const announcer = document.querySelector("[data-announce]");
function announce(text) {
  // Clear first so the same words twice are read twice.
  announcer.textContent = "";
  window.setTimeout(() => { announcer.textContent = text; }, 30);
}

let dirty = false;
function markDirty() {
  dirty = true;
  const notice = form.querySelector("[data-unsaved]");
  if (notice) notice.hidden = false;
}
window.addEventListener("beforeunload", (event) => {
  if (dirty) {
    event.preventDefault();
    event.returnValue = strings.leave || "";
  }
});
form.addEventListener("submit", () => { dirty = false; });

// --- numbers, move buttons and the total ----------------------------------------------------------

const totalBox = document.querySelector("[data-plan-total]");
function refreshTotal() {
  const scheduled = Number(totalBox.dataset.scheduled) || 0;
  const total = phases().reduce((sum, li) => sum + (Number(li.querySelector("[data-minutes]")?.value) || 0), 0);
  totalBox.querySelector("[data-total-minutes]").textContent = String(total);
  totalBox.querySelector("[data-phase-count]").textContent = String(phases().length);
  const warning = totalBox.querySelector("[data-total-warning]");
  const over = total > scheduled;
  totalBox.classList.toggle("plan-total--over", over);
  if (over) warning.textContent = fmt(strings.over, { over: total - scheduled, scheduled });
  warning.hidden = !over;
}

function refresh() {
  const all = phases();
  all.forEach((li, index) => {
    li.querySelector("[data-phase-number]").textContent = String(index + 1);
    const [up, down] = li.querySelectorAll("[data-move]");
    if (up) up.disabled = index === 0;
    if (down) down.disabled = index === all.length - 1;
  });
  refreshTotal();
}

function moveTo(li, index) {
  const others = phases().filter((other) => other !== li);
  const clamped = Math.max(0, Math.min(index, others.length));
  list.insertBefore(li, others[clamped] || null);
}

function moved(li, focus) {
  refresh();
  markDirty();
  const all = phases();
  announce(fmt(strings.moved, { title: titleOf(li), n: all.indexOf(li) + 1, total: all.length }));
  if (focus) {
    focus.focus();
    li.scrollIntoView({ block: "nearest" });
  }
}

function step(li, offset, focusFrom) {
  const index = phases().indexOf(li);
  const target = index + offset;
  if (target < 0 || target >= phases().length) return;
  moveTo(li, target);
  // Keep the focus where the keyboard was: on the same button, or its twin when this one is now disabled.
  let focus = focusFrom;
  if (focusFrom?.matches("[data-move]")) {
    const [up, down] = li.querySelectorAll("[data-move]");
    refresh();
    focus = focusFrom.disabled ? (focusFrom === up ? down : up) : focusFrom;
  }
  moved(li, focus);
}

list.addEventListener("click", (event) => {
  const button = event.target.closest("[data-move]");
  if (!button) return;
  event.preventDefault();
  step(button.closest("[data-phase]"), Number(button.dataset.move), button);
});

// --- remove, with the confirmation the page already holds, and an undo ------------------------------

const undoBar = document.querySelector("[data-undo]");
let lastRemoved = null;

list.addEventListener("click", (event) => {
  const confirm = event.target.closest("[data-remove-confirm]");
  if (!confirm) return;
  event.preventDefault();
  const li = confirm.closest("[data-phase]");
  const index = phases().indexOf(li);
  li.querySelector("[data-remove]").open = false;
  li.remove();
  lastRemoved = { li, index };
  refresh();
  markDirty();
  const text = fmt(strings.removed, { title: titleOf(li) });
  undoBar.querySelector("[data-undo-text]").textContent = text;
  undoBar.hidden = false;
  undoBar.querySelector("[data-undo-button]").focus();
});

undoBar?.querySelector("[data-undo-button]").addEventListener("click", () => {
  if (!lastRemoved) return;
  const { li, index } = lastRemoved;
  lastRemoved = null;
  moveTo(li, index);
  undoBar.hidden = true;
  refresh();
  announce(fmt(strings.restored, { title: titleOf(li), n: phases().indexOf(li) + 1 }));
  li.querySelector("[data-remove] summary")?.focus();
});

// --- the drag handle: arrow keys, or drag with a mouse, a pen or a finger ----------------------------

for (const handle of list.querySelectorAll("[data-drag]")) handle.hidden = false;

list.addEventListener("keydown", (event) => {
  const handle = event.target.closest("[data-drag]");
  if (!handle || !["ArrowUp", "ArrowDown"].includes(event.key)) return;
  event.preventDefault();
  step(handle.closest("[data-phase]"), event.key === "ArrowUp" ? -1 : 1, handle);
});

let drag = null;

function dragTo(clientY) {
  const { li } = drag;
  const others = phases().filter((other) => other !== li);
  const before = others.find((other) => {
    const box = other.getBoundingClientRect();
    return clientY < box.top + box.height / 2;
  });
  if (li.nextElementSibling !== (before || null)) list.insertBefore(li, before || null);
}

function endDrag(cancelled) {
  if (!drag) return;
  const { li, handle, start } = drag;
  drag = null;
  list.classList.remove("plan-phases--dragging");
  li.classList.remove("is-dragging");
  if (cancelled) moveTo(li, start);
  if (phases().indexOf(li) !== start) moved(li, handle);
  else refresh();
  handle.focus();
  li.scrollIntoView({ block: "nearest" });
}

list.addEventListener("pointerdown", (event) => {
  const handle = event.target.closest("[data-drag]");
  if (!handle || event.button !== 0) return;
  event.preventDefault();
  const li = handle.closest("[data-phase]");
  drag = { li, handle, start: phases().indexOf(li) };
  // While dragging, each phase shows only its head, so the whole plan fits in a reach; the page
  // scrolls so that the handle stays under the pointer.
  const before = handle.getBoundingClientRect().top;
  list.classList.add("plan-phases--dragging");
  li.classList.add("is-dragging");
  window.scrollBy(0, handle.getBoundingClientRect().top - before);
});

// On the document, not the list: moving the phase in the list ends the handle's pointer capture.
document.addEventListener("pointermove", (event) => {
  if (!drag) return;
  // Near the top or bottom edge the page scrolls, faster the closer the pointer is.
  const edge = 80;
  if (event.clientY < edge) window.scrollBy(0, -Math.ceil((edge - event.clientY) / 4));
  else if (event.clientY > window.innerHeight - edge) window.scrollBy(0, Math.ceil((event.clientY - window.innerHeight + edge) / 4));
  dragTo(event.clientY);
});

document.addEventListener("pointerup", () => endDrag(false));
document.addEventListener("pointercancel", () => endDrag(true));
document.addEventListener("keydown", (event) => {
  if (drag && event.key === "Escape") endDrag(true);
});

// --- edits anywhere: the total, the titles in the buttons' names, the unsaved notice -----------------

form.addEventListener("input", (event) => {
  markDirty();
  if (event.target.matches("[data-minutes]")) refreshTotal();
  if (event.target.matches("[data-title-input]")) {
    const li = event.target.closest("[data-phase]");
    li.querySelector("[data-phase-title]").textContent = event.target.value;
    for (const named of li.querySelectorAll("[data-label]")) {
      named.setAttribute("aria-label", fmt(named.dataset.label, { title: event.target.value.trim() }));
    }
  }
});
form.addEventListener("change", markDirty);

refresh();
