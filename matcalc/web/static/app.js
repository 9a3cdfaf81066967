// The matcalc page: keeps the query in `state`, mirrors it in the URL hash, asks POST /api/derive
// 300 ms after the last keystroke, and shows the answer.  Only this server is ever asked.
"use strict";

const DEBOUNCE_MS = 300;
const $ = (id) => document.getElementById(id);

// The whole query; the URL hash holds the same fields, so a link reproduces the page.
const state = { expr: "", wrt: null, shapes: {}, symmetric: [], kind: "gradient", steps: false, assume: "" };
let info = { torch: false, codegen: false };
let examples = [];
let results = [];       // the last answer's results, for the copy buttons
let sequence = 0;       // answers to older requests than the newest are dropped
let timer = null;
let writtenHash = "";

// ------------------------------------------------------------------ the URL
function writeHash() {
  const p = new URLSearchParams();
  p.set("expr", state.expr);
  if (state.wrt) p.set("wrt", state.wrt.join(","));
  for (const [name, shape] of Object.entries(state.shapes)) if (shape) p.set(`shape.${name}`, shape);
  if (state.symmetric.length) p.set("sym", state.symmetric.join(","));
  if (state.kind !== "gradient") p.set("kind", state.kind);
  if (state.steps) p.set("steps", "1");
  if (state.assume) p.set("assume", state.assume);
  writtenHash = "#" + p.toString();
  if (location.hash !== writtenHash) history.replaceState(null, "", writtenHash);
}

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  if (!p.has("expr")) return false;
  const list = (key) => (p.get(key) || "").split(",").filter(Boolean);
  state.expr = p.get("expr");
  state.wrt = p.has("wrt") ? list("wrt") : null;
  state.shapes = {};
  for (const [key, value] of p) if (key.startsWith("shape.")) state.shapes[key.slice(6)] = value;
  state.symmetric = list("sym");
  state.kind = p.get("kind") || "gradient";
  state.steps = p.get("steps") === "1";
  state.assume = p.get("assume") || "";
  return true;
}

function showState() {
  $("expr").value = state.expr;
  $("kind").value = state.kind;
  $("steps").checked = state.steps;
  $("assume").value = state.assume;
  $("variables").tBodies[0].replaceChildren();
}

// ------------------------------------------------------------------ the API
function namesIn(text) {
  return new Set(text.match(/[A-Za-z_][A-Za-z0-9_]*/g) || []);
}

// The request for the current state; names no longer in the text are left out, so an edit
// that drops a variable does not turn into an "unknown variable" error.
function query() {
  const present = namesIn(state.expr);
  const body = { expr: state.expr, kind: state.kind };
  const wrt = (state.wrt || []).filter((n) => present.has(n));
  if (wrt.length) body.wrt = wrt;
  body.shapes = {};
  for (const [name, shape] of Object.entries(state.shapes)) if (shape.trim() && present.has(name)) body.shapes[name] = shape;
  const symmetric = state.symmetric.filter((n) => present.has(n));
  if (symmetric.length) body.symmetric = symmetric;
  const assume = state.assume.split(";").map((s) => s.trim()).filter(Boolean);
  if (assume.length) body.assume = assume;
  return body;
}

async function post(path, body) {
  let response;
  try {
    response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                   body: JSON.stringify(body) });
  } catch (e) {
    return { ok: false, data: { error: { type: "NetworkError",
             message: "the server does not answer; is `matcalc serve` still running?" } } };
  }
  let data;
  try { data = await response.json(); } catch (e) {
    data = { error: { type: "HTTPError", message: `HTTP ${response.status}` } };
  }
  return { ok: response.ok, data };
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(compute, DEBOUNCE_MS);
}

async function compute() {
  clearTimeout(timer);
  writeHash();
  const mine = ++sequence;
  $("check-report").hidden = true;
  $("code").hidden = $("copy-code").hidden = true;
  if (!state.expr.trim()) {
    showError(null);
    showResults({ results: [], notes: [], variables: [] });
    setStatus("Type a function of matrices, or choose an example.");
    return;
  }
  setStatus("Computing…");
  $("results").setAttribute("aria-busy", "true");
  const reply = await post("/api/derive", { ...query(), steps: state.steps });
  if (mine !== sequence) return;   // the user typed on: a newer request is on its way
  $("results").removeAttribute("aria-busy");
  if (!reply.ok) {
    showError(reply.data.error);
    showResults({ results: [], notes: [], variables: null });
    setStatus("");
    return;
  }
  showError(null);
  showResults(reply.data);
  const n = reply.data.results.length;
  setStatus(n ? `${n} result${n > 1 ? "s" : ""}.` : "f has no variables.");
}

// ------------------------------------------------------------------ showing
function setStatus(text) { $("status").textContent = text; }

function showError(error) {
  const box = $("expr-error");
  document.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  if (!error) { box.hidden = true; box.textContent = ""; return; }
  // the caret block shows the place; without one, say the line and column if the server knows them
  const where = error.caret ? "\n" + error.caret : error.line ? ` (line ${error.line}, column ${error.column})` : "";
  box.textContent = `${error.type}: ${error.message}${where}`;
  box.hidden = false;
  const field = error.field || "";
  const input = field.startsWith("shapes.") ? $(`shape-${field.slice(7)}`) : field === "expr" ? $("expr") : null;
  if (input) input.setAttribute("aria-invalid", "true");
}

function showResults(data) {
  if (data.variables) showVariables(data.variables);
  results = data.results;
  const notes = $("notes");
  notes.replaceChildren(...data.notes.map((text) => element("li", {}, text)));
  $("results").replaceChildren(...data.results.map(resultCard));
}

function element(tag, attributes = {}, text = null) {
  const e = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) e.setAttribute(key, value);
  if (text !== null) e.textContent = text;
  return e;
}

// MathML and the steps' table come from the server's LaTeX printer (names are [A-Za-z0-9_]): markup.
function resultCard(result, index) {
  const card = element("article", { class: "result", "aria-labelledby": `result-${index}` });
  card.append(element("h3", { id: `result-${index}` }, `${result.symbol}  (${result.kind})`));
  const formula = element("div", { class: "formula" });
  const table = element("table", { class: "rows" });
  for (const row of result.rows) {
    const tr = element("tr");
    const lhs = element("td", { class: "lhs" });
    const rhs = element("td", { class: "rhs" });
    lhs.innerHTML = row.lhs;
    rhs.innerHTML = row.rhs;
    tr.append(lhs, rhs);
    table.append(tr);
  }
  formula.append(table);
  card.append(formula);
  const actions = element("div", { class: "actions" });
  for (const [format, label] of [["latex", "Copy LaTeX"], ["markdown", "Copy Markdown"], ["text", "Copy input language"]]) {
    const button = element("button", { type: "button", "data-copy": format, "data-index": index }, label);
    actions.append(button);
  }
  card.append(actions);
  if (result.steps) {
    const steps = element("section", { class: "steps", "aria-label": `steps for ${result.symbol}` });
    steps.append(element("h4", {}, "Steps"));
    const body = element("div", { class: "formula" });
    body.innerHTML = result.steps.html;
    steps.append(body);
    card.append(steps);
  }
  return card;
}

// The variables table is updated in place, so typing in a shape box keeps its focus.
function showVariables(variables) {
  const body = $("variables").tBodies[0];
  const names = variables.map((v) => v.name);
  for (const row of [...body.rows]) if (!names.includes(row.dataset.name)) row.remove();
  variables.forEach((v, i) => {
    let row = body.querySelector(`tr[data-name="${v.name}"]`);
    if (!row) row = variableRow(v.name);
    if (body.rows[i] !== row) body.insertBefore(row, body.rows[i] || null);
    row.querySelector(".wrt").checked = state.wrt ? state.wrt.includes(v.name) : true;
    const shape = row.querySelector(".shape");
    shape.placeholder = v.shape_text;
    if (document.activeElement !== shape) shape.value = state.shapes[v.name] || "";
    row.querySelector(".kind").textContent = v.kind + (v.declared ? "" : " (inferred)");
    row.querySelector(".symmetric").checked = state.symmetric.includes(v.name);
  });
}

function variableRow(name) {
  const row = element("tr", { "data-name": name });
  const wrt = element("input", { type: "checkbox", class: "wrt", id: `wrt-${name}`,
                                 "aria-label": `differentiate with respect to ${name}` });
  const shape = element("input", { type: "text", class: "shape", id: `shape-${name}`, spellcheck: "false",
                                   "aria-label": `shape of ${name}`, "aria-describedby": "shape-help" });
  const symmetric = element("input", { type: "checkbox", class: "symmetric", id: `sym-${name}`,
                                       "aria-label": `${name} is symmetric` });
  wrt.addEventListener("change", () => chooseVariable(name, wrt));
  shape.addEventListener("input", () => { state.shapes[name] = shape.value; schedule(); });
  symmetric.addEventListener("change", () => {
    state.symmetric = state.symmetric.filter((n) => n !== name);
    if (symmetric.checked) state.symmetric.push(name);
    compute();
  });
  const cells = [element("td"), element("th", { scope: "row" }, name), element("td"), element("td", { class: "kind" }), element("td")];
  cells[0].append(wrt);
  cells[2].append(shape);
  cells[4].append(symmetric);
  row.append(...cells);
  return row;
}

function chooseVariable(name, box) {
  const shown = [...$("variables").tBodies[0].rows].map((r) => r.dataset.name);
  let chosen = state.wrt ? state.wrt.filter((n) => shown.includes(n)) : shown;
  chosen = chosen.filter((n) => n !== name);
  if (box.checked) chosen = shown.filter((n) => n === name || chosen.includes(n));
  if (!chosen.length) {   // nothing chosen would mean "all": keep this one
    box.checked = true;
    setStatus("Differentiate with respect to at least one variable.");
    return;
  }
  state.wrt = chosen.length === shown.length ? null : chosen;
  compute();
}

// ------------------------------------------------------------------ copying
function copyText(result, format) {
  if (format === "text") return result.text;
  if (format === "latex") return result.steps ? result.steps.latex : result.latex_named;
  return result.steps ? result.steps.markdown : result.markdown;
}

async function copy(text, button) {
  let done = false;
  try {
    await navigator.clipboard.writeText(text);
    done = true;
  } catch (e) {   // no Clipboard API (an insecure origin, an old browser): the selection way
    const area = element("textarea", { readonly: "", class: "offscreen" });
    area.value = text;
    document.body.append(area);
    area.select();
    try { done = document.execCommand("copy"); } catch (e2) { done = false; }
    area.remove();
    button.focus();
  }
  const label = button.textContent;
  button.textContent = done ? "Copied" : "Copy failed";
  setStatus(done ? "Copied to the clipboard." : "Could not copy: select the text and press Ctrl+C.");
  setTimeout(() => { button.textContent = label; }, 1500);
}

// ------------------------------------------------------------------ check and code
async function check() {
  const report = $("check-report");
  setStatus("Checking against torch autograd…");
  const reply = await post("/api/check", query());
  report.hidden = false;
  if (!reply.ok) {
    report.className = "mismatch";
    report.textContent = `${reply.data.error.type}: ${reply.data.error.message}`;
    setStatus("");
    return;
  }
  report.className = reply.data.ok ? "ok" : "mismatch";
  report.textContent = reply.data.reports.map((r) => r.text).join("\n");
  setStatus(reply.data.ok ? "Every result agrees with autograd." : "A result disagrees with autograd.");
}

async function codegen() {
  const code = $("code");
  const reply = await post("/api/codegen", { ...query(), backend: $("backend").value });
  code.hidden = false;
  if (!reply.ok) {
    code.textContent = `${reply.data.error.type}: ${reply.data.error.message}`;
    $("copy-code").hidden = true;
    return;
  }
  code.textContent = reply.data.programs.map((p) => `# ${p.wrt}\n${p.source}`).join("\n\n");
  $("copy-code").hidden = false;
}

// ------------------------------------------------------------------ start
function loadExample(id) {
  const example = examples.find((e) => e.id === id);
  if (!example) return;
  $("examples").value = id;
  Object.assign(state, { expr: example.expr, wrt: example.wrt || null, shapes: { ...(example.shapes || {}) },
                         symmetric: example.symmetric || [], kind: example.kind || "gradient",
                         steps: Boolean(example.steps), assume: (example.assume || []).join("; ") });
  showState();
  compute();
}

function wire() {
  $("query").addEventListener("submit", (e) => { e.preventDefault(); compute(); });
  $("expr").addEventListener("input", () => { state.expr = $("expr").value; schedule(); });
  $("expr").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); compute(); }
  });
  $("kind").addEventListener("change", () => { state.kind = $("kind").value; compute(); });
  $("steps").addEventListener("change", () => { state.steps = $("steps").checked; compute(); });
  $("assume").addEventListener("input", () => { state.assume = $("assume").value; schedule(); });
  $("examples").addEventListener("change", () => loadExample($("examples").value));
  $("share").addEventListener("click", () => { writeHash(); copy(location.href, $("share")); });
  $("results").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-copy]");
    if (button) copy(copyText(results[Number(button.dataset.index)], button.dataset.copy), button);
  });
  $("check").addEventListener("click", check);
  $("codegen").addEventListener("click", codegen);
  $("copy-code").addEventListener("click", () => copy($("code").textContent, $("copy-code")));
  window.addEventListener("hashchange", () => {
    if (location.hash !== writtenHash && readHash()) { showState(); compute(); }
  });
}

async function start() {
  wire();
  const [infoReply, examplesReply] = await Promise.all([fetch("/api/info"), fetch("/static/examples.json")]);
  info = await infoReply.json();
  examples = await examplesReply.json();
  for (const e of examples) $("examples").append(element("option", { value: e.id }, e.title));
  const checkButton = $("check");
  checkButton.disabled = !info.torch;
  $("check-note").textContent = info.torch ? "" :
    "torch is not installed here, so results cannot be checked: pip install 'matcalc-trace[check]'.";
  $("codegen-panel").hidden = !info.codegen;   // until matcalc.compile exists
  if (readHash()) { showState(); compute(); } else loadExample("homework");
}

start();
