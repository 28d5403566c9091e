// The intragraph page: signs in, keeps its parameters in the page's address, asks the API and
// draws what it answers. No library: an SVG bar chart is a few lines. The resources, their
// fields, parents and filters come from /resources.json, which the server makes from the same
// declarations as the API.
const TOKEN_KEY = "intragraph.token";
const WEEK_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const SERIES = ["day", "week", "month", "quarter", "year"];
const BASE = ["resource", "scope", "key", "field", "interval", "time_zone", "week_start", "from", "to"];

const $ = (selector) => document.querySelector(selector);
const form = $("#params");
const DEBOUNCE_MS = 300;  // quick changes of the form make one request, not one each
let RESOURCES = {};  // name -> {fields, parents, filters}, from /resources.json
let lastAnswer = null;
let lastDrawn = null;  // [answer, values] of the chart on screen, to redraw at another width
let pending = null;  // the timer of a scheduled refresh
let current = null;  // the AbortController of the request whose answer will be drawn

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function showSignIn(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  $("#sign-in-reason").textContent = reason || "";
  $("#sign-in").hidden = false;
  $("#graph").hidden = true;
  $("#sign-out").hidden = true;
}

function showGraph() {
  $("#sign-in").hidden = true;
  $("#graph").hidden = false;
  $("#sign-out").hidden = false;
  refresh();
}

// -- the form, made for the chosen resource ------------------------------------------------------

function resource() { return RESOURCES[form.elements.resource.value] || Object.values(RESOURCES)[0]; }

function options(select, items, chosen) {
  select.replaceChildren(...items.map(([value, text]) => Object.assign(document.createElement("option"), { value, textContent: text })));
  if (items.some(([value]) => value === chosen)) select.value = chosen;
}

// The scope, field and filter inputs of the chosen resource; values already given are kept.
function shape(kept = new URLSearchParams()) {
  const r = resource();
  options(form.elements.scope, [["all", `all ${r.name}`], ...r.parents.map((p) => [p.scope, `one ${p.scope}`])],
    kept.get("scope") || form.elements.scope.value);
  options(form.elements.field, r.fields.map((f) => [f, f]), kept.get("field") || form.elements.field.value);
  const previous = Object.fromEntries(new FormData(form));
  $("#filters").replaceChildren(...r.filters.map((filter) => {
    const label = Object.assign(document.createElement("label"), { textContent: `${filter.name} ` });
    let input;
    if (filter.choices.length) {
      input = document.createElement("select");
      options(input, [["", "any"], ...filter.choices.map((c) => [c, c])]);
    } else {
      input = Object.assign(document.createElement("input"), { size: 8, placeholder: filter.kind === "int" ? "1,7" : "" });
    }
    input.name = filter.name;
    input.title = filter.help;
    input.value = kept.get(filter.name) || previous[filter.name] || "";
    label.append(input);
    return label;
  }));
  const parent = r.parents.find((p) => p.scope === form.elements.scope.value);
  $("#key-label").hidden = !parent;
  $("#key-name").textContent = parent ? `${parent.label} ${parent.keys}` : "";
}

// -- parameters: the form <-> the page's address <-> the API's URL ------------------------------

function values() {
  const data = Object.fromEntries(new FormData(form));
  const names = [...BASE, ...resource().filters.map((f) => f.name)];
  return Object.fromEntries(names.map((name) => [name, (data[name] || "").trim()]));
}

function apiPath(v) {
  const r = resource();
  const parent = r.parents.find((p) => p.scope === v.scope);
  const prefix = parent ? `/v2/${parent.name}/${encodeURIComponent(v.key)}` : "/v2";
  const query = new URLSearchParams();
  if (v.time_zone) query.set("time_zone", v.time_zone);
  if (v.week_start) query.set("week_start", v.week_start);
  for (const filter of r.filters) {
    if (v[filter.name]) query.set(`filter[${filter.name}]`, v[filter.name]);
  }
  if (v.from || v.to) query.set(`range[${v.field}]`, `${v.from || "1970-01-01"},${v.to || "2999-12-31"}`);
  return `${prefix}/${r.name}/graph/on/${v.field}/by/${v.interval}?${query}`;
}

function remember(v) {
  const page = new URLSearchParams();
  for (const [name, value] of Object.entries(v)) if (value) page.set(name, value);
  history.replaceState(null, "", `${location.pathname}?${page}`);
}

// -- asking the API -----------------------------------------------------------------------------

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener("abort", () => { clearTimeout(timer); reject(signal.reason); });
});

// One request, waiting out a 429 for its Retry-After and asking again (the page never shows a
// rate-limit error: it is the page's own pace, not the user's mistake).
async function call(path, accept = "application/json", signal = undefined) {
  let response;
  for (;;) {
    response = await fetch(path, { headers: { Authorization: `Bearer ${token()}`, Accept: accept }, signal });
    if (response.status !== 429) break;
    const wait = Math.max(1, Number(response.headers.get("Retry-After")) || 1);
    $("#summary").textContent = `waiting ${wait} s for the rate limit…`;
    await sleep(wait * 1000, signal);
  }
  if (response.status === 401) {
    const body = await response.json();
    showSignIn(`${body.message}: sign in again.`);
    return null;
  }
  return response;
}

function scheduleRefresh() {
  clearTimeout(pending);
  pending = setTimeout(refresh, DEBOUNCE_MS);
}

function showError(message) {
  $("#error").textContent = message;  // the API's own words, and nothing drawn beside them
  $("#error").hidden = false;
  $("#results").hidden = true;
  $("#summary").textContent = "";
  lastAnswer = null;
}

async function refresh() {
  clearTimeout(pending);
  current?.abort();  // a newer request supersedes it: its answer must never be drawn
  const controller = new AbortController();
  current = controller;
  const v = values();
  remember(v);
  const path = apiPath(v);
  const url = new URL(path, location.origin).href;
  $("#api-url").textContent = url;
  $("#curl").textContent = `curl -sg -H "Authorization: Bearer $TOKEN" '${url}'`;
  if (v.scope !== "all" && !v.key) return;
  $("#graph").setAttribute("aria-busy", "true");
  $("#summary").textContent = "loading…";
  let response, body;
  try {
    response = await call(path, "application/json", controller.signal);
    if (!response) return;
    body = await response.json();
  } catch (error) {
    if (controller.signal.aborted) return;  // superseded
    showError(`the API did not answer: ${error.message}`);
    return;
  } finally {
    if (current === controller) $("#graph").removeAttribute("aria-busy");
  }
  if (controller.signal.aborted) return;
  if (!response.ok) {
    showError(body.message);
    return;
  }
  $("#error").hidden = true;
  $("#results").hidden = false;
  lastAnswer = body;
  draw(body, v);
}

// -- drawing ------------------------------------------------------------------------------------

function label(key, v) {
  switch (v.interval) {
    case "day_of_week": {
      const start = WEEK_DAYS.indexOf(v.week_start || "sunday");
      const name = WEEK_DAYS[(start + Number(key)) % 7];
      return name[0].toUpperCase() + name.slice(1, 3);
    }
    case "month_of_year": return MONTHS[Number(key) - 1];
    case "hour_of_day": return `${key.padStart(2, "0")}h`;
    case "month": return key.slice(0, 7);
    case "quarter": return `${key.slice(0, 4)} Q${(Number(key.slice(5, 7)) + 2) / 3}`;
    case "year": return key.slice(0, 4);
    default: return key;
  }
}

function svg(name, attributes, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Round tick steps (1, 2 or 5 times a power of ten) for about `count` ticks up to `largest`.
function ticks(largest, count = 5) {
  const rough = Math.max(1, largest) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((m) => m >= rough);
  const top = Math.max(step, Math.ceil(largest / step) * step);
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => Math.round(i * step));
}

// The keys a date range shows: from the period that holds `from` to the one that holds `to`
// (keys are period starts, in order). The API's answer itself runs on to now.
function visible(keys, v) {
  if (!SERIES.includes(v.interval) || !(v.from || v.to)) return keys;
  const first = v.from ? Math.max(0, keys.findLastIndex((key) => key <= v.from)) : 0;
  const last = v.to ? keys.findLastIndex((key) => key <= v.to) : keys.length - 1;
  return keys.slice(first, last + 1);
}

function draw(answer, v) {
  lastDrawn = [answer, v];
  const chart = $("#chart");
  chart.replaceChildren();
  const all = Object.keys(answer);
  const keys = visible(all, v);
  const counts = keys.map((key) => answer[key]);
  const total = counts.reduce((a, b) => a + b, 0);
  $("#summary").textContent = keys.length ? `${total.toLocaleString()} in ${keys.length} periods` : "nothing counted";
  const hidden = all.length - keys.length;
  $("#range-note").hidden = hidden === 0;
  $("#range-note").textContent = hidden ? `Showing ${v.from || "the start"} to ${v.to || "now"}: the API's answer runs on to now (${hidden} more periods, counted as the range asks).` : "";
  // drawn at the figure's own width, so that text keeps its size on a phone
  const width = Math.max(320, Math.round(chart.parentElement.clientWidth || 960));
  const height = width < 600 ? 260 : 360;
  const steps = ticks(Math.max(0, ...counts));
  const highest = steps[steps.length - 1];
  // room on the left for the longest tick label, the top one
  const [left, right, top, bottom] = [12 + 7 * highest.toLocaleString().length, 12, 12, 36];
  chart.setAttribute("viewBox", `0 0 ${width} ${height}`);
  chart.setAttribute("height", height);
  const y = (n) => height - bottom - (n / highest) * (height - bottom - top);
  for (const tick of steps) {
    chart.append(svg("line", { class: tick ? "grid" : "axis", x1: left, x2: width - right, y1: y(tick), y2: y(tick) }));
    chart.append(svg("text", { class: "tick", x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, tick.toLocaleString()));
  }
  const slot = (width - left - right) / Math.max(1, keys.length);
  keys.forEach((key, index) => {
    const bar = svg("rect", {
      class: "bar", "data-key": key, x: left + index * slot + slot * 0.1,
      y: y(answer[key]), width: Math.max(0.5, slot * 0.8), height: y(0) - y(answer[key]),
    });
    bar.append(svg("title", {}, `${label(key, v)}: ${answer[key]}`));
    chart.append(bar);
  });
  // x labels centred under their bar, thinned so that none overlaps, none past the edges
  const longest = Math.max(1, ...keys.map((key) => label(key, v).length));
  const every = Math.max(1, Math.ceil((longest * 7 + 10) / slot));
  keys.forEach((key, index) => {
    if (index % every) return;
    const text = label(key, v);
    const half = (text.length * 7) / 2;
    const centre = Math.min(Math.max(left + (index + 0.5) * slot, half), width - half);
    chart.append(svg("text", { class: "key", x: centre, y: height - bottom + 18, "text-anchor": "middle" }, text));
  });
  $("#table tbody").replaceChildren(...keys.map((key) => {
    const row = document.createElement("tr");
    for (const text of [label(key, v), String(answer[key])]) {
      row.append(Object.assign(document.createElement("td"), { textContent: text }));
    }
    return row;
  }));
}

// -- downloads ----------------------------------------------------------------------------------

function save(blob, name) {
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function downloadCsv() {
  const v = values();
  const response = await call(apiPath(v), "text/csv");
  if (response && response.ok) save(await response.blob(), `${resource().name}-${v.field}-${v.interval}.csv`);
}

function title(v) {
  const scope = v.scope === "all" ? "all" : `${v.scope} ${v.key}`;
  const filters = resource().filters.filter((f) => v[f.name]).map((f) => `${f.name}=${v[f.name]}`);
  if (v.from || v.to) filters.push(`${v.field} ${v.from || "…"} to ${v.to || "…"}`);
  return [`${resource().name} (${scope}) on ${v.field} by ${v.interval}`, `time zone ${v.time_zone || "UTC"}`,
    ...filters].join(" · ");
}

// The chart as a PNG: the SVG with its page styles written in (an image loads no stylesheet),
// under a title that says what was counted.
function downloadPng() {
  const v = values();
  const chart = $("#chart");
  const font = getComputedStyle(document.body).fontFamily;
  const [width, height] = chart.getAttribute("viewBox").split(" ").slice(2).map(Number);
  const styled = chart.cloneNode(true);
  styled.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  styled.setAttribute("width", width);
  styled.setAttribute("height", height);
  styled.querySelectorAll(".bar").forEach((bar) => bar.setAttribute("fill", "#3a6ea5"));
  styled.querySelectorAll("text").forEach((text) => {
    text.setAttribute("font-family", font);
    text.setAttribute("font-size", "12");
    text.setAttribute("fill", "#5b6575");
  });
  styled.querySelectorAll("line").forEach((line) => line.setAttribute("stroke", line.classList.contains("axis") ? "#9aa4b2" : "#e3e6eb"));
  const header = 40;
  const image = new Image();
  image.onload = () => {
    const canvas = Object.assign(document.createElement("canvas"), { width, height: height + header });
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, height + header);
    context.fillStyle = "#1d2430";
    context.font = `bold 14px ${font}`;
    context.fillText(title(v), 12, 24, width - 24);
    context.drawImage(image, 0, header);
    canvas.toBlob((blob) => save(blob, `${resource().name}-${v.field}-${v.interval}.png`));
  };
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(styled))}`;
}

// -- signing in ---------------------------------------------------------------------------------

$("#credentials-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = new FormData(event.target);
  fields.set("grant_type", "client_credentials");
  const response = await fetch("/oauth/token", { method: "POST", body: new URLSearchParams(fields) });
  const body = await response.json();
  if (!response.ok) {
    $("#sign-in-reason").textContent = body.error_description || body.message;
    return;
  }
  event.target.reset();
  sessionStorage.setItem(TOKEN_KEY, body.access_token);
  showGraph();
});

$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, new FormData(event.target).get("token").trim());
  event.target.reset();
  showGraph();
});

$("#sign-out").addEventListener("click", () => showSignIn("Signed out."));
$("#toggle-table").addEventListener("click", () => { $("#table").hidden = !$("#table").hidden; });
$("#download-csv").addEventListener("click", downloadCsv);
$("#download-png").addEventListener("click", downloadPng);
form.addEventListener("change", (event) => {
  if (["resource", "scope"].includes(event.target.name)) shape();
  scheduleRefresh();
});
form.addEventListener("input", scheduleRefresh);
let resizing = null;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => { if (lastDrawn) draw(...lastDrawn); }, 100);
});
form.addEventListener("submit", (event) => { event.preventDefault(); refresh(); });

const zones = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [];
$("#zones").replaceChildren(...["UTC", ...zones].map((zone) => Object.assign(document.createElement("option"), { value: zone })));
async function start() {
  const given = new URLSearchParams(location.search);
  const described = await (await fetch("/resources.json")).json();
  RESOURCES = Object.fromEntries(described.map((r) => [r.name, r]));
  options(form.elements.resource, described.map((r) => [r.name, r.name]), given.get("resource") || "projects_users");
  shape(given);
  for (const name of ["key", "interval", "time_zone", "week_start", "from", "to"]) {
    if (given.has(name)) form.elements[name].value = given.get(name);
  }
  if (token()) showGraph(); else showSignIn();
}

start();
