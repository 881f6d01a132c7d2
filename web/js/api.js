// The workbench's HTTP API, as the UI uses it. Every failure becomes an ApiError whose message is
// one readable line: the server's {"error": ...} when it sent one.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function request(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(`cannot reach the workbench server (${e.message}); is owb serve still running?`, 0);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported below if the status says it failed
  }
  if (!response.ok) {
    const why = json && json.error ? json.error : `${response.status} ${response.statusText}`;
    throw new ApiError(why, response.status);
  }
  return json;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body ?? {});

const enc = encodeURIComponent;

/** GETs of things that do not change while the page is open, remembered (bounded). */
const memo = new Map();
function cached(key, load) {
  if (memo.has(key)) return memo.get(key);
  const p = load();
  memo.set(key, p);
  p.catch(() => memo.delete(key));
  if (memo.size > 200) memo.delete(memo.keys().next().value);
  return p;
}

export const models = () => get('/api/models');
export const model = (id) => cached(`model ${id}`, () => get(`/api/models/${enc(id)}`));
export const tensors = (id) => cached(`tensors ${id}`, () => get(`/api/models/${enc(id)}/tensors`));
export const tensorStats = (id, name) =>
  cached(`stats ${id} ${name}`, () => get(`/api/models/${enc(id)}/tensors/${enc(name)}`));
export const spectrum = (id, name) =>
  cached(`spectrum ${id} ${name}`, () => get(`/api/models/${enc(id)}/tensors/${enc(name)}/spectrum`));
export const histogramUrl = (id, name) => `/api/models/${enc(id)}/tensors/${enc(name)}/histogram.png?width=500&height=200`;
export const heatmapUrl = (id, name, mode) =>
  `/api/models/${enc(id)}/tensors/${enc(name)}/heatmap.png?size=256&mode=${enc(mode)}`;
export const auditReportUrl = (id, job) => `/api/models/${enc(id)}/audit-report.html?job=${enc(job)}&download=1`;
export const startAudit = (id) => post(`/api/models/${enc(id)}/audit`);
export const job = (jobId) => get(`/api/jobs/${enc(jobId)}`);

/**
 * A run of the model on a prompt, remembered per (model, prompt). Runs live in a bounded cache on
 * the server; {@link withRun} runs again when the server has let one go.
 */
const runs = new Map();
export function run(modelId, prompt) {
  const key = `${modelId}\n${prompt}`;
  if (!runs.has(key)) {
    const p = post('/api/runs', { model: modelId, prompt });
    runs.set(key, p);
    p.catch(() => runs.delete(key));
  }
  return runs.get(key);
}

/** Calls fn(run) and, if the server has let that run go (404 "no run with id ..."), runs once more. */
export async function withRun(modelId, prompt, fn) {
  const first = await run(modelId, prompt);
  try {
    return await fn(first);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404 || !/^no run with id/.test(e.message)) throw e;
    runs.delete(`${modelId}\n${prompt}`);
    return fn(await run(modelId, prompt));
  }
}

export const lens = (runId, top, target) =>
  get(`/api/runs/${enc(runId)}/lens?top=${top}` + (target ? `&target=${enc(target)}` : ''));
export const attention = (runId) => get(`/api/runs/${enc(runId)}/attention`);
export const thumbnails = (runId, size) => get(`/api/runs/${enc(runId)}/attention/thumbnails?size=${size}`);
export const headTopKeys = (runId, layer, head, k) =>
  get(`/api/runs/${enc(runId)}/attention/${layer}/${head}?top_k=${k}`);

export const startDiff = (base, derivative, prompt) =>
  post('/api/diffs', prompt ? { base, derivative, prompt } : { base, derivative });
export const diffSpectrum = (jobId, name) => get(`/api/diffs/${enc(jobId)}/tensors/${enc(name)}/spectrum`);

export const probes = () => get('/api/probes');
export const runProbe = (name, modelId) => post(`/api/probes/${enc(name)}/run`, { model: modelId });
export const startPatching = (modelId, clean, corrupted, answer, wrong) =>
  post('/api/patching', { model: modelId, clean, corrupted, answer, wrong });

/**
 * Waits for a background job: progress events from /api/jobs/{id}/events (server-sent events)
 * go to onProgress; resolves with the finished job (its result included), rejects with the
 * job's error. Falls back to polling when the event stream breaks.
 */
export function watchJob(jobId, onProgress) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = async () => {
      if (settled) return;
      settled = true;
      try {
        const status = await job(jobId);
        if (status.state === 'failed') reject(new ApiError(status.error || 'the job failed', 422));
        else resolve(status);
      } catch (e) {
        reject(e);
      }
    };
    const poll = async () => {
      while (!settled) {
        let status;
        try {
          status = await job(jobId);
        } catch (e) {
          settled = true;
          reject(e);
          return;
        }
        if (status.state !== 'running') {
          finish();
          return;
        }
        onProgress(status);
        await new Promise((r) => setTimeout(r, 400));
      }
    };
    if (!window.EventSource) {
      poll();
      return;
    }
    const events = new EventSource(`/api/jobs/${enc(jobId)}/events`);
    events.addEventListener('progress', (e) => onProgress(JSON.parse(e.data)));
    events.addEventListener('done', () => {
      events.close();
      finish();
    });
    events.addEventListener('failed', () => {
      events.close();
      finish();
    });
    events.onerror = () => {
      events.close();
      if (!settled) poll();
    };
  });
}
