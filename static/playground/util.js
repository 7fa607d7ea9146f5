// Pure helpers of the playground: variables, masking, cURL, formatting. No DOM here.

/** "****" + the last 4 characters (fewer for short values), like the vault's masked_key. */
export function maskValue(value) {
  const text = String(value || "");
  if (!text) return "";
  return "****" + text.slice(-Math.min(4, Math.floor(text.length / 2)));
}

const HEX_KEY = /\b[0-9a-f]{64}\b/gi;
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}\b/g;

/** Replace every known secret, any 64-hex key and any JWT in ``text`` by its mask. */
export function maskSecrets(text, secrets) {
  let out = String(text == null ? "" : text);
  for (const secret of secrets || []) {
    if (secret && secret.length >= 8) out = out.split(secret).join(maskValue(secret));
  }
  return out.replace(HEX_KEY, (m) => maskValue(m)).replace(JWT, (m) => maskValue(m));
}

const SENSITIVE_FIELDS = new Set(["apikey", "api_key", "password", "token", "access", "refresh", "secret"]);
const isReference = (v) => typeof v === "string" && /^\{\{[^{}]+\}\}$/.test(v.trim());

function maskFields(value) {
  if (Array.isArray(value)) return value.map(maskFields);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      const name = k.toLowerCase();
      out[k] = SENSITIVE_FIELDS.has(name) && typeof v === "string" && v && !isReference(v)
        ? (name === "password" || name === "secret" ? "****" : maskValue(v)) : maskFields(v);
    }
    return out;
  }
  return value;
}

/** A JSON body with every key-like field (apikey, api_key, password, token...) masked;
 * ``{{references}}`` stay. Text that is not JSON is returned with maskSecrets only. */
export function maskBody(text, secrets) {
  const masked = maskSecrets(text, secrets);
  try {
    return JSON.stringify(maskFields(JSON.parse(masked)), null, 2);
  } catch (e) {
    return masked;
  }
}

/** "Authorization: Bearer <jwt>" lines masked unless they hold a ``{{reference}}``. */
export function maskHeaders(text, secrets) {
  return maskSecrets(text, secrets).split("\n").map((line) => {
    const m = /^(\s*(?:authorization|x-api-key|cookie)\s*:\s*(?:bearer\s+)?)(.+)$/i.exec(line);
    return m && !isReference(m[2]) ? m[1] + maskValue(m[2]) : line;
  }).join("\n");
}

function uuid4() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Bruno's dynamic variables that the collection uses. */
function dynamic(name) {
  if (name === "$timestamp") return String(Math.floor(Date.now() / 1000));
  if (name === "$randomInt") return String(Math.floor(Math.random() * 1000));
  if (name === "$guid") return uuid4();
  return undefined;
}

/** ``{{name}}`` → variables[name] (or a dynamic value); unknown names stay as they are. */
export function substitute(text, variables) {
  return String(text).replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (whole, name) => {
    if (Object.prototype.hasOwnProperty.call(variables, name)) return String(variables[name]);
    const value = dynamic(name);
    return value === undefined ? whole : value;
  });
}

/** Names of ``{{variables}}`` still in ``text`` that the page cannot fill in. */
export function unresolved(text, known) {
  const names = new Set();
  String(text).replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (whole, name) => {
    if (!known.includes(name) && dynamic(name) === undefined) names.add(name);
    return whole;
  });
  return [...names];
}

/** "Name: value" lines → [[name, value], ...] (blank lines and lines without ":" skipped). */
export function parseHeaders(text) {
  const out = [];
  for (const line of String(text).split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) {
      const name = line.slice(0, at).trim();
      if (name) out.push([name, line.slice(at + 1).trim()]);
    }
  }
  return out;
}

export function formatHeaders(pairs) {
  return pairs.map(([k, v]) => `${k}: ${v}`).join("\n");
}

/** POSIX shell single-quoting. */
export function shellQuote(text) {
  return "'" + String(text).replace(/'/g, "'\\''") + "'";
}

/** A curl command line for the request exactly as the page sends it. */
export function curlCommand({ method, url, headers, body }) {
  const parts = ["curl", "-sS", "-X", method, shellQuote(url)];
  for (const [name, value] of headers) parts.push("-H", shellQuote(`${name}: ${value}`));
  if (body) parts.push("--data-raw", shellQuote(body));
  return parts.join(" ");
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

export function formatMs(ms) {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** Pretty JSON if it parses, else the text unchanged. */
export function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (e) {
    return text;
  }
}

export function clockTime(date) {
  const d = date || new Date();
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
