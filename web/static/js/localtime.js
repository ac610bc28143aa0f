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

function describe(ms) {
  const minutes = Math.round(ms / 60000);
  if (minutes < 1) return "Starting now";
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [];
  if (days) parts.push(`${days} day${days === 1 ? "" : "s"}`);
  if (hours) parts.push(`${hours} hour${hours === 1 ? "" : "s"}`);
  if (!days && mins) parts.push(`${mins} minute${mins === 1 ? "" : "s"}`);
  return `Starts in ${parts.join(" ")}`;
}

for (const el of document.querySelectorAll("[data-countdown]")) {
  const at = new Date(el.dataset.countdown).getTime();
  const tick = () => {
    const left = at - Date.now();
    el.textContent = left > -3600000 ? describe(Math.max(0, left)) : "";
  };
  tick();
  setInterval(tick, 30000);
}
