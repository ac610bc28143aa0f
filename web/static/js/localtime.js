// Shows every <time data-local> also in the viewer's own zone, and runs lobby countdowns, in the
// page's language (<html lang>): dates, units, plurals and lists all come from Intl.
const LANG = document.documentElement.lang || "en";
const fmt = new Intl.DateTimeFormat(LANG, { dateStyle: "full", timeStyle: "short" });
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

for (const el of document.querySelectorAll("time[data-local]")) {
  const when = new Date(el.getAttribute("datetime"));
  // Only worth saying again when the viewer is somewhere else.
  if (Number.isNaN(when.getTime()) || el.dataset.zone === zone) continue;
  const local = document.createElement("span");
  local.className = "muted local-time";
  local.textContent = ` · ${fmt.format(when)} (${zone})`;
  el.after(local);
}

// The sentences come from the page (translated on the server), with English as the fallback; the
// amounts ("2 days and 3 hours") are the language's own units, plurals and list.
const ENGLISH = { now: "Starting now", in: "Starts in {time}" };
const unit = (name) => new Intl.NumberFormat(LANG, { style: "unit", unit: name, unitDisplay: "long" });
const units = { day: unit("day"), hour: unit("hour"), minute: unit("minute") };
const list = new Intl.ListFormat(LANG, { style: "long", type: "unit" });

function describe(ms, words) {
  const minutes = Math.round(ms / 60000);
  if (minutes < 1) return words.now;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [];
  if (days) parts.push(units.day.format(days));
  if (hours) parts.push(units.hour.format(hours));
  if (!days && mins) parts.push(units.minute.format(mins));
  return words.in.replace("{time}", list.format(parts));
}

for (const el of document.querySelectorAll("[data-countdown]")) {
  const at = new Date(el.dataset.countdown).getTime();
  let words = ENGLISH;
  try {
    words = { ...ENGLISH, ...JSON.parse(el.dataset.strings || "{}") };
  } catch {
    // keep English
  }
  const tick = () => {
    const left = at - Date.now();
    el.textContent = left > -3600000 ? describe(Math.max(0, left), words) : "";
  };
  tick();
  setInterval(tick, 30000);
}
