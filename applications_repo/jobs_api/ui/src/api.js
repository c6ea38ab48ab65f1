// The jobs-api client: the base URL from config.json, errors as readable messages
// (the API answers problem details: application/problem+json).

let base = null;

export async function apiBase() {
  if (base === null) {
    const answer = await fetch("config.json", { cache: "no-store" });
    if (!answer.ok) throw new Error(`config.json: ${answer.status} ${answer.statusText}`);
    base = String((await answer.json()).apiBaseUrl || "").replace(/\/$/, "");
  }
  return base;
}

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
  }
}

async function problem(answer) {
  const text = await answer.text();
  try {
    const body = JSON.parse(text);
    return new ApiError(answer.status, body.title || body.message || answer.statusText, body.detail);
  } catch {
    return new ApiError(answer.status, `${answer.status} ${answer.statusText}`, text.slice(0, 200));
  }
}

export async function call(method, path, body, headers = {}) {
  const url = `${await apiBase()}${path}`;
  let answer;
  try {
    answer = await fetch(url, {
      method,
      headers: body ? { "Content-Type": "application/json", ...headers } : headers,
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    throw new ApiError(0, "The API cannot be reached", `${url} (${error.message})`);
  }
  if (!answer.ok) throw await problem(answer);
  return answer.json();
}

export const listJobs = (status, next) => {
  const query = new URLSearchParams();
  if (status) query.set("status", status);
  if (next) query.set("next", next);
  const text = query.toString();
  return call("GET", `/jobs${text ? `?${text}` : ""}`);
};

export const createUpload = (file) =>
  call("POST", "/upload", { filename: safeName(file.name), sizeBytes: file.size });

// A retry of a trigger that got no answer carries the same key: the API answers as it did.
export async function triggerJob(jobId, key = crypto.randomUUID()) {
  try {
    return await call("POST", "/trigger-job", { jobId }, { "Idempotency-Key": key });
  } catch (error) {
    if (error.status === 0) return call("POST", "/trigger-job", { jobId }, { "Idempotency-Key": key });
    throw error;
  }
}

export const cancelJob = (jobId) => call("POST", `/jobs/${encodeURIComponent(jobId)}/cancel`);
export const retryJob = (jobId) => call("POST", `/jobs/${encodeURIComponent(jobId)}/retry`);
export const downloadOf = (jobId) => call("GET", `/download/${encodeURIComponent(jobId)}`);

export function safeName(name) {
  const cleaned = name.replace(/[^A-Za-z0-9._ -]/g, "_").replace(/^[^A-Za-z0-9]+/, "");
  return (cleaned || "upload.parquet").slice(0, 200);
}

// The pre-signed POST: the form's fields, then the file; progress as a fraction.
export function postFile(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    Object.entries(upload.fields).forEach(([name, value]) => form.append(name, value));
    form.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", upload.url);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () =>
      request.status < 300
        ? resolve()
        : reject(new ApiError(request.status, "The upload was refused", request.responseText.slice(0, 300)));
    request.onerror = () => reject(new ApiError(0, "The upload failed", "the storage cannot be reached"));
    request.send(form);
  });
}
