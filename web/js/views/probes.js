// Probes: the suites in probes/ (declarative experiments with expected outcomes); run one on the
// chosen model and read its report.
import * as api from '../api.js';
import { h, clear, errorBox, loading, note, progressBar, num, table } from '../ui.js';

/** A value in a table cell: numbers rounded, long lists cut to their first few (all of it on hover). */
function cell(v) {
  if (typeof v === 'number') return num(v, 4);
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'object') return String(v);
  const json = JSON.stringify(v);
  if (Array.isArray(v) && v.length > 8) {
    const head = v.slice(0, 8).map((x) => (typeof x === 'number' ? num(x, 3) : JSON.stringify(x))).join(', ');
    return h('span', { title: json.length > 2000 ? `${json.slice(0, 2000)}…` : json }, `[${head}, … ${v.length} in all]`);
  }
  return json.length > 120 ? h('span', { title: json.slice(0, 2000) }, `${json.slice(0, 120)}…`) : json;
}

/** A report of unknown shape, readably: scalars as facts, arrays of objects as tables. */
function report(value) {
  if (Array.isArray(value)) {
    if (value.length && value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
      const keys = [...new Set(value.flatMap((v) => Object.keys(v)))];
      const t = table(value, keys.map((k) => ({ key: k, format: cell })), {
        rowAttrs: (r) => ({ class: [r.met, r.passed, r.pass, r.ok].includes(false) ? 'sev-error' : null }),
      });
      return value.length > 20 ? h('details', h('summary', `${value.length} rows`), t) : t;
    }
    return h('span', cell(value));
  }
  if (value && typeof value === 'object') {
    const text = (v) => typeof v === 'string' && v.includes('\n');
    const scalars = Object.entries(value).filter(([, v]) => (v === null || typeof v !== 'object') && !text(v));
    const texts = Object.entries(value).filter(([, v]) => text(v));
    const nested = Object.entries(value).filter(([, v]) => v !== null && typeof v === 'object');
    return h('div',
      scalars.length ? h('dl.facts', scalars.flatMap(([k, v]) => [h('dt', k), h('dd', cell(v))])) : null,
      nested.map(([k, v]) => h('div', h('h3', k), report(v))),
      texts.map(([k, v]) => h('div', h('h3', k), h('pre.json', v))));
  }
  return h('span', cell(value));
}

export default function probesView(el, nav) {
  let params = {};
  const listBox = h('div.card', { id: 'probe-list' });
  const runBox = h('div.card', { id: 'probe-report', hidden: true });
  el.append(h('h1', 'Probes'), listBox, runBox);
  let suites = null;

  async function renderList() {
    clear(listBox, loading('Reading the probe suites…'));
    try {
      suites = await api.probes();
    } catch (e) {
      suites = null;
      clear(listBox, errorBox(e, e.status === 404 ? 'This server has no probe suites API yet.' : null));
      return;
    }
    if (!suites.length) {
      clear(listBox, note('No probe suites found under probes/.'));
      return;
    }
    clear(listBox, h('p.note', 'Each suite is a set of prompts with expected outcomes. Run one on the model picked in the header.'),
      table(suites, [
        { key: 'name', className: 'name' },
        { key: 'instrument' },
        { key: 'description', className: 'wrap' },
        { key: 'run', label: '', format: (v, s) => h('button', { 'data-suite': s.name, onclick: (e) => {
          e.stopPropagation();
          nav.go({ ...params, suite: s.name, job: undefined, t: Date.now() });
        } }, 'Run') },
      ], { rowAttrs: (s) => ({ class: s.name === params.suite ? 'selected' : null }) }));
  }

  async function runSuite() {
    runBox.hidden = false;
    const bar = progressBar(`running ${params.suite}`);
    clear(runBox, h('h2', `Suite ${params.suite}`), bar);
    try {
      let jobId = params.job;
      if (!jobId) {
        const started = await api.runProbe(params.suite, params.model);
        jobId = started.job_id;
        params = { ...params, job: jobId, t: undefined };
        nav.go(params, { replace: true, render: false });
      }
      const finished = await api.watchJob(jobId, (s) => bar.update(s));
      bar.finish(`done: ${params.suite} on ${finished.result?.model ?? params.model}`);
      const { expectations, ...rest } = finished.result || {};
      const checks = expectations?.checks || [];
      const met = checks.filter((c) => c.met).length;
      clear(runBox, h('h2', `Suite ${params.suite}`), bar,
        checks.length ? h('div.expectations',
          h('h3', `Expectations: ${met} of ${checks.length} met`
            + (expectations.measured_on ? ` (the numbers were measured on ${expectations.measured_on})` : '')),
          table(checks, [
            { key: 'check', className: 'name' },
            { key: 'expected', label: 'at least', className: 'num', format: (v) => num(v, 4) },
            { key: 'measured', className: 'num', format: (v) => num(v, 4) },
            { key: 'met', format: (v) => (v ? 'met' : 'NOT MET') },
          ], { rowAttrs: (c) => ({ class: c.met ? 'met' : 'sev-error' }) })) : null,
        report(rest),
        h('details', h('summary', 'the report as JSON'), h('pre.json', JSON.stringify(finished.result, null, 2))));
    } catch (e) {
      clear(runBox, h('h2', `Suite ${params.suite}`), errorBox(e));
    }
  }

  return {
    async update(p) {
      const prev = params;
      params = { ...p };
      if (prev.model !== undefined && prev.model !== p.model) params.job = undefined; // a job ran on the old model
      if (!suites || prev.suite !== p.suite) await renderList();
      if (p.suite && (prev.suite !== p.suite || prev.model !== p.model || prev.t !== p.t || prev.job !== p.job)) {
        if (suites) await runSuite();
      } else if (!p.suite) {
        runBox.hidden = true;
      }
    },
  };
}
