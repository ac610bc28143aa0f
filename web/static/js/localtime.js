// Shows every <time data-local> also in the viewer's own zone, and runs lobby countdowns.
const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
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

// The words come from the page (translated on the server), with English as the fallback.
const ENGLISH = {
  now: "Starting now", in: "Starts in {time}", day: "1 day", days: "{n} days",
  hour: "1 hour", hours: "{n} hours", minute: "1 minute", minutes: "{n} minutes",
};

function describe(ms, words) {
  const minutes = Math.round(ms / 60000);
  if (minutes < 1) return words.now;
  const count = (n, one, many) => (n === 1 ? words[one] : words[many].replace("{n}", String(n)));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [];
  if (days) parts.push(count(days, "day", "days"));
  if (hours) parts.push(count(hours, "hour", "hours"));
  if (!days && mins) parts.push(count(mins, "minute", "minutes"));
  return words.in.replace("{time}", parts.join(" "));
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
