// The playground page: symcnn runs in Pyodide; symcnn/web/derive.py answers every edit as JSON.
"use strict";

const QUANTITIES = ["activations", "weights", "biases", "params", "buffers", "macs"];
const TOTALS = [["params", "params"], ["buffers", "buffers"], ["activations", "activations"], ["macs", "MACs"]];
const DEFAULT_EXAMPLE = "vgg16";
const EDIT_DELAY_MS = 150;  // derive once the typing pauses

const state = { text: "", values: {}, symbols: [], claim: "" };
const timings = { loadMs: null, formsMs: null, deriveMs: null, pythonMs: null, checkMs: null, steps: {} };
window.symcnnTimings = timings;  // read by tests/test_web.py
let derive = null;  // symcnn.web.derive, once Python is up

const byId = (id) => document.getElementById(id);

// Counts arrive as decimal strings: a JavaScript number is exact only below 2^53.
function grouped(digits) {
  return String(digits).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// Text with maths between $…$ (symcnn's LaTeX phrases), maths rendered by KaTeX.
function renderMixed(element, text) {
  element.replaceChildren();
  text.split("$").forEach((part, index) => {
    if (index % 2 === 0) {
      element.append(part);
    } else {
      const span = document.createElement("span");
      katex.render(part, span, { throwOnError: false });
      element.append(span);
    }
  });
}

function renderSymbols(answer) {
  const box = byId("symbols");
  const same = answer.symbols.join(",") === state.symbols.join(",");
  state.symbols = answer.symbols;
  if (!same) {
    box.replaceChildren();
    for (const name of answer.symbols) {
      const row = document.createElement("label");
      row.className = "symbol";
      const title = document.createElement("span");
      title.textContent = name;
      const slider = Object.assign(document.createElement("input"), { type: "range", id: `range-${name}`, min: 1, step: 1 });
      const field = Object.assign(document.createElement("input"), { type: "number", id: `value-${name}`, min: 1, step: 1 });
      slider.setAttribute("aria-label", `${name} (slider)`);
      field.setAttribute("aria-label", name);
      slider.addEventListener("input", () => { field.value = slider.value; setValue(name, slider.value); });
      field.addEventListener("input", () => { slider.value = field.value; setValue(name, field.value); });
      row.append(title, slider, field);
      box.append(row);
    }
  }
  for (const name of answer.symbols) {
    const value = String(answer.values[name]);
    const domain = (answer.domain_json || {})[name];
    const slider = byId(`range-${name}`);
    slider.min = domain ? domain.min : 1;
    // A network valid for one residue class (n a multiple of 32 from 32 on) slides from valid size to valid size.
    const single = domain && domain.residues.length === 1 && domain.residues[0] === domain.min % domain.modulus;
    slider.step = single ? domain.modulus : 1;
    slider.max = Math.max(name === "n" ? 1024 : 100, Number(value) || 0);
    if (byId(`value-${name}`) !== document.activeElement) byId(`value-${name}`).value = value;
    if (slider !== document.activeElement) slider.value = value;
    state.values[name] = value;
  }
}

function renderTotals(report) {
  const body = byId("totals").tBodies[0];
  body.replaceChildren();
  if (!report) return;
  for (const [quantity, title] of TOTALS) {
    const row = body.insertRow();
    row.dataset.quantity = quantity;
    cell(row, title);
    cell(row, grouped(report.total[quantity]), "number");
  }
}

function renderLayers(report) {
  const table = byId("layers");
  const body = table.tBodies[0];
  body.replaceChildren();
  table.tFoot?.remove();
  if (!report) return;
  const input = body.insertRow();
  input.className = "input";
  const inputValues = report.input.reduce((product, size) => product * BigInt(size), 1n);
  for (const text of ["0", "input", report.input.join("×"), grouped(inputValues), "", "", "", "", ""]) cell(input, text);
  for (const layer of report.layers) {
    const row = body.insertRow();
    row.dataset.index = layer.index;
    cell(row, layer.index);
    cell(row, layer.name);
    cell(row, layer.output.join("×"));
    for (const quantity of QUANTITIES) cell(row, grouped(layer[quantity]));
  }
  const total = table.createTFoot().insertRow();
  for (const text of ["", "total", ""]) cell(total, text);
  for (const quantity of QUANTITIES) cell(total, grouped(report.total[quantity]));
}

function renderForms(answer) {
  const forms = byId("forms");
  forms.replaceChildren();
  const fixed = answer.forms.length && !state.symbols.length;
  renderMixed(byId("domain"), fixed ? "No free symbol: every total is a number." : answer.domain);
  for (const form of answer.forms) {
    const box = document.createElement("div");
    box.className = "form";
    box.dataset.quantity = form.quantity;
    const general = document.createElement("div");
    katex.render(`\\mathrm{${form.title}} = ${form.general}`, general, { throwOnError: false });
    box.append(general);
    if (form.polynomial) {
      const line = document.createElement("div");
      line.className = "line";
      const maths = document.createElement("span");
      katex.render(`= ${form.polynomial}`, maths, { throwOnError: false });
      const condition = document.createElement("span");
      condition.className = "condition";
      renderMixed(condition, ` for ${form.assumption}`);
      line.append(maths, condition);
      box.append(line);
    }
    forms.append(box);
  }
}

function renderReport(answer) {
  renderSymbols(answer);
  const error = byId("error");
  error.hidden = !answer.error;
  error.textContent = answer.error;
  renderTotals(answer.report);
  renderLayers(answer.report);
  const at = Object.entries(answer.values).map(([name, value]) => `${name} = ${grouped(value)}`).join(", ");
  byId("at").textContent = answer.report && at ? `at ${at}` : "";
}

// The diagram: `symcnn report TEXT --n N --format dot`, drawn by Graphviz (viz.js) when its tab is shown.
let vizReady = null;
async function renderDiagram() {
  if (byId("diagram-view").hidden) return;
  const answer = JSON.parse(derive.diagram(state.text, JSON.stringify(state.values), byId("depth").value));
  byId("diagram-error").hidden = !answer.error;
  byId("diagram-error").textContent = answer.error;
  byId("dot-link").href = `data:text/vnd.graphviz;charset=utf-8,${encodeURIComponent(answer.dot)}`;
  const box = byId("diagram");
  if (answer.dot) {
    vizReady ??= Viz.instance();
    box.replaceChildren((await vizReady).renderSVGElement(answer.dot));
  } else {
    box.replaceChildren();
  }
  bump("diagrams");
}

function drawDiagram() {
  renderDiagram().catch((error) => {
    byId("diagram-error").hidden = false;
    byId("diagram-error").textContent = String(error);
  });
}

// The sweep: `symcnn sweep TEXT --n RANGE --format json` (the other symbols at the page's values), plotted.
const SVG = "http://www.w3.org/2000/svg";
const PLOT = { width: 720, height: 300, left: 92, right: 16, top: 16, bottom: 40 };

function svg(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

// Positions only go through floating point; every number shown is the exact decimal string.
function plotSweep(rows, symbol, quantity) {
  const box = byId("sweep-plot");
  box.replaceChildren();
  if (!rows.length) return;
  const xs = rows.map((row) => Number(row[symbol]));
  const ys = rows.map((row) => Number(row[quantity]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const top = Math.max(...ys) || 1;
  const width = PLOT.width - PLOT.left - PLOT.right;
  const height = PLOT.height - PLOT.top - PLOT.bottom;
  const x = (value) => PLOT.left + (x1 === x0 ? width / 2 : ((value - x0) / (x1 - x0)) * width);
  const y = (value) => PLOT.top + height - (value / top) * height;
  const chart = svg("svg", { viewBox: `0 0 ${PLOT.width} ${PLOT.height}`, role: "img",
    "aria-label": `${quantity} against ${symbol}` });
  chart.append(
    svg("line", { class: "axis", x1: PLOT.left, y1: PLOT.top + height, x2: PLOT.left + width, y2: PLOT.top + height }),
    svg("line", { class: "axis", x1: PLOT.left, y1: PLOT.top, x2: PLOT.left, y2: PLOT.top + height }),
    svg("text", { x: PLOT.left - 6, y: PLOT.top + 4, "text-anchor": "end" }, grouped(rows.reduce(
      (best, row) => (BigInt(row[quantity]) > BigInt(best) ? row[quantity] : best), "0"))),
    svg("text", { x: PLOT.left - 6, y: PLOT.top + height, "text-anchor": "end" }, "0"),
    svg("text", { x: PLOT.left, y: PLOT.height - 12, "text-anchor": "start" }, `${symbol} = ${grouped(rows[0][symbol])}`),
    svg("text", { x: PLOT.left + width, y: PLOT.height - 12, "text-anchor": "end" },
      `${symbol} = ${grouped(rows[rows.length - 1][symbol])}`),
    svg("polyline", { class: "curve", points: rows.map((row, i) => `${x(xs[i])},${y(ys[i])}`).join(" ") }),
  );
  rows.forEach((row, i) => {
    const point = svg("circle", { cx: x(xs[i]), cy: y(ys[i]), r: 3, "data-n": row[symbol], "data-value": row[quantity] });
    point.append(svg("title", {}, `${symbol} = ${grouped(row[symbol])}: ${grouped(row[quantity])} ${quantity}`));
    chart.append(point);
  });
  box.append(chart);
}

function renderSweep() {
  if (byId("sweep-view").hidden) return;
  const symbol = state.symbols.includes("n") ? "n" : state.symbols[0] || "n";
  const answer = JSON.parse(derive.sweep_points(state.text, JSON.stringify(state.values), symbol));
  byId("sweep-error").hidden = !answer.error;
  byId("sweep-error").textContent = answer.error;
  const sets = Object.entries(answer.set).map(([name, value]) => ` --set ${name}=${value}`).join("");
  byId("sweep-command").textContent = answer.error ? "" : `symcnn sweep TEXT --symbol ${answer.symbol} --n ${answer.range}${sets}`;
  byId("sweep-symbol").textContent = answer.symbol || symbol;
  const body = byId("sweep-table").tBodies[0];
  body.replaceChildren();
  for (const row of answer.rows) {
    const line = body.insertRow();
    for (const column of [answer.symbol, "params", "activations", "macs", "memory"]) cell(line, grouped(row[column]));
  }
  plotSweep(answer.rows, answer.symbol, byId("sweep-quantity").value);
  bump("sweeps");
}

function drawSweep() {
  try {
    renderSweep();
  } catch (error) {
    byId("sweep-error").hidden = false;
    byId("sweep-error").textContent = String(error);
  }
}

const VIEWS = ["layers", "diagram", "sweep"];

function showView(shown) {
  for (const view of VIEWS) {
    byId(`tab-${view}`).setAttribute("aria-selected", String(view === shown));
    byId(`${view}-view`).hidden = view !== shown;
  }
  if (shown === "diagram") drawDiagram();
  if (shown === "sweep") drawSweep();
}

// `symcnn check` against the network on the page, at its values, as the command line words it.
function renderCheck() {
  const box = byId("checked");
  box.hidden = !state.claim.trim();
  if (box.hidden) return;
  const name = byId("examples").value || state.text;  // what --arch would be
  const answer = JSON.parse(derive.check_claim(state.claim, state.text, JSON.stringify(state.values), name));
  box.textContent = (answer.error || answer.report).replace(/\n$/, "");
  box.className = answer.error ? "refused" : answer.holds === true ? "holds" : answer.holds === false ? "fails" : "";
}

async function checkNow() {
  try {
    renderCheck();
  } catch (error) {  // a check that needed sympy before it was loaded; anything else fails again
    await sympyReady;
    renderCheck();
  }
}

// The report first (no sympy), painted; then the closed forms, which need sympy (loaded meanwhile).
// Moving a value re-derives only the report: the closed forms depend on the text alone.
let derivedText = null;
let sympyReady = null;  // resolves once the closed forms' wheels are unpacked

async function run() {
  const start = performance.now();
  const text = state.text;
  const report = () => JSON.parse(derive.derive(text, JSON.stringify(state.values)));
  let answer;
  try {
    answer = report();
  } catch (error) {  // a report that needed sympy before it was loaded; anything else fails again
    await sympyReady;
    answer = report();
  }
  renderReport(answer);
  drawDiagram();
  drawSweep();
  if (timings.loadMs === null) {  // interactive: the first table is up (since the navigation started)
    timings.loadMs = performance.now();
    document.body.dataset.ready = "true";
  }
  saveToUrl();
  let symcnnMs = answer.milliseconds;
  if (text !== derivedText) {
    byId("forms").classList.add("stale");
    await new Promise((resolve) => setTimeout(resolve, 0));  // let the table paint first
    await sympyReady;
    if (text !== state.text) return;  // typed on meanwhile: that edit derives its own (and checks)
    const forms = JSON.parse(derive.closed_forms(text));
    derivedText = text;
    byId("forms").classList.remove("stale");
    renderForms(forms);
    symcnnMs += forms.milliseconds;
  }
  timings.deriveMs = performance.now() - start;
  timings.pythonMs = symcnnMs;
  byId("status").textContent = `Derived in ${Math.round(timings.deriveMs)} ms (symcnn ${Math.round(symcnnMs)} ms).`;
  const checking = performance.now();  // the check against the new network comes after the derivation
  await checkNow();
  timings.checkMs = state.claim.trim() ? performance.now() - checking : null;
  bump("derived");
}

function runShowingFailure() {
  return run().catch((error) => { byId("status").textContent = `symcnn: internal error: ${error}`; });
}

let pending = null;
let pendingCheck = null;

// Counters the browser test waits on: one more each time a derivation or a check is on the page.
function bump(counter) {
  document.body.dataset[counter] = String(Number(document.body.dataset[counter] || 0) + 1);
}

function later() {
  clearTimeout(pending);
  pending = setTimeout(runShowingFailure, EDIT_DELAY_MS);
}

function setValue(name, value) {
  state.values[name] = value;
  runShowingFailure();
}

// The text and the values live in the URL's fragment: a link reproduces the page, and no server sees it.
function saveToUrl() {
  const params = new URLSearchParams();
  // While the text is refused its symbols are unknown: keep every value it had.
  for (const name of state.symbols.length ? state.symbols : Object.keys(state.values)) params.set(name, state.values[name]);
  if (state.claim) params.set("check", state.claim);
  params.set("text", state.text);
  history.replaceState(null, "", `#${params}`);
}

function loadFromUrl() {
  const params = new URLSearchParams(location.hash.slice(1));
  const text = params.get("text");
  state.claim = params.get("check") ?? "";
  params.delete("text");
  params.delete("check");
  state.values = Object.fromEntries(params);
  return text;
}

async function boot() {
  const site = await (await fetch("site.json")).json();
  byId("versions").textContent = Object.entries(site.versions).map(([name, version]) => `${name} ${version}`).join(" · ")
    + " — everything runs in this page; nothing is sent anywhere.";
  const step = (name, since) => { timings.steps[name] = Math.round(performance.now() - since); return performance.now(); };
  let since = performance.now();
  const pyodide = await loadPyodide({ indexURL: new URL("pyodide/", location.href).href });
  since = step("pyodide", since);
  const load = (wheels) => pyodide.loadPackage(wheels.map((wheel) => new URL(`wheels/${wheel}`, location.href).href),
    { messageCallback: () => {} });
  await load(site.wheels.report);
  since = step("wheels", since);
  derive = pyodide.pyimport("symcnn.web.derive");
  since = step("import", since);
  const select = byId("examples");
  for (const [name, summary] of JSON.parse(derive.examples())) {
    select.add(new Option(`${name} — ${summary}`, name));
  }
  select.addEventListener("change", () => {
    if (!select.value) return;
    state.text = derive.example(select.value);
    byId("text").value = state.text;
    runShowingFailure();
  });
  const text = loadFromUrl();
  state.text = text ?? derive.example(DEFAULT_EXAMPLE);
  if (text === null) select.value = DEFAULT_EXAMPLE;
  byId("text").value = state.text;
  for (const view of VIEWS) byId(`tab-${view}`).addEventListener("click", () => showView(view));
  byId("depth").addEventListener("change", () => showView("diagram"));
  byId("sweep-quantity").addEventListener("change", () => showView("sweep"));
  byId("claim").value = state.claim;
  byId("claim").addEventListener("input", () => {
    state.claim = byId("claim").value;
    clearTimeout(pendingCheck);
    pendingCheck = setTimeout(async () => { await checkNow(); saveToUrl(); bump("checks"); }, EDIT_DELAY_MS);
  });
  byId("text").addEventListener("input", () => { state.text = byId("text").value; select.value = ""; later(); });
  let loaded = null;
  sympyReady = new Promise((resolve) => { loaded = resolve; });
  const first = runShowingFailure();
  since = step("first report", since);
  await new Promise((resolve) => setTimeout(resolve, 0));
  await load(site.wheels.closed_forms);
  loaded();
  since = step("sympy wheels", since);
  await first;
  step("first closed forms", since);
  timings.formsMs = performance.now();
}

boot().catch((error) => {
  byId("status").textContent = `The playground could not start: ${error}`;
  document.body.dataset.failed = "true";
});
