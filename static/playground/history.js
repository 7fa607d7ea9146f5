// Request history in localStorage: never a key or token (masked before it is stored).
import { maskBody, maskHeaders, maskSecrets } from "./util.js";

const STORAGE_KEY = "keyward.playground.history.v1";
const LIMIT = 50;

export function loadHistory() {
  try {
    const items = JSON.parse(localStorage.getItem(STORAGE_KEY) || "[]");
    return Array.isArray(items) ? items : [];
  } catch (e) {
    return [];
  }
}

/** Store one request (its templates, masked again as a safeguard) and its outcome. */
export function addHistory(entry, secrets) {
  const safe = {
    at: new Date().toISOString(),
    name: maskSecrets(entry.name, secrets),
    method: entry.method,
    url: maskSecrets(entry.url, secrets),
    headers: maskHeaders(entry.headers, secrets),
    body: maskBody(entry.body, secrets),
    auth: entry.auth,
    status: entry.status,
    time: entry.time,
    size: entry.size,
  };
  const items = [safe, ...loadHistory()].slice(0, LIMIT);
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(items));
  } catch (e) {
    /* storage full or disabled: history is a convenience */
  }
  return items;
}

export function clearHistory() {
  localStorage.removeItem(STORAGE_KEY);
}
