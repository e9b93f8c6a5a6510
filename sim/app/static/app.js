// ccsim app: the page only draws what /api/state says; the logic is in sim/app/model.py.
"use strict";
const $ = (id) => document.getElementById(id);
const COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"];
let state = null, opened = null, resultKey = null, floor = null, frame = 0, timer = null;
let sent = 0, applied = 0;  // states asked for and shown, in the order asked
let rateTyped = false;  // calls per hour typed: sent as typed (the server makes the factor)

// numbers as `ccsim run` writes them: thousands separated (12,584.8); seconds to the
// tenth under 100 s, else whole (3,132 s), and a half-width as precise as its value
const grouped = (v, d) => v.toLocaleString("en-US", {minimumFractionDigits: d, maximumFractionDigits: d});
const secondDecimals = (v) => (Math.abs(v) < 100 ? 1 : 0);
function fmt(v, kind) {
  if (v === null || v === undefined) return "–";
  if (kind === "pct") return (100 * v).toFixed(1) + "%";
  if (kind === "s") return grouped(v, secondDecimals(v)) + " s";
  if (kind === "money") return grouped(v, 2);  // money: always its two decimals
  return grouped(v, v % 1 ? 1 : 0);
}
function fmtCi(v, kind) {
  if (v === null || v === undefined) return "";
  return "± " + (kind === "pct" ? (100 * v).toFixed(1) + " pts" : kind === "s" ? fmt(v, "s")
    : grouped(v, kind === "money" ? 2 : 1));
}
async function ask(path, options) {
  // show a state unless one asked for later is already shown: a poll sent before a Run or
  // an Open and answered after it would bring back the scenario or result it replaced
  const n = ++sent;
  const s = await (await fetch(path, options)).json();
  if (n > applied && s.scenarios) { applied = n; show(s); }
}
function post(path, body) {
  return ask(path, {method: "POST", headers: {"Content-Type": "application/json"},
                    body: JSON.stringify(body || {})});
}
function settings() {
  // (keyed by names from the scenario: "__proto__" is a valid one, and {}'s would drop it)
  const agents = Object.create(null);
  document.querySelectorAll("input[data-group]").forEach((el) => { agents[el.dataset.group] = el.value; });
  const val = (id) => $(id).value, shares = Object.create(null);  // self-service: per IVR type
  document.querySelectorAll("input[data-ivr]").forEach((el) => { shares[el.dataset.ivr] = el.value; });
  const arrivals = rateTyped ? {calls_per_hour: val("calls_per_hour")}  // ("" is refused, not 0)
                             : {arrival_factor: val("arrival_factor")};
  return {agents, ...arrivals, aht: val("aht"), patience: val("patience"),
          handle_cap: val("handle_cap"), self_service: Object.keys(shares).length ? shares : null,
          callbacks: $("callbacks").checked, replications: val("replications"), days: val("days")};
}
function fillControls(s) {
  // the settings of the result shown, if any (a reload, a second screen), else the defaults
  const d = (s.result && s.result.settings) || s.defaults, box = $("agent-controls");
  box.innerHTML = "";
  Object.entries(d.agents).forEach(([g, n], i) => {
    const id = i === 0 ? "agents" : "agents-" + g;
    const label = document.createElement("label");
    label.className = "group";
    label.innerHTML = `Agents: ${g}<input type="text" inputmode="numeric" data-step="1" id="${id}" data-testid="${id}" data-group="${g}">` +
      `<input type="range" min="0" max="${Math.max(10, 2 * n)}" step="1" data-slider="${g}">`;
    box.appendChild(label);
    const num = label.querySelector("input[data-group]"), range = label.querySelector("input[type=range]");
    num.value = range.value = n;
    num.addEventListener("input", () => { range.value = num.value; });
    range.addEventListener("input", () => { num.value = range.value; });
  });
  $("arrival_factor").value = d.arrival_factor;
  rateTyped = false;
  $("calls_per_hour").value = Math.round(s.calls_per_hour * d.arrival_factor);
  const tenth = (x) => (x === null ? "" : Math.round(10 * x) / 10);
  $("aht").value = tenth(d.aht); $("patience").value = tenth(d.patience);
  $("handle_cap").value = d.handle_cap ?? "";
  fillSelfService(d.self_service);
  $("callbacks").checked = d.callbacks; $("replications").value = d.replications; $("days").value = d.days;
}
function fillSelfService(shares) {
  // a field per contact type with an IVR, named for it: a lesson moves one kind of issue
  // to the menu (self_service_shift: the simple ones), not every type's
  const box = $("self-service-controls");
  if (!shares) {
    box.innerHTML = '<label>Self-service share<input type="text" id="self_service" data-testid="self_service" placeholder="no IVR" disabled></label>';
    return;
  }
  box.innerHTML = "";
  Object.entries(shares).forEach(([t, x]) => {
    const label = document.createElement("label");
    label.className = "group";
    label.title = `Share of ${t} contacts solved in the IVR menu, never reaching an agent (contact_types.${t}.ivr.self_service); the other types keep theirs`;
    label.innerHTML = `Self-service: ${t}<input type="text" inputmode="decimal" id="self_service-${t}" data-testid="self_service-${t}" data-ivr="${t}" data-step="0.05">`;
    label.querySelector("input").value = x;
    box.appendChild(label);
  });
}
function show(s) {
  state = s;
  const sel = $("scenario");
  if (sel.options.length !== s.scenarios.length + 1) {
    sel.innerHTML = '<option value="">(your file)</option>' + s.scenarios.map((n) => `<option>${n}</option>`).join("");
  }
  if (s.opened !== opened) {  // a scenario opened, the same file again or another
    opened = s.opened;
    if (s.defaults) fillControls(s);
    resultKey = null; clearFloor();
    sel.value = s.bundled || "";  // (by the server: started anywhere, a bundled one is named)
  }
  $("source").textContent = $("source").title = s.source + (s.name ? " · " + s.name : "");
  const err = $("error"), placed = showFieldErrors(s);  // beside their fields; the rest here
  const lines = s.error.filter((line) => !placed.has(line)).concat(s.warnings);
  err.hidden = !lines.length; err.textContent = lines.join("\n");
  const job = s.job;
  let status = "";
  if (job && job.phase === "simulating") status = `Simulating… replication ${job.done}/${job.total}`;
  else if (job && job.phase === "hockey") status = `Answered. Drawing the hockey stick… ${job.done}/${job.total}`;
  else if (job && job.phase === "queued") status = "Starting…";
  if (s.result && !status) status = `Answered in ${s.result.seconds} s (${s.result.replications} replication${s.result.replications === 1 ? '' : 's'}, seed ${s.result.seed}).`;
  else if (s.result && job && job.phase === "hockey")  // (not "Answered in 0.7 s. Answered.")
    status = `Answered in ${s.result.seconds} s. Drawing the hockey stick… ${job.done}/${job.total}`;
  $("status").textContent = status;
  const key = s.result ? s.result.number : null;  // the run's number: one per result
  const fresh = key !== resultKey;
  resultKey = key;
  drawKpis(s);
  drawCompare(s);
  drawHockey(s);
  $("unpin").hidden = !s.pinned;
  $("pin").disabled = !s.result;  // nothing to pin before a run has answered
  if (fresh && key !== null) {  // a new result: its floor replaces the old one (Play waits for it)
    window.ccsimRun = (window.ccsimRun || 0) + 1;  // a hook for scripts
    clearFloor();
    loadFloor(key);
  } else if (fresh) clearFloor();  // no result any more: no floor either
}
// the fields with one input each, by id (agents and self-service: one per group, per type)
const FIELDS = ["arrival_factor", "calls_per_hour", "aht", "patience", "handle_cap",
                "self_service", "callbacks", "replications", "days"];
function fieldInput(field) {  // the input of a page field named as the server names it
  const [kind, ...rest] = field.split("."), name = rest.join(".");
  const one = (attr, key) => [...document.querySelectorAll(`input[${attr}]`)]
    .find((el) => el.dataset[key] === name) || null;
  if (kind === "agents" && rest.length) return one("data-group", "group");
  if (kind === "self_service" && rest.length) return one("data-ivr", "ivr");
  return FIELDS.includes(field) ? $(field) : null;
}
function showFieldErrors(s) {
  // each refused setting's line right under its field (the file named once, in the
  // header; the whole line in the tooltip); returns the lines placed
  document.querySelectorAll(".field-error").forEach((el) => el.remove());
  document.querySelectorAll("#controls [aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  const placed = new Set(), prefix = s.source + ": ";
  Object.entries(s.field_errors || {}).forEach(([field, lines]) => {
    const input = fieldInput(field);
    if (!input) return;
    input.setAttribute("aria-invalid", "true");
    const note = document.createElement("div");
    note.className = "field-error";
    note.dataset.testid = `error-${field}`;
    note.setAttribute("role", "alert");
    note.textContent = lines.map((l) => (l.startsWith(prefix) ? l.slice(prefix.length) : l)).join("\n");
    note.title = lines.join("\n");
    input.closest("label").after(note);
    lines.forEach((l) => placed.add(l));
  });
  return placed;
}
function leftOut(el, line) {
  // the server's line on the KPIs left out (not modelled: always 0), `fields` as code
  const esc = line.replace(/[&<>]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[c]));
  el.innerHTML = esc.replace(/`([^`]+)`/g, "<code>$1</code>");
  el.hidden = !line;
}
function drawKpis(s) {
  const box = $("kpis");
  leftOut($("kpis-left-out"), s.result ? s.result.left_out : "");
  if (!s.result) { box.innerHTML = '<p class="empty">Press Run: the answers appear here.</p>'; return; }
  // which KPIs (those the run models), their labels and formats: the server's, from the registry
  box.innerHTML = s.result.cards.map((k) => {
    const v = s.result.kpis[k], kind = v.kind, was = s.pinned ? s.pinned.kpis[k] : null;
    return `<div class="kpi"><div class="label">${v.label}</div>` +
      `<div class="value" data-testid="kpi-${k}">${fmt(v.mean, kind)}</div>` +
      `<div class="ci">${fmtCi(v.ci, kind)}</div>` +
      (was ? `<div class="was">pinned: ${fmt(was.mean, kind)}</div>` : "") + "</div>";
  }).join("");
}
function duration(s) {  // a time for people: 7.5 s, 52 min 12 s, 1 h 30 min, 24 h
  if (s === null || s === undefined) return "–";
  if (Math.abs(Math.round(10 * s)) < 600) return fmt(s, "s");  // (59.96 s is "1 min", not "60.0 s")
  return waited(s).replace(/ 00 (s|min)$/, "");
}
// each setting in the words of its control, and its values in the page's units
const SETTINGS = {
  arrival_factor: ["arrivals", (x) => "×" + +x.toPrecision(4)],  // ×1.083, not ×1.0833333
  aht: ["handle time", duration],
  patience: ["patience", (x) => (x === null ? "never" : duration(x))],
  handle_cap: ["handle-time cap", (x) => (x === null ? "none" : duration(x))],
  self_service: ["self-service share", (x) => (x === null ? "none" : fmt(x, "pct"))],
  callbacks: ["callbacks", (x) => (x ? "on" : "off")],
  replications: ["replications", String],
  days: ["days", String],
};
function describe(changes) {
  return Object.entries(changes).map(([k, [a, b]]) => {
    if (k === "self_service" && a && b) {  // per contact type: those changed, by name
      return Object.keys(b).filter((t) => a[t] !== b[t]).map((t) => {
        const [was, now] = [fmt(a[t], "pct"), fmt(b[t], "pct")];  // (under 0.1%: as typed)
        return `self-service share (${t}) ${was === now ? a[t] : was} → ${was === now ? b[t] : now}`;
      }).join(", ");
    }
    if (k === "agents") {
      return Object.keys(b).filter((g) => a[g] !== b[g]).map((g) => {
        const d = b[g] - a[g];
        return Math.abs(d) === 1 ? `one agent ${d < 0 ? "fewer" : "more"} (${g})` : `${g}: ${a[g]} → ${b[g]} agents`;
      }).join(", ");
    }
    const [name, shown] = SETTINGS[k] || [k, String];
    let [was, now] = [shown(a), shown(b)];
    // a change smaller than the unit shown (300.2 s → 300.4 s): the seconds as typed
    if (was === now && typeof a === "number" && typeof b === "number") [was, now] = [`${a} s`, `${b} s`];
    return `${name} ${was} → ${now}`;
  }).filter((x) => x).join(", ");
}
function drawCompare(s) {
  const box = $("compare"), c = s.comparison;
  box.hidden = !c;
  if (!c) return;
  const body = box.querySelector("tbody");
  leftOut($("compare-left-out"), c.left_out);
  box.querySelector("table").hidden = !!c.problem;  // (no table of no rows under the line why)
  if (c.problem) { $("headline").textContent = c.problem; body.innerHTML = ""; return; }
  const asa = c.rows.find((r) => r.kpi === "asa");
  const what = describe(c.changes) || "nothing changed yet: change a setting and Run";
  $("headline").textContent = Object.keys(c.changes).length
    ? `${what}: ASA ${duration(asa.pinned)} → ${duration(asa.current)}` : what;
  body.innerHTML = c.rows.map((r) => {
    const kind = r.kind;
    const sign = r.diff > 0 ? "+" : "";
    return `<tr data-testid="compare-${r.kpi}"><td>${r.label}</td><td>${fmt(r.pinned, kind)}</td><td>${fmt(r.current, kind)}</td>` +
      `<td class="${r.significant ? "sig" : ""}">${r.diff === null ? "–" : sign + (kind === "pct" ? (100 * r.diff).toFixed(1) + " pts" : fmt(r.diff, kind))} ${fmtCi(r.diff_ci, kind).replace(" pts", "")}${r.significant ? " *" : ""}</td></tr>`;
  }).join("");
}
function drawHockey(s) {
  const box = $("hockey"), h = s.result && s.result.hockey;
  if (!h || !h.svg) {  // nothing of an earlier result stays: its curve, its note
    const empty = s.result ? "Drawing the hockey stick…" : "Run to draw it.";
    if (box.dataset.key !== empty) { box.dataset.key = empty; box.innerHTML = `<p class="empty">${empty}</p>`; }
    $("hockey-note").textContent = "";
    return;
  }
  if (box.dataset.key !== `${h.points.length} of run ${resultKey}`) {
    box.dataset.key = `${h.points.length} of run ${resultKey}`;
    box.innerHTML = h.svg;
  }
  $("hockey-note").textContent = `varying ${h.group}; ${h.points.length} of ${h.planned} points simulated; ${h.model}`;
}
function clearFloor() {
  floor = null; stop(); frame = 0;
  $("floor-scrub").max = 0; $("floor-scrub").value = 0; $("floor-play").disabled = true;
  drawFloor();
}
async function loadFloor(number) {
  // the floor of run `number` only: if a newer result came in meanwhile, the server sends
  // none, and that result's own floor is loaded when the page shows it
  const r = await fetch(`/api/state?floor=${number}`);
  const s = await r.json();
  if (number !== resultKey || !s.floor || !s.result || s.result.number !== number) return;
  floor = s.floor;
  stop();
  frame = 0;
  $("floor-scrub").max = floor ? floor.frames.length - 1 : 0;
  $("floor-scrub").value = 0;
  $("floor-play").disabled = !floor;
  drawFloor();
}
function waited(s) {  // a wait for people: 28 s, 6 min 27 s, 1 h 07 min (not a clock time)
  s = Math.round(s);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}
function clock(t) {
  const m = Math.floor(t / 60);
  return String(Math.floor(m / 60)).padStart(2, "0") + ":" + String(m % 60).padStart(2, "0");
}
const CALLED_SHOWN = 10;  // callers awaiting a callback listed (the rest: "… and N more")
function drawFloor() {
  if (!floor) { $("seats").innerHTML = '<p class="empty">Run, then play the day.</p>'; $("waits").innerHTML = ""; $("sofar").innerHTML = ""; $("queue-count").textContent = ""; $("floor-clock").textContent = "--:--"; return; }
  const f = floor.frames[frame];
  $("legend-wrap").hidden = !floor.wrap_up;
  $("floor-clock").textContent = clock(f.t);
  $("seats").innerHTML = floor.groups.map((g, i) => {
    // busy: talking (the customer maybe on hold) or in after-call work, as occupancy counts it
    const [duty, talk, hold, wrap = 0] = f.groups[g], n = floor.seats[g], busy = talk + wrap;
    let cells = "";
    for (let k = 0; k < n; k++) {
      const kind = k < talk - hold ? "talk" : k < talk ? "hold" : k < busy ? "wrap" : k < Math.max(duty, busy) ? "idle" : "off";
      cells += `<div class="seat ${kind}"${kind === "talk" ? ` style="background:${COLOURS[i % COLOURS.length]}"` : ""}></div>`;
    }
    const c = (floor.concurrency || {})[g] || 1;  // a chat desk: a seat per chat
    const head = c === 1 ? `${g}: ${busy} busy of ${duty} on duty`
      : `${g}: ${busy} chats of ${duty} (${duty / c} agents on duty, ${c} chats each)`;
    return `<div class="group-name">${head}</div><div class="seatrow">${cells}</div>`;
  }).join("");
  // with callbacks, who is still on the line and who hung up to be called back
  $("queue-count").textContent = floor.callbacks
    ? `(${f.queue - f.callbacks} on the line, ${f.callbacks} for a callback)` : `(${f.queue})`;
  // each kind of wait to its own scale: beside callbacks awaited for an hour, the callers
  // on the line (minutes) would shrink to dots on one scale
  const kind = (called) => f.waits.map((w, k) => [w, k]).filter(([, k]) => !!f.called[k] === called);
  const list = (rows, total, head) => {
    const longest = Math.max(floor.threshold * 3, ...rows.map(([w]) => w), 1);
    return (head ? `<div class="waits-head">${head}</div>` : "") + rows.map(([w, k]) =>
      `<div class="wait${f.late[k] ? " late" : ""}${f.called[k] ? " called" : ""}"><div class="bar" style="width:${Math.max(2, 70 * w / longest)}%"></div>${waited(w)}</div>`).join("") +
      (total > rows.length ? `<div class="wait">… and ${fmt(total - rows.length, "n")} more</div>` : "");
  };
  $("waits").innerHTML = !floor.callbacks ? list(kind(false), f.queue, "")
    : list(kind(false), f.queue - f.callbacks, "on the line") +
      list(kind(true).slice(0, CALLED_SHOWN), f.callbacks, "awaiting a callback (off the phone)");
  const m = floor.measured_from, closed = floor.frames[floor.frames.length - 1].t;
  const from = m === null ? "" : m < closed ? ` <small>(from ${clock(m)}, after the warm-up)</small>`
    : ` <small>(none: the warm-up lasts until ${m >= 86400 ? `day ${1 + Math.floor(m / 86400)} ` : ""}${clock(m % 86400)})</small>`;
  $("sofar").innerHTML = `<h3>So far today${from}</h3><div>answered <b>${fmt(f.answered, "n")}</b></div>` +
    // the callers lost of the kinds the run models (no "abandoned 0" where nobody hangs up)
    (floor.lost || []).map(([k, label]) => `<div>${label} <b>${fmt(f[k], "n")}</b></div>`).join("") +
    // public complaints posted, where the run models them (the cards count them too)
    (floor.complaints ? `<div>complaints <b>${fmt(f.complaints, "n")}</b></div>` : "") +
    `<div>service level <b>${fmt(f.service_level, "pct")}</b></div><div>ASA <b>${fmt(f.asa, "s")}</b></div>`;
}
function stop() { if (timer) clearInterval(timer); timer = null; $("floor-play").textContent = "▶ Play"; }
function play() {
  if (!floor) return;
  if (timer) { stop(); return; }
  if (frame >= floor.frames.length - 1) frame = 0;
  $("floor-play").textContent = "❚❚ Pause";
  const step = (floor.frames[1] ? floor.frames[1].t - floor.frames[0].t : 60) / 60;  // minutes a frame
  timer = setInterval(() => {
    frame = Math.min(floor.frames.length - 1, frame + 1);
    $("floor-scrub").value = frame;
    drawFloor();
    if (frame >= floor.frames.length - 1) stop();
  }, 1000 * step / Number($("floor-speed").value));
}
$("floor-play").addEventListener("click", play);
$("floor-speed").addEventListener("change", () => { if (timer) { stop(); play(); } });
$("floor-scrub").addEventListener("input", (e) => { frame = Number(e.target.value); drawFloor(); });
$("run").addEventListener("click", () => post("/api/run", {settings: settings()}));
$("pin").addEventListener("click", () => post("/api/pin"));
$("unpin").addEventListener("click", () => post("/api/unpin"));
$("scenario").addEventListener("change", (e) => { if (e.target.value) post("/api/open", {scenario: e.target.value}); });
$("upload").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (file) post("/api/open", {yaml: await file.text(), name: file.name});
  e.target.value = "";
});
// the fields are text: what is typed is sent as typed, and a number the server cannot
// read ("1,5", letters) is refused naming it (a number field dropped the comma: 15)
const typedNumber = (text) => (text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : null);
$("arrival_factor").addEventListener("input", () => {
  rateTyped = false;
  const factor = typedNumber($("arrival_factor").value);
  if (state && factor !== null) $("calls_per_hour").value = Math.round(state.calls_per_hour * factor);
});
$("calls_per_hour").addEventListener("input", () => {
  if (!(state && state.calls_per_hour > 0)) return;
  rateTyped = true;
  const typed = typedNumber($("calls_per_hour").value);
  if (typed !== null) $("arrival_factor").value = (typed / state.calls_per_hour).toFixed(3);
});
// the arrow keys step a field's number, as a number field's would
document.addEventListener("keydown", (e) => {
  const el = e.target;
  if (!(el instanceof HTMLInputElement) || !el.dataset.step || !["ArrowUp", "ArrowDown"].includes(e.key)) return;
  const now = typedNumber(el.value), step = Number(el.dataset.step);
  if (now === null) return;
  e.preventDefault();
  const decimals = (el.dataset.step.split(".")[1] || "").length;
  el.value = String(Math.max(0, +(now + (e.key === "ArrowUp" ? step : -step)).toFixed(decimals)));
  el.dispatchEvent(new Event("input"));
});
async function poll() {
  try { await ask("/api/state"); } catch (e) { /* server restarting */ }
  const busy = state && state.job && ["queued", "simulating", "hockey"].includes(state.job.phase);
  setTimeout(poll, busy ? 300 : 1500);
}
poll();
