// The /apikey/ page: show/hide/copy, regenerate (with confirm), order mode, webhook.
// The key is on screen only while shown: the webhook message masks it too, and its
// Copy button copies the message with the real key whatever is on screen.
(function () {
  "use strict";
  const card = document.getElementById("apikey-card");
  const endpoint = card.dataset.endpoint;
  const modeEndpoint = card.dataset.modeEndpoint;
  const keyInput = document.getElementById("api-key");
  const toggle = document.getElementById("toggle-key");
  const keyStatus = document.getElementById("key-status");
  const modeStatus = document.getElementById("mode-status");
  const webhookUrl = document.getElementById("webhook-url");
  const webhookBody = document.getElementById("webhook-body");
  const MASK = "•".repeat(16);
  let apiKey = "";

  function webhookMessage(key) {
    return JSON.stringify({
      apikey: key || "<generate a key first>",
      strategy: "TradingView",
      symbol: "{{ticker}}",
      action: "{{strategy.order.action}}",
      exchange: "NSE",
      pricetype: "MARKET",
      product: "MIS",
      quantity: "{{strategy.order.contracts}}",
    }, null, 2);
  }

  function keyShown() {
    return keyInput.type === "text";
  }

  function renderWebhook() {
    webhookBody.value = webhookMessage(apiKey && !keyShown() ? MASK : apiKey);
  }

  function render(state) {
    apiKey = state.api_key || "";
    keyInput.value = apiKey;
    keyStatus.textContent = state.has_api_key ? "Key active for " + state.login_username + "." : "No key yet.";
    document.querySelectorAll("input[name=order-mode]").forEach((radio) => {
      radio.checked = radio.value === state.order_mode;
    });
    webhookUrl.value = card.dataset.webhookUrl;
    renderWebhook();
  }

  async function copy(text, statusEl, what) {
    try {
      await navigator.clipboard.writeText(text);
      statusEl.textContent = what + " copied to the clipboard.";
    } catch (e) {
      statusEl.textContent = "Copy failed: select the text and copy it by hand.";
    }
  }

  async function load() {
    const result = await Keyward.request("GET", endpoint);
    if (result.ok) render(result.data);
    else keyStatus.textContent = (result.data && (result.data.detail || result.data.error)) || "Could not load the key.";
  }

  toggle.addEventListener("click", () => {
    const hidden = keyInput.type === "password";
    keyInput.type = hidden ? "text" : "password";
    toggle.textContent = hidden ? "Hide" : "Show";
    toggle.setAttribute("aria-pressed", String(hidden));
    renderWebhook();
  });
  document.getElementById("copy-key").addEventListener("click", () => copy(keyInput.value, keyStatus, "Key"));
  document.getElementById("copy-webhook").addEventListener("click", () => copy(webhookMessage(apiKey), keyStatus, "Webhook message"));
  document.getElementById("regenerate-key").addEventListener("click", async () => {
    const question = apiKey
      ? "Generate a new key? The current key stops working at once, everywhere it is used."
      : "Generate your API key?";
    if (!window.confirm(question)) return;
    const result = await Keyward.request("POST", endpoint);
    if (result.ok) {
      await load();
      keyStatus.textContent = result.data.message;
      document.dispatchEvent(new Event("keyward:keys-changed"));  // the keys card shows the roll
    } else {
      keyStatus.textContent = (result.data && result.data.detail) || "Could not generate a key.";
    }
  });
  document.querySelectorAll("input[name=order-mode]").forEach((radio) => {
    radio.addEventListener("change", async () => {
      const result = await Keyward.request("POST", modeEndpoint, { mode: radio.value });
      modeStatus.textContent = result.ok ? result.data.message : (result.data.error || "Could not change the mode.");
      if (result.ok) document.dispatchEvent(new Event("keyward:keys-changed"));
      if (!result.ok) load();
    });
  });
  load();
})();
