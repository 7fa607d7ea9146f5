// Shared by Keyward's pages: JSON fetch with the session's CSRF token.
(function () {
  "use strict";
  function cookie(name) {
    const match = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return match ? decodeURIComponent(match.split("=")[1]) : "";
  }
  async function request(method, url, body) {
    const options = {
      method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": cookie("csrftoken") },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
    return { ok: response.ok, status: response.status, data };
  }
  window.Keyward = { request, cookie };
})();
