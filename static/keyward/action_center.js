// The /action-center/ page: list pending orders, approve or reject them.
(function () {
  "use strict";
  const card = document.getElementById("action-center");
  const listEndpoint = card.dataset.listEndpoint;
  const decideEndpoint = card.dataset.decideEndpoint;
  const rows = document.getElementById("ac-rows");
  const empty = document.getElementById("ac-empty");
  const statusLine = document.getElementById("ac-status");

  function filter() {
    const checked = document.querySelector("input[name=ac-filter]:checked");
    return checked ? checked.value : "pending";
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    return td;
  }

  function button(label, className, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (className) b.className = className;
    b.addEventListener("click", onClick);
    return b;
  }

  async function decide(order, verb, buttons) {
    if (verb === "reject" && !window.confirm("Reject order #" + order.pending_order_id + "? It will never execute.")) return;
    buttons.forEach((b) => { b.disabled = true; });
    const result = await Keyward.request("POST", decideEndpoint + order.pending_order_id + "/" + verb, {});
    const message = result.data && result.data.message ? result.data.message : "HTTP " + result.status;
    statusLine.textContent = "#" + order.pending_order_id + ": " + message;
    statusLine.className = result.ok ? "muted" : "error";
    await load();
  }

  function render(orders) {
    rows.replaceChildren();
    empty.hidden = orders.length > 0;
    orders.forEach((order) => {
      const tr = document.createElement("tr");
      tr.dataset.pendingOrderId = order.pending_order_id;
      [
        order.pending_order_id, new Date(order.created_at).toLocaleString(), order.symbol, order.exchange,
        order.action, order.quantity, order.pricetype, order.product, order.price, order.trigger_price,
        order.status, order.orderid,
      ].forEach((value) => tr.appendChild(cell(value)));
      const actions = document.createElement("td");
      if (order.status === "pending") {
        const buttons = [];
        buttons.push(button("Approve", "primary", () => decide(order, "approve", buttons)));
        buttons.push(button("Reject", "danger", () => decide(order, "reject", buttons)));
        buttons.forEach((b) => actions.appendChild(b));
      }
      tr.appendChild(actions);
      rows.appendChild(tr);
    });
  }

  async function load() {
    const result = await Keyward.request("GET", listEndpoint + "?status=" + encodeURIComponent(filter()));
    if (result.ok) {
      render(result.data.data.orders);
    } else {
      statusLine.textContent = (result.data && result.data.message) || "Could not load the Action Center.";
      statusLine.className = "error";
    }
  }

  document.querySelectorAll("input[name=ac-filter]").forEach((radio) => radio.addEventListener("change", load));
  document.getElementById("ac-refresh").addEventListener("click", load);
  load();
  window.setInterval(load, 15000);
})();
