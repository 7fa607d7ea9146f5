// The /apikey/ page's "All your keys" card: list, create, roll, reveal, revoke, and for
// one key its usage (a plain SVG bar chart) and audit log. Talks to /api/v1/platform-keys/.
// A plaintext key is put on screen only in the new-secret box, after create, roll or reveal.
(function () {
  "use strict";
  const card = document.getElementById("keys-card");
  const endpoint = card.dataset.endpoint.replace(/\/?$/, "/");
  const tbody = document.querySelector("#keys-table tbody");
  const status = document.getElementById("keys-status");
  const secretBox = document.getElementById("new-secret-box");
  const secretInput = document.getElementById("new-secret");
  const detail = document.getElementById("key-detail");
  const SVG = "http://www.w3.org/2000/svg";
  let selected = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    });
    children.forEach((child) => node.append(child));
    return node;
  }

  function message(result, fallback) {
    const data = result.data || {};
    if (data.detail) return data.detail;
    const fields = Object.entries(data).map(([name, errors]) => name + ": " + JSON.stringify(errors));
    return fields.length ? fields.join("; ") : fallback;
  }

  function when(iso) {
    return iso ? iso.replace("T", " ").replace("Z", "") : "never";
  }

  function showSecret(title, plaintext) {
    document.getElementById("new-secret-title").textContent = title;
    secretInput.value = plaintext;
    secretBox.hidden = false;
    secretInput.select();
  }

  function expiry(key) {
    if (!key.expires_at) return "never";
    if (key.state === "expired") return "expired " + when(key.expires_at);
    return key.days_left + (key.days_left === 1 ? " day left" : " days left");
  }

  function renderKeys(keys) {
    tbody.replaceChildren();
    keys.forEach((key) => {
      const scopes = el("td");
      key.scopes.forEach((scope) => scopes.append(el("span", { class: "scope", text: scope })));
      const open = el("button", { type: "button", text: "Details", "data-key-id": key.id });
      open.addEventListener("click", () => select(key));
      let state = key.state;
      if (key.grace_ends_at) state += " (old secret until " + when(key.grace_ends_at) + ")";
      const row = el("tr", { "data-key-id": key.id },
        el("td", { text: key.name + (key.is_primary ? " (primary)" : "") }),
        el("td", { text: key.hint || "-" }),
        scopes,
        el("td", { text: expiry(key) }),
        el("td", { text: when(key.last_used_at) + (key.last_used_ip ? " from " + key.last_used_ip : "") }),
        el("td", { class: "state-" + key.state, text: state }),
        el("td", {}, open));
      tbody.append(row);
    });
  }

  async function load() {
    const result = await Keyward.request("GET", endpoint);
    if (!result.ok) {
      status.textContent = message(result, "Could not load your keys.");
      return [];
    }
    renderKeys(result.data.keys);
    const live = result.data.keys.filter((k) => k.state !== "revoked").length;
    status.textContent = live + " of at most " + result.data.limit + " keys in use.";
    if (selected) {
      const fresh = result.data.keys.find((k) => k.id === selected.id);
      if (fresh) select(fresh);
    }
    return result.data.keys;
  }

  function drawUsage(report) {
    const chart = document.getElementById("usage-chart");
    const width = 600, height = 150, pad = 18;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    const most = Math.max(1, ...report.by_day.map((d) => d.total));
    const step = (width - 2 * pad) / report.by_day.length;
    report.by_day.forEach((day, i) => {
      const h = (height - 2 * pad) * day.total / most;
      const bar = document.createElementNS(SVG, "rect");
      bar.setAttribute("x", String(pad + i * step + 1));
      bar.setAttribute("y", String(height - pad - h));
      bar.setAttribute("width", String(Math.max(1, step - 2)));
      bar.setAttribute("height", String(h));
      bar.setAttribute("data-day", day.day);
      bar.setAttribute("data-total", String(day.total));
      const tip = document.createElementNS(SVG, "title");
      tip.textContent = day.day + ": " + day.total + " requests " + JSON.stringify(day.groups);
      bar.append(tip);
      svg.append(bar);
    });
    [[0, report.by_day[0].day], [report.by_day.length - 1, report.by_day[report.by_day.length - 1].day]].forEach(([i, label]) => {
      const text = document.createElementNS(SVG, "text");
      text.setAttribute("x", String(pad + i * step));
      text.setAttribute("y", String(height - 4));
      text.textContent = label;
      svg.append(text);
    });
    const top = document.createElementNS(SVG, "text");
    top.setAttribute("x", "0");
    top.setAttribute("y", "10");
    top.textContent = "max " + most + "/day";
    svg.append(top);
    chart.replaceChildren(svg);
    const groups = Object.entries(report.by_group).map(([g, n]) => g + " " + n).join(", ");
    document.getElementById("usage-summary").textContent =
      report.total + " requests" + (groups ? " (" + groups + ")" : "") + "; last used " + when(report.last_used_at) +
      (report.last_used_ip ? " from " + report.last_used_ip : "") + ".";
  }

  function renderEvents(events) {
    const body = document.querySelector("#events-table tbody");
    body.replaceChildren();
    events.forEach((event) => {
      const details = Object.keys(event.detail || {}).length ? JSON.stringify(event.detail) : "";
      body.append(el("tr", { "data-action": event.action },
        el("td", { text: when(event.at) }), el("td", { text: event.label }),
        el("td", { text: event.actor || "the key itself" }), el("td", { text: event.ip || "-" }),
        el("td", { class: "small", text: details })));
    });
  }

  async function select(key) {
    selected = key;
    detail.hidden = false;
    document.getElementById("key-detail-title").textContent = key.name + (key.is_primary ? " (primary)" : "");
    const revoked = key.state === "revoked";
    ["roll-key", "reveal-key", "revoke-key", "roll-grace"].forEach((id) => { document.getElementById(id).disabled = revoked; });
    const [usage, events] = await Promise.all([
      Keyward.request("GET", endpoint + key.id + "/usage/?days=30"),
      Keyward.request("GET", endpoint + key.id + "/events/"),
    ]);
    if (selected !== key) return;
    if (usage.ok) drawUsage(usage.data);
    if (events.ok) renderEvents(events.data.events);
  }

  document.getElementById("create-key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = {
      name: form.name.value,
      scopes: Array.from(form.querySelectorAll("input[name=scopes]:checked")).map((box) => box.value),
      allowed_ips: form.allowed_ips.value.split(/\s+/).filter(Boolean),
      rate_limit: form.rate_limit.value.trim(),
    };
    if (form.expires_on.value) body.expires_at = form.expires_on.value + "T23:59:59Z";
    const result = await Keyward.request("POST", endpoint, body);
    if (!result.ok) {
      status.textContent = message(result, "Could not create the key.");
      return;
    }
    form.reset();
    document.getElementById("create-key-panel").open = false;
    showSecret("Your new key \u201c" + result.data.name + "\u201d", result.data.api_key);
    await load();
    select(result.data);
  });

  document.getElementById("roll-key").addEventListener("click", async () => {
    if (!selected) return;
    const grace = Number(document.getElementById("roll-grace").value);
    const question = grace
      ? "Roll this key? The old secret keeps working for " + (grace / 60) + " minutes, then stops everywhere."
      : "Roll this key? The old secret stops working at once, everywhere it is used.";
    if (!window.confirm(question)) return;
    const result = await Keyward.request("POST", endpoint + selected.id + "/roll/", { grace_seconds: grace });
    if (!result.ok) {
      status.textContent = message(result, "Could not roll the key.");
      return;
    }
    showSecret("The new secret of \u201c" + result.data.name + "\u201d", result.data.api_key);
    await load();
  });

  document.getElementById("reveal-key").addEventListener("click", async () => {
    if (!selected) return;
    const result = await Keyward.request("GET", endpoint + selected.id + "/reveal/");
    if (result.ok && result.data.api_key) showSecret("\u201c" + selected.name + "\u201d", result.data.api_key);
    else status.textContent = message(result, "This key is revoked.");
    await load();
  });

  document.getElementById("revoke-key").addEventListener("click", async () => {
    if (!selected || !window.confirm("Revoke \u201c" + selected.name + "\u201d? It stops working at once, everywhere.")) return;
    const result = await Keyward.request("DELETE", endpoint + selected.id + "/");
    status.textContent = result.ok ? "Key revoked." : message(result, "Could not revoke the key.");
    await load();
  });

  document.getElementById("copy-new-secret").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(secretInput.value);
      status.textContent = "Key copied to the clipboard.";
    } catch (e) {
      status.textContent = "Copy failed: select the key and copy it by hand.";
    }
  });
  document.getElementById("dismiss-new-secret").addEventListener("click", () => {
    secretInput.value = "";
    secretBox.hidden = true;
  });
  document.addEventListener("keyward:keys-changed", load);  // the primary key changed above
  load();
})();
