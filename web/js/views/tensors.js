// Tensors: every tensor of a model in a sortable, filterable table; a full audit with progress
// (server-sent events) that fills in the statistics and highlights findings; one tensor's detail
// with its histogram, heatmap and singular-value spectrum; the audit as a self-contained HTML file.
import * as api from '../api.js';
import {
  h, clear, errorBox, loading, note, progressBar, bytes, num, int, shapeText, spectrumCanvas,
} from '../ui.js';

/** Models up to this size are audited as soon as their table opens; larger ones on request. */
const AUTO_AUDIT_BYTES = 512 * 1024 * 1024;

const COLUMNS = [
  { key: 'name', label: 'name', cls: 'name' },
  { key: 'dtype', label: 'dtype' },
  { key: 'shape', label: 'shape', fmt: shapeText, sortBy: (r) => r.numel },
  { key: 'byte_size', label: 'size', cls: 'num', fmt: bytes },
  { key: 'mean', label: 'mean', cls: 'num', fmt: num },
  { key: 'std', label: 'std', cls: 'num', fmt: num },
  { key: 'min', label: 'min', cls: 'num', fmt: num },
  { key: 'max', label: 'max', cls: 'num', fmt: num },
  { key: 'abs_max', label: 'abs max', cls: 'num', fmt: num },
  { key: 'nonfinite', label: 'nan/inf', cls: 'num', fmt: (v, r) => (r.stats ? `${r.nan_count}/${r.inf_count}` : '–') },
  { key: 'zero_fraction', label: 'zero %', cls: 'num', fmt: (v) => (v === undefined || v === null ? '–' : (100 * v).toFixed(2)) },
];

const SEVERITY_RANK = { error: 3, warning: 2, info: 1 };

function compare(a, b) {
  const missingA = a === undefined || a === null, missingB = b === undefined || b === null;
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), 'en', { numeric: true });
}

/** An <img> that shows the API's error message instead of a broken image when it fails. */
function imageOrError(url, attrs) {
  const img = h('img', { ...attrs, src: url });
  img.addEventListener('error', async () => {
    try {
      await api.get(url);
      img.replaceWith(errorBox('the image did not load'));
    } catch (e) {
      img.replaceWith(errorBox(e));
    }
  });
  return img;
}

export default function tensorsView(el, nav) {
  const title = h('h1', 'Tensors');
  const auditCard = h('div.card.audit');
  const filter = h('input', { type: 'search', placeholder: 'filter by name or dtype', 'aria-label': 'filter tensors', size: 32 });
  const count = h('span.note');
  const tableBox = h('div.scroll');
  const detail = h('div.detail');
  el.append(title, auditCard, h('div.tensor-layout',
    h('div.card', h('div.row', filter, count), tableBox),
    h('div.card', { id: 'tensor-detail' }, detail)));

  let params = {};
  let modelId;
  let rows = [];          // [{name, dtype, shape, byte_size, numel, stats..., severity}]
  let findings = [];
  let auditJob = null;    // the finished audit's job id

  filter.addEventListener('input', () => {
    params = { ...params, q: filter.value || undefined };
    nav.go(params, { replace: true, render: false });
    renderTable();
  });

  function setParams(changes) {
    params = { ...params, ...changes };
    nav.go(params, { replace: true, render: false });
  }

  function merge(list, audit) {
    const stats = new Map((audit?.tensors || []).map((t) => [t.name, t.stats]));
    findings = audit?.findings || [];
    const worst = new Map();
    for (const f of findings) {
      if (!f.tensor) continue;
      if ((SEVERITY_RANK[f.severity] || 0) > (SEVERITY_RANK[worst.get(f.tensor)] || 0)) worst.set(f.tensor, f.severity);
    }
    rows = list.map((t) => {
      const s = stats.get(t.name);
      return {
        ...t,
        numel: t.shape.reduce((a, b) => a * b, 1),
        ...(s ? { stats: s, mean: s.mean, std: s.std, min: s.min, max: s.max, abs_max: s.abs_max,
          nan_count: s.nan_count, inf_count: s.inf_count, nonfinite: s.nan_count + s.inf_count,
          zero_fraction: s.zero_fraction } : {}),
        severity: worst.get(t.name),
      };
    });
  }

  function renderTable() {
    const q = (params.q || '').toLowerCase();
    const sort = COLUMNS.find((c) => c.key === params.sort);
    const dir = params.dir === 'desc' ? -1 : 1;
    let shown = rows.filter((r) => !q || r.name.toLowerCase().includes(q) || r.dtype.toLowerCase() === q);
    if (sort) {
      const key = sort.sortBy || ((r) => r[sort.key]);
      shown = [...shown].sort((a, b) => dir * compare(key(a), key(b)));
    }
    count.textContent = `${shown.length} of ${rows.length} tensors` + (rows[0]?.stats ? '' : ' · statistics appear when the audit finishes');
    const head = h('tr', COLUMNS.map((c) => h('th', {
      class: `sortable ${c.cls === 'num' ? 'num' : ''} ${sort === c ? (dir > 0 ? 'sorted-asc' : 'sorted-desc') : ''}`,
      title: 'sort',
      onclick: () => {
        const same = params.sort === c.key;
        params = { ...params, sort: c.key, dir: same && params.dir !== 'desc' ? 'desc' : 'asc' };
        nav.go(params, { replace: true, render: false });
        renderTable();
      },
    }, c.label)));
    const body = shown.map((r) => h('tr', {
      class: ['clickable', r.severity ? `sev-${r.severity}` : '', r.name === params.tensor ? 'selected' : ''].join(' '),
      'data-tensor': r.name,
      onclick: () => nav.go({ ...params, tensor: r.name }),
    }, COLUMNS.map((c) => h(c.cls ? `td.${c.cls}` : 'td', c.fmt ? c.fmt(r[c.key], r) : r[c.key]))));
    clear(tableBox, h('table.grid-table.tensor-table', h('thead', head), h('tbody', body)));
  }

  function renderFindings() {
    if (!findings.length) return null;
    const counts = {};
    for (const f of findings) counts[f.severity] = (counts[f.severity] || 0) + 1;
    return h('details.findings', { open: findings.some((f) => f.severity !== 'info') },
      h('summary', 'findings: ', Object.entries(counts).map(([s, n]) => h(`span.badge.${s}`, `${n} ${s}`))),
      h('ul', findings.map((f) => h(`li.${f.severity}`, {
        onclick: f.tensor ? () => nav.go({ ...params, tensor: f.tensor, q: undefined }) : null,
      }, h('strong', `${f.severity}: `), f.tensor ? h('code', f.tensor) : null, f.tensor ? ': ' : '', f.message))));
  }

  function renderAuditIdle(message) {
    clear(auditCard,
      h('div.row',
        h('button', { id: 'run-audit', onclick: () => runAudit() }, 'Run full audit'),
        h('span.note', message || 'Statistics of every tensor (all cores, progress below) and the findings.')));
  }

  async function runAudit() {
    const id = modelId;
    const bar = progressBar('auditing');
    clear(auditCard, bar);
    try {
      const started = await api.startAudit(id);
      setParams({ job: started.job_id });
      const done = await api.watchJob(started.job_id, (s) => bar.update(s));
      if (modelId !== id) return;
      showAudit(started.job_id, done.result, bar);
    } catch (e) {
      if (modelId === id) clear(auditCard, errorBox(e), h('button.secondary', { onclick: () => runAudit() }, 'Try again'));
    }
  }

  function showAudit(jobId, result, bar) {
    auditJob = jobId;
    const errors = result.findings.filter((f) => f.severity === 'error').length;
    const warnings = result.findings.filter((f) => f.severity === 'warning').length;
    bar = bar || progressBar('');
    bar.finish(`audit done: ${int(result.tensor_count)} tensors, ${int(result.parameter_count)} parameters, `
      + `${errors} errors, ${warnings} warnings`);
    merge(rowsBase, result);
    clear(auditCard, h('div.row', bar,
      h('a', { id: 'export-report', href: api.auditReportUrl(modelId, jobId), download: '' }, 'Export HTML report'),
      h('button.secondary', { onclick: () => runAudit() }, 'Audit again')), renderFindings());
    renderTable();
  }

  let rowsBase = [];

  async function openModel(p) {
    modelId = p.model;
    auditJob = null;
    rows = [];
    findings = [];
    clear(auditCard);
    clear(tableBox, loading('Reading the tensor index…'));
    clear(detail, note('Click a tensor to see its statistics, histogram, heatmap and spectrum.'));
    let summary;
    try {
      [summary, rowsBase] = await Promise.all([api.model(modelId), api.tensors(modelId)]);
    } catch (e) {
      title.textContent = 'Tensors';
      clear(tableBox, errorBox(e, 'Pick a model in the header, or open the Models view.'));
      clear(detail);
      return false;
    }
    title.textContent = `Tensors of ${summary.name}`;
    merge(rowsBase, null);
    renderTable();
    if (p.job) {
      try {
        const status = await api.job(p.job);
        if (status.state === 'done' && status.model_id === modelId) {
          showAudit(p.job, status.result);
          return true;
        }
        if (status.state === 'running') {
          const bar = progressBar('auditing');
          clear(auditCard, bar);
          const done = await api.watchJob(p.job, (s) => bar.update(s));
          showAudit(p.job, done.result, bar);
          return true;
        }
      } catch (e) {
        renderAuditIdle(`The audit in the link is no longer on the server (${e.message}); run it again.`);
        return true;
      }
    }
    const size = (nav.models() || []).find((m) => m.id === modelId)?.size_bytes ?? Infinity;
    if (size <= AUTO_AUDIT_BYTES) runAudit();
    else renderAuditIdle(`This checkpoint is ${bytes(size)}; the audit reads all of it.`);
    return true;
  }

  async function renderDetail(name) {
    if (!name) {
      clear(detail, note('Click a tensor to see its statistics, histogram, heatmap and spectrum.'));
      return;
    }
    const t = rows.find((r) => r.name === name);
    if (!t) {
      clear(detail, errorBox(`model '${modelId}' has no tensor '${name}'`));
      return;
    }
    const matrix = t.shape.length >= 2 && t.numel > 0;
    const heatMode = params.heat === 'signed' ? 'signed' : 'abs';
    const statsBox = h('div', loading('Computing statistics…'));
    const spectrumBox = h('div', matrix ? loading('Computing the top singular values (randomized SVD)…') : null);
    const tensorFindings = findings.filter((f) => f.tensor === name);
    const heatSelect = h('select', {
      'aria-label': 'heatmap mode',
      onchange: (e) => nav.go({ ...params, heat: e.target.value === 'abs' ? undefined : e.target.value }),
    }, h('option', { value: 'abs', selected: heatMode === 'abs' }, 'mean |value| per block'),
    h('option', { value: 'signed', selected: heatMode === 'signed' }, 'mean value per block (signed)'));
    clear(detail,
      h('h2.name', { id: 'detail-name' }, name),
      h('p', h('span.badge', t.dtype), ` shape ${shapeText(t.shape)} · ${int(t.numel)} elements · ${bytes(t.byte_size)}`),
      tensorFindings.length ? h('ul.findings', tensorFindings.map((f) => h(`li.${f.severity}`, `${f.severity}: ${f.message}`))) : null,
      h('div.row', statsBox, matrix ? h('div', { style: { width: '260px' } },
        h('div', h('strong', 'Heatmap '), heatSelect),
        imageOrError(api.heatmapUrl(modelId, name, heatMode), { class: 'heatmap', alt: `heatmap of ${name}` }),
        h('div.note', `${t.shape[0]} rows down, ${t.numel / t.shape[0]} columns across, block-averaged to ≤ 256 × 256`))
        : h('p.note', 'A vector: no heatmap or spectrum.')),
      h('h3', 'Histogram'),
      imageOrError(api.histogramUrl(modelId, name), { class: 'histogram', alt: `histogram of ${name}`, width: 500, height: 200 }),
      matrix ? [h('h3', 'Singular values'), spectrumBox] : null);
    try {
      const s = (await api.tensorStats(modelId, name)).stats;
      clear(statsBox, h('dl.facts',
        ['count', 'mean', 'std', 'min', 'max', 'abs_max', 'l2_norm', 'nan_count', 'inf_count', 'zero_fraction']
          .flatMap((k) => [h('dt', k), h('dd', k.endsWith('count') ? int(s[k]) : num(s[k], 6))])));
    } catch (e) {
      clear(statsBox, errorBox(e));
    }
    if (matrix) {
      try {
        const sp = await api.spectrum(modelId, name);
        if (params.tensor !== name) return;
        clear(spectrumBox,
          spectrumCanvas(sp.singular_values, { energy: sp.energy }),
          h('p.note', `top ${sp.singular_values.length} singular values${sp.exact ? ' (all of them)' : ' (randomized SVD)'}, log scale; `
            + `dashed: share of ‖W‖² captured. σ₁ = ${num(sp.singular_values[0])}, numerical rank ${sp.rank}`
            + `${sp.exact ? '' : '+'}, effective rank ${num(sp.effective_rank, 3)}, stable rank ${num(sp.stable_rank, 3)}`));
      } catch (e) {
        clear(spectrumBox, errorBox(e));
      }
    }
  }

  return {
    async update(p) {
      const prev = params;
      params = { ...p };
      if (filter.value !== (p.q || '')) filter.value = p.q || '';
      if (p.model !== modelId) {
        if (!(await openModel(p))) return;
        await renderDetail(p.tensor);
        return;
      }
      if (prev.sort !== p.sort || prev.dir !== p.dir || prev.q !== p.q || prev.tensor !== p.tensor) renderTable();
      if (prev.tensor !== p.tensor || prev.heat !== p.heat) await renderDetail(p.tensor);
    },
  };
}
