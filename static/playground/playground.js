// The API Playground page: endpoint list, request tabs, editor, send, cURL, history, key.
import { addHistory, clearHistory, loadHistory } from "./history.js";
import {
  curlCommand, formatBytes, formatHeaders, formatMs, maskSecrets, parseHeaders, pretty, substitute, unresolved,
} from "./util.js";
import { createSocketPanel } from "./ws.js";

const root = document.getElementById("playground");
const $ = (id) => document.getElementById(id);
const el = {
  search: $("endpoint-search"), list: $("endpoint-list"), count: $("endpoint-count"),
  history: $("history-list"), historyClear: $("history-clear"),
  key: $("api-key"), toggleKey: $("toggle-key"), copyKey: $("copy-key"), keyStatus: $("key-status"),
  viewRest: $("view-rest"), viewWs: $("view-ws"), restPanel: $("rest-panel"), wsPanel: $("ws-panel"),
  tabs: $("request-tabs"), method: $("method"), url: $("url"), send: $("send"), copyCurl: $("copy-curl"),
  note: $("request-note"), body: $("body-editor"), bodyError: $("body-error"), prettify: $("prettify"),
  headers: $("headers-editor"), docs: $("docs"), docsBox: $("docs-box"),
  status: $("response-status"), time: $("response-time"), size: $("response-size"),
  responseBody: $("response-body"), responseEmpty: $("response-empty"), responseHeaders: $("response-headers"),
  curlBox: $("curl-box"), curlOutput: $("curl-output"),
};
const PAGE_VARIABLES = ["apikey", "token", "base_url"];

let token = null; // {access, expiresAt}
// Timings come from the browser's resource entries: keep room for them in a long session.
performance.setResourceTimingBufferSize(1000);
performance.addEventListener("resourcetimingbufferfull", () => performance.clearResourceTimings());
let tabs = [];
let activeTab = null;
let tabSeq = 0;

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || `${url} answered ${response.status}`);
  return data;
}

// --- key ------------------------------------------------------------------------------
function currentKey() {
  return el.key.value.trim();
}
async function loadKey() {
  try {
    const data = await getJson(root.dataset.apiKeyUrl);
    el.key.value = data.api_key || "";
    el.keyStatus.textContent = data.api_key ? "Filled into apikey bodies and the WebSocket authenticate message." :
      "You have no API key yet: generate one on the API key page.";
  } catch (e) {
    el.keyStatus.textContent = e.message;
  }
}
el.toggleKey.addEventListener("click", () => {
  const hidden = el.key.type === "password";
  el.key.type = hidden ? "text" : "password";
  el.toggleKey.textContent = hidden ? "Hide" : "Show";
});
el.copyKey.addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(currentKey());
    el.keyStatus.textContent = "Key copied to the clipboard.";
  } catch (e) {
    el.keyStatus.textContent = "Copy failed: show the key and copy it by hand.";
  }
});

async function getToken() {
  if (token && token.expiresAt - Date.now() > 30000) return token.access;
  const data = await getJson(root.dataset.tokenUrl);
  token = { access: data.access, expiresAt: Date.now() + data.expires_in * 1000 };
  return token.access;
}

function secrets() {
  return [currentKey(), token && token.access].filter(Boolean);
}

// --- views ----------------------------------------------------------------------------
function showView(name) {
  const ws = name === "ws";
  el.restPanel.hidden = ws;
  el.wsPanel.hidden = !ws;
  el.viewRest.classList.toggle("active", !ws);
  el.viewWs.classList.toggle("active", ws);
  el.viewRest.setAttribute("aria-selected", String(!ws));
  el.viewWs.setAttribute("aria-selected", String(ws));
}
el.viewRest.addEventListener("click", () => showView("rest"));
el.viewWs.addEventListener("click", () => showView("ws"));

// --- endpoint → request template ------------------------------------------------------
function templateFor(entry) {
  let body = "";
  if (entry.body !== undefined) {
    const copy = JSON.parse(JSON.stringify(entry.body));
    if (copy && typeof copy === "object" && !Array.isArray(copy) && "apikey" in copy) copy.apikey = "{{apikey}}";
    body = JSON.stringify(copy, null, 2);
  }
  let query = "";
  if (entry.params) {
    query = "?" + Object.entries(entry.params).map(([k, v]) =>
      `${encodeURIComponent(k)}=${k === "apikey" && !v ? "{{apikey}}" : v}`).join("&");
  }
  const headers = [];
  if (entry.auth === "bearer") headers.push(["Authorization", "Bearer {{token}}"]);
  if (body) headers.push(["Content-Type", "application/json"]);
  return {
    name: entry.name, method: entry.method, url: location.origin + entry.path + query,
    headers: formatHeaders(headers), body, docs: entry.description || "", auth: entry.auth, response: null,
  };
}

// --- tabs -----------------------------------------------------------------------------
function saveEditor() {
  if (!activeTab) return;
  Object.assign(activeTab, {
    method: el.method.value, url: el.url.value, headers: el.headers.value, body: el.body.value,
  });
}
function renderTabs() {
  el.tabs.replaceChildren(...tabs.map((tab) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "req-tab" + (tab === activeTab ? " active" : "");
    button.setAttribute("role", "tab");
    button.setAttribute("aria-selected", String(tab === activeTab));
    button.dataset.tab = String(tab.id);
    const method = document.createElement("span");
    method.className = `m m-${tab.method}`;
    method.textContent = tab.method;
    const name = document.createElement("span");
    name.className = "tab-name";
    name.textContent = tab.name;
    button.title = `${tab.method} ${tab.name}`;
    const close = document.createElement("span");
    close.className = "close";
    close.setAttribute("aria-label", `Close ${tab.name}`);
    close.textContent = "×";
    close.addEventListener("click", (event) => { event.stopPropagation(); closeTab(tab); });
    button.append(method, name, close);
    button.addEventListener("click", () => activate(tab));
    return button;
  }));
  const active = el.tabs.querySelector(".req-tab.active");
  if (active) active.scrollIntoView({ block: "nearest", inline: "nearest" });
}
function showResponse(response) {
  const r = response || {};
  el.status.textContent = r.statusText || "";
  el.status.className = "badge" + (r.status ? (r.status < 300 ? " ok" : r.status < 500 ? " warn" : " bad") : "");
  el.status.dataset.status = r.status ? String(r.status) : "";
  el.time.textContent = r.time === undefined ? "" : formatMs(r.time);
  el.size.textContent = r.size === undefined ? "" : formatBytes(r.size);
  el.responseBody.textContent = r.body || "";
  el.responseBody.hidden = !response; // an empty state, not an empty black box, before the first send
  el.responseEmpty.hidden = Boolean(response);
  el.responseHeaders.textContent = r.headers || "";
}
function activate(tab) {
  saveEditor();
  activeTab = tab;
  el.method.value = tab.method;
  el.url.value = tab.url;
  el.headers.value = tab.headers;
  el.body.value = tab.body;
  el.docs.textContent = tab.docs;
  el.docsBox.hidden = !tab.docs;
  el.bodyError.textContent = "";
  el.note.textContent = "";
  showResponse(tab.response);
  renderTabs();
  showView("rest");
}
function openTab(template) {
  saveEditor();
  tabSeq += 1;
  const tab = { id: tabSeq, ...template };
  tabs.push(tab);
  activate(tab);
  return tab;
}
function closeTab(tab) {
  const index = tabs.indexOf(tab);
  tabs.splice(index, 1);
  if (tab === activeTab) {
    activeTab = null;
    if (tabs.length) activate(tabs[Math.max(0, index - 1)]);
    else openTab({ name: "New request", method: "GET", url: location.origin + "/healthz", headers: "", body: "",
      docs: "", auth: "none", response: null });
  } else {
    renderTabs();
  }
}

// --- sending --------------------------------------------------------------------------
async function resolvedRequest() {
  saveEditor();
  const tab = activeTab;
  const templates = [tab.url, tab.headers, tab.body].join("\n");
  const missing = unresolved(templates, PAGE_VARIABLES);
  if (missing.length) throw new Error(`Fill in ${missing.map((n) => `{{${n}}}`).join(", ")} first.`);
  const variables = { base_url: location.origin, apikey: currentKey() };
  if (/\{\{\s*apikey\s*\}\}/.test(templates) && !variables.apikey) {
    throw new Error("No API key: generate one on the API key page first.");
  }
  if (/\{\{\s*token\s*\}\}/.test(templates)) variables.token = await getToken();
  const body = tab.body.trim() ? substitute(tab.body, variables) : "";
  if (body) {
    try {
      JSON.parse(body);
    } catch (e) {
      el.bodyError.textContent = `The body is not valid JSON: ${e.message}`;
      throw new Error("Fix the body first.");
    }
  }
  return {
    method: tab.method,
    url: new URL(substitute(tab.url, variables), location.origin).href,
    headers: parseHeaders(substitute(tab.headers, variables)),
    body: ["GET", "HEAD"].includes(tab.method) ? "" : body,
  };
}

function ownTiming(url, since, fallback) {
  // The browser's own measurement of this request (start to last byte), not our bookkeeping.
  const entries = performance.getEntriesByName(url, "resource").filter((e) => e.startTime >= since);
  const entry = entries[entries.length - 1];
  return entry && entry.responseEnd > 0 ? entry.responseEnd - entry.startTime : fallback;
}

async function send() {
  el.bodyError.textContent = "";
  el.note.textContent = "";
  let request;
  try {
    request = await resolvedRequest();
  } catch (e) {
    el.note.textContent = e.message;
    return;
  }
  const tab = activeTab;
  el.send.disabled = true;
  el.status.textContent = "sending…";
  el.status.className = "badge";
  const init = { method: request.method, headers: request.headers, credentials: "omit", cache: "no-store" };
  if (request.body) init.body = request.body;
  const start = performance.now();
  try {
    const response = await fetch(request.url, init);
    const buffer = await response.arrayBuffer();
    const elapsed = performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the resource timing entry land
    const text = new TextDecoder().decode(buffer);
    tab.response = {
      status: response.status,
      statusText: `${response.status} ${response.statusText}`.trim(),
      time: ownTiming(request.url, start, elapsed),
      size: buffer.byteLength,
      headers: [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n"),
      body: response.status === 204 ? "(no content)" : pretty(text),
    };
  } catch (e) {
    tab.response = { status: 0, statusText: "network error", body: e.message };
  } finally {
    el.send.disabled = false;
  }
  if (tab === activeTab) showResponse(tab.response);
  renderHistory(addHistory({ ...tab, status: tab.response.status, time: tab.response.time, size: tab.response.size },
    secrets()));
}

el.send.addEventListener("click", send);
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && !el.restPanel.hidden) send();
});
el.prettify.addEventListener("click", () => {
  el.bodyError.textContent = "";
  try {
    el.body.value = JSON.stringify(JSON.parse(el.body.value), null, 2);
  } catch (e) {
    el.bodyError.textContent = `Not valid JSON: ${e.message}`;
  }
});
el.copyCurl.addEventListener("click", async () => {
  let request;
  try {
    request = await resolvedRequest();
  } catch (e) {
    el.note.textContent = e.message;
    return;
  }
  const command = curlCommand(request);
  el.curlOutput.textContent = maskSecrets(command, secrets());
  el.curlBox.open = true;
  try {
    await navigator.clipboard.writeText(command);
    el.note.textContent = "cURL command copied to the clipboard (with your key).";
  } catch (e) {
    el.note.textContent = "Copy failed: the browser refused clipboard access.";
  }
});

// --- history --------------------------------------------------------------------------
function renderHistory(items) {
  el.history.replaceChildren(...items.map((item) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "hist";
    const method = document.createElement("span");
    method.className = `m m-${item.method}`;
    method.textContent = item.method;
    const name = document.createElement("span");
    name.textContent = `${item.name} · ${item.status || "—"}`;
    button.title = `${item.url} at ${item.at}`;
    button.append(method, name);
    button.addEventListener("click", () => openTab({
      name: item.name, method: item.method, url: item.url, headers: item.headers, body: item.body,
      docs: "", auth: item.auth, response: null,
    }));
    li.append(button);
    return li;
  }));
}
el.historyClear.addEventListener("click", () => { clearHistory(); renderHistory([]); });

// --- endpoint list --------------------------------------------------------------------
function renderEndpoints(grouped, onPick) {
  // On a phone the open list would push the editor a screen away: start collapsed there.
  const narrow = narrowScreen();
  const groups = [];
  for (const [category, entries] of Object.entries(grouped)) {
    if (!entries.length) continue;
    const details = document.createElement("details");
    details.className = "ep-group";
    details.open = !narrow;
    details.dataset.category = category;
    const summary = document.createElement("summary");
    summary.textContent = `${category} (${entries.length})`;
    const ul = document.createElement("ul");
    for (const entry of entries) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "ep";
      button.dataset.name = entry.name;
      button.dataset.search = `${entry.name} ${entry.path} ${entry.method} ${category}`.toLowerCase();
      button.title = `${entry.name}\n${entry.method} ${entry.path}`;
      const method = document.createElement("span");
      method.className = `m m-${entry.method}`;
      method.textContent = entry.method;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = entry.name;
      button.append(method, name);
      button.addEventListener("click", () => onPick(entry));
      li.append(button);
      ul.append(li);
    }
    details.append(summary, ul);
    groups.push(details);
  }
  el.list.replaceChildren(...groups);
}
function applySearch() {
  const words = el.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const group of el.list.children) {
    let inGroup = 0;
    for (const li of group.querySelectorAll("li")) {
      const hay = li.firstElementChild.dataset.search;
      const hit = words.every((w) => hay.includes(w));
      li.hidden = !hit;
      if (hit) inGroup += 1;
    }
    group.hidden = inGroup === 0;
    if (words.length && inGroup) group.open = true;
    shown += inGroup;
  }
  el.count.textContent = words.length ? `${shown} matching` : `${shown} endpoints`;
}
el.search.addEventListener("input", applySearch);

function narrowScreen() {
  return window.matchMedia("(max-width: 900px)").matches;
}

// --- start ----------------------------------------------------------------------------
async function start() {
  renderHistory(loadHistory());
  if (narrowScreen()) $("history-box").open = false;
  await loadKey();
  let grouped;
  try {
    grouped = await getJson(root.dataset.endpointsUrl);
  } catch (e) {
    el.count.textContent = `Could not load the endpoints: ${e.message}`;
    return;
  }
  const sockets = createSocketPanel({
    el: {
      wsPath: root.dataset.wsPath, wsUrl: root.dataset.wsUrl, url: $("ws-url"), connect: $("ws-connect"), authenticate: $("ws-authenticate"),
      ping: $("ws-ping"), state: $("ws-state"), latency: $("ws-latency"), template: $("ws-template"),
      message: $("ws-message"), error: $("ws-error"), send: $("ws-send"), prettify: $("ws-prettify"),
      docs: $("ws-docs"), filter: $("ws-filter"), autoscroll: $("ws-autoscroll"), clear: $("ws-clear"),
      log: $("ws-log"), count: $("ws-count"),
    },
    getKey: currentKey,
    templates: grouped.websocket || [],
  });
  renderEndpoints(grouped, (entry) => {
    if (entry.method === "WS") {
      showView("ws");
      sockets.select(entry.name);
      if (narrowScreen()) el.wsPanel.scrollIntoView({ block: "start" });
      return;
    }
    const open = tabs.find((t) => t.name === entry.name && !t.response);
    if (open) activate(open);
    else openTab(templateFor(entry));
    // On a phone the request area sits below the list: bring it into view.
    if (narrowScreen()) el.restPanel.scrollIntoView({ block: "start" });
  });
  applySearch();
  const first = Object.values(grouped).flat().find((e) => e.name === "Ping" && e.method !== "WS");
  if (first) openTab(templateFor(first));
  root.dataset.ready = "true";
}
start();
