// The teller's placement on their record page: a triangle to drag, tap or move with the arrow keys,
// kept in step with the three number inputs it enhances (which work alone, without this script).
const SVG = "http://www.w3.org/2000/svg";
const CORNERS = [[150, 28], [24, 238], [276, 238]]; // top, bottom left, bottom right (as the plots)
const STEP = 6; // pixels per arrow key; Shift: four times that

function el(name, attrs = {}, text = "") {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text) node.textContent = text;
  return node;
}

/** Weights (three numbers) -> a point inside the triangle. */
function pointOf(weights) {
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  return [0, 1].map((axis) => weights.reduce((sum, w, i) => sum + w * CORNERS[i][axis], 0) / total);
}

/** A point -> weights summing to 100 (outside the triangle: the nearest edge). */
function weightsOf([x, y]) {
  const [a, b, c] = CORNERS;
  const v0 = [b[0] - a[0], b[1] - a[1]], v1 = [c[0] - a[0], c[1] - a[1]], v2 = [x - a[0], y - a[1]];
  const d00 = v0[0] * v0[0] + v0[1] * v0[1], d01 = v0[0] * v1[0] + v0[1] * v1[1], d11 = v1[0] * v1[0] + v1[1] * v1[1];
  const d20 = v2[0] * v0[0] + v2[1] * v0[1], d21 = v2[0] * v1[0] + v2[1] * v1[1];
  const denom = d00 * d11 - d01 * d01;
  let wb = (d11 * d20 - d01 * d21) / denom, wc = (d00 * d21 - d01 * d20) / denom;
  let raw = [1 - wb - wc, wb, wc].map((w) => Math.max(0, w));
  const sum = raw.reduce((s, w) => s + w, 0) || 1;
  raw = raw.map((w) => (w * 100) / sum);
  const floors = raw.map(Math.floor);
  const order = [0, 1, 2].sort((i, j) => (raw[j] - floors[j]) - (raw[i] - floors[i]) || i - j);
  const missing = 100 - floors.reduce((s, w) => s + w, 0);
  for (let k = 0; k < missing; k++) floors[order[k]] += 1;
  return floors;
}

function enhance(fieldset) {
  const inputs = [...fieldset.querySelectorAll("input[type=number]")];
  if (inputs.length !== 3) return;
  const names = inputs.map((input) => fieldset.querySelector(`label[for="${input.id}"]`)?.textContent.trim() ?? "");
  const svg = el("svg", { viewBox: "0 0 300 278", class: "triangle-pad", "aria-hidden": "false" });
  svg.append(el("polygon", { points: CORNERS.map((p) => p.join(",")).join(" "), fill: "#f6f4ef", stroke: "#555", "stroke-width": 1.5 }));
  svg.append(el("text", { x: 150, y: 16, "text-anchor": "middle" }, names[0]));
  svg.append(el("text", { x: 14, y: 272, "text-anchor": "start" }, names[1]));
  svg.append(el("text", { x: 286, y: 272, "text-anchor": "end" }, names[2]));
  const handle = el("g", { class: "triangle-pad__handle", tabindex: 0, role: "slider", "aria-valuemin": 0, "aria-valuemax": 100,
    "aria-label": fieldset.querySelector("legend")?.textContent.trim() ?? "" });
  handle.append(el("circle", { r: 16, fill: "transparent", class: "triangle-pad__ring", stroke: "transparent", "stroke-width": 2 }));
  handle.append(el("circle", { r: 9, fill: "#0f766e", stroke: "#fff", "stroke-width": 2 }));
  svg.append(handle);
  fieldset.querySelector(".triangle-input__numbers").before(svg);
  const hint = fieldset.querySelector(".triangle-input__hint");
  if (hint) hint.hidden = false;

  let point = pointOf(inputs.map((i) => Number(i.value) || 0));
  function draw(weights) {
    handle.setAttribute("transform", `translate(${point[0].toFixed(1)} ${point[1].toFixed(1)})`);
    handle.setAttribute("aria-valuenow", String(weights[0]));
    handle.setAttribute("aria-valuetext", weights.map((w, i) => `${names[i]} ${w}`).join(", "));
  }
  function moveTo(p) {
    const weights = weightsOf(p);
    point = pointOf(weights);
    inputs.forEach((input, i) => { input.value = String(weights[i]); });
    draw(weights);
  }
  function fromInputs() {
    const weights = inputs.map((i) => Math.max(0, Number(i.value) || 0));
    if (weights.some((w) => w > 0)) point = pointOf(weights);
    draw(weights);
  }
  function svgPoint(event) {
    const matrix = svg.getScreenCTM();
    if (!matrix) return point;
    const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    return [p.x, p.y];
  }
  svg.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    svg.setPointerCapture(event.pointerId);
    handle.focus();
    moveTo(svgPoint(event));
  });
  svg.addEventListener("pointermove", (event) => {
    if (svg.hasPointerCapture(event.pointerId)) moveTo(svgPoint(event));
  });
  handle.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? STEP * 4 : STEP;
    const moves = { ArrowUp: [0, -step], ArrowDown: [0, step], ArrowLeft: [-step, 0], ArrowRight: [step, 0] };
    if (event.key in moves) {
      event.preventDefault();
      const [dx, dy] = moves[event.key];
      moveTo([point[0] + dx, point[1] + dy]);
    } else if (event.key === "Home") {
      event.preventDefault();
      moveTo(pointOf([1, 1, 1]));
    }
  });
  inputs.forEach((input) => input.addEventListener("input", fromInputs));
  fromInputs();
}

function enhanceSlider(input) {
  const say = () => input.setAttribute("aria-valuetext", `${input.value} / 100`);
  input.addEventListener("input", say);
  say();
}

document.querySelectorAll(".triangle-input").forEach(enhance);
document.querySelectorAll(".slider-input input[type=range]").forEach(enhanceSlider);
