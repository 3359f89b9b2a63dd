// Shared helpers of the web app: the API call with the key, escaping, number formats.

export const $ = (id) => document.getElementById(id);

export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (ch) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch]));
}

const missing = (v) => v === null || v === undefined || Number.isNaN(Number(v));
export const fmt = (v, digits = 1) => (missing(v) ? "n/a" : Number(v).toFixed(digits));
export function signed(v, digits = 1) {  // "+0.30", "-1.20", "+0.00"
  if (missing(v)) return "n/a";
  const text = Number(v).toFixed(digits);
  return text.startsWith("-") ? text : `+${text}`;
}
export const interval = (iv, digits = 1) =>
  (iv ? `${fmt(iv[0], digits)}-${fmt(iv[1], digits)}` : "n/a");
export const num = (v) => (missing(v) ? "n/a" : String(Number(Number(v).toPrecision(3))));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const key = () => sessionStorage.getItem("posescoreKey") || "";

function apiError(response, body) {
  const detail = body && body.detail;
  const text = typeof detail === "string" ? detail : detail ? JSON.stringify(detail) : response.statusText;
  const err = new Error(`${text} (HTTP ${response.status})`);
  err.status = response.status;
  err.retryAfter = Number(response.headers.get("Retry-After")) || 0;  // 429/503: a limit
  return err;
}

// GET (no body) or POST of JSON; waits out a rate limit (Retry-After) instead of failing.
export async function api(path, body) {
  for (;;) {
    const options = { headers: { "X-API-Key": key() } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const data = await response.json().catch(() => ({}));
    if (response.ok) return data;
    const err = apiError(response, data);
    if (!err.retryAfter || err.status !== 429) throw err;
    await sleep(1000 * err.retryAfter);
  }
}

// GET a file (a video) with the key; null when there is none (404).
export async function apiBlob(path) {
  const response = await fetch(path, { headers: { "X-API-Key": key() } });
  if (response.status === 404) return null;
  if (!response.ok) throw apiError(response, await response.json().catch(() => ({})));
  return response.blob();
}

// POST a multipart form with upload progress (fetch reports none): resolves to the JSON answer.
export function postForm(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("X-API-Key", key());
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) { resolve(xhr.response); return; }
      const headers = new Headers({ "Retry-After": xhr.getResponseHeader("Retry-After") || "" });
      reject(apiError({ status: xhr.status, statusText: xhr.statusText, headers }, xhr.response));
    };
    xhr.onerror = () => reject(new Error("network error while uploading"));
    xhr.send(form);
  });
}

export const SIDES = ["left", "right"];
export const TASK_LABELS = {
  walk_forward: "walking forward", walk_backward: "walking backward", run: "running",
  heel_toe_tap: "heel-toe tapping", stand: "standing",
};
export const VIEW_LABELS = {
  "": "detect", sagittal_left: "left side", sagittal_right: "right side",
  frontal: "front", posterior: "back", oblique: "oblique",
};
export const viewLabel = (v) => (v in VIEW_LABELS ? VIEW_LABELS[v] : v || "not known");
export const taskLabel = (t) => TASK_LABELS[t] || t;

// Tasks, views a clip can be stated to have, and the features' plain labels (api.web).
export const vocabulary = fetch("/vocabulary.json").then((r) => r.json());
