// The WebSocket panel: connect, authenticate in one click, compose from the collection's
// templates, a filterable log with timestamps, ping latency.
import { clockTime, formatMs, maskSecrets, pretty, substitute } from "./util.js";

const LOG_LIMIT = 500;

export function createSocketPanel({ el, getKey, templates }) {
  let socket = null;
  let pingSeq = 0;
  const pings = new Map(); // _pingId → performance.now() when sent
  let total = 0;

  el.url.value = el.wsUrl || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${el.wsPath}`;

  // --- templates ------------------------------------------------------------------------
  el.template.replaceChildren(...templates.map((t, i) => {
    const option = document.createElement("option");
    option.value = String(i);
    option.textContent = t.name;
    return option;
  }));
  function loadTemplate(index) {
    const t = templates[index];
    if (!t) return;
    el.template.value = String(index);
    const body = JSON.parse(JSON.stringify(t.body || {}));
    if (Object.prototype.hasOwnProperty.call(body, "apikey")) body.apikey = "{{apikey}}";
    el.message.value = JSON.stringify(body, null, 2);
    el.docs.textContent = t.description || "";
    el.error.textContent = "";
  }
  el.template.addEventListener("change", () => loadTemplate(Number(el.template.value)));
  if (templates.length) loadTemplate(0);

  // --- log ------------------------------------------------------------------------------
  function matches(li) {
    const needle = el.filter.value.trim().toLowerCase();
    return !needle || li.textContent.toLowerCase().includes(needle);
  }
  function updateCount() {
    const shown = [...el.log.children].filter((li) => !li.hidden).length;
    el.count.textContent = `${total} message${total === 1 ? "" : "s"} logged, ${shown} shown` +
      (el.log.children.length < total ? ` (last ${LOG_LIMIT} kept)` : "");
  }
  function log(direction, text, type) {
    total += 1;
    const li = document.createElement("li");
    li.className = direction;
    li.dataset.type = type || "";
    const time = document.createElement("time");
    time.textContent = clockTime();
    const dir = document.createElement("span");
    dir.className = "dir";
    dir.textContent = { out: "↑", in: "↓", sys: "•", err: "!" }[direction] || "";
    const body = document.createElement("span");
    body.className = "msg";
    body.textContent = text;
    li.append(time, dir, body);
    li.hidden = !matches(li);
    el.log.append(li);
    while (el.log.children.length > LOG_LIMIT) el.log.firstElementChild.remove();
    if (el.autoscroll.checked && !li.hidden) el.log.scrollTop = el.log.scrollHeight;
    updateCount();
  }
  el.filter.addEventListener("input", () => {
    for (const li of el.log.children) li.hidden = !matches(li);
    updateCount();
  });
  el.clear.addEventListener("click", () => {
    el.log.replaceChildren();
    total = 0;
    updateCount();
  });

  // --- connection -----------------------------------------------------------------------
  function setState(state) {
    el.state.textContent = state;
    el.state.className = "badge " + ({ open: "ok", connecting: "warn", authenticated: "ok" }[state] || "bad");
    const open = socket && socket.readyState === WebSocket.OPEN;
    el.authenticate.disabled = !open;
    el.ping.disabled = !open;
    el.send.disabled = !open;
    el.connect.textContent = socket && socket.readyState <= WebSocket.OPEN ? "Disconnect" : "Connect";
  }

  function onMessage(event) {
    let data = null;
    try { data = JSON.parse(event.data); } catch (e) { /* not JSON: logged as it came */ }
    const type = data && (data.type || (data.status === "error" ? "error" : ""));
    if (data && data.type === "pong" && data._pingId !== undefined && pings.has(data._pingId)) {
      const latency = performance.now() - pings.get(data._pingId);
      pings.delete(data._pingId);
      el.latency.textContent = `ping ${formatMs(latency)}`;
      el.latency.dataset.ms = latency.toFixed(2);
    }
    if (data && data.type === "auth") setState(data.status === "success" ? "authenticated" : "open");
    log(data && data.status === "error" ? "err" : "in", maskSecrets(event.data, [getKey()]), type);
  }

  function connect() {
    if (socket && socket.readyState <= WebSocket.OPEN) {
      socket.close(1000, "closed by the playground");
      return;
    }
    try {
      socket = new WebSocket(el.url.value.trim());
    } catch (e) {
      log("err", `Cannot connect: ${e.message}`, "error");
      return;
    }
    setState("connecting");
    log("sys", `connecting to ${el.url.value.trim()}`, "system");
    socket.addEventListener("open", () => { setState("open"); log("sys", "connected", "system"); });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", (event) => {
      setState("disconnected");
      log("sys", `closed (code ${event.code}${event.reason ? ": " + event.reason : ""})`, "system");
      pings.clear();
    });
    socket.addEventListener("error", () => log("err", "connection error", "error"));
  }

  function sendObject(message) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      el.error.textContent = "Connect first.";
      return false;
    }
    if (message && message.action === "ping") {
      pingSeq += 1;
      message.timestamp = Date.now();
      message._pingId = pingSeq;
      pings.set(pingSeq, performance.now());
    }
    const text = JSON.stringify(message);
    socket.send(text);
    log("out", maskSecrets(text, [getKey()]), message && message.action);
    return true;
  }

  el.connect.addEventListener("click", connect);
  el.authenticate.addEventListener("click", () => {
    const key = getKey();
    if (!key) {
      el.error.textContent = "No API key: generate one on the API key page first.";
      return;
    }
    el.error.textContent = "";
    sendObject({ action: "authenticate", apikey: key });
  });
  el.ping.addEventListener("click", () => sendObject({ action: "ping" }));
  el.send.addEventListener("click", () => {
    el.error.textContent = "";
    let message;
    try {
      message = JSON.parse(substitute(el.message.value, { apikey: getKey() }));
    } catch (e) {
      el.error.textContent = `Not valid JSON: ${e.message}`;
      return;
    }
    sendObject(message);
  });
  el.prettify.addEventListener("click", () => { el.message.value = pretty(el.message.value); });
  setState("disconnected");
  updateCount();

  return {
    /** Show the template with this name (from the endpoint list). */
    select(name) {
      const index = templates.findIndex((t) => t.name === name);
      if (index >= 0) loadTemplate(index);
    },
  };
}
