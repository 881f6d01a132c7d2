// Activation patching: a clean prompt and a corrupted one of the same token length, and two answer
// tokens. The model runs on the corrupted prompt with one activation at a time taken from the clean
// run; each grid cell says how much of logit(answer) - logit(wrong) that restores, normalised so
// that 0 is the corrupted run's value and 1 the clean run's. Grids: each layer's residual stream
// (resid_pre), attention output and MLP output at each position, and each head at every position.
import * as api from '../api.js';
import { h, clear, errorBox, note, num, tokenText, diverging, tooltip, progressBar } from '../ui.js';

/** The IOI pair of probes/ioi-patching.json: 15 tokens each on SmolLM2, differing in one name. */
const DEFAULTS = {
  clean: 'When John and Mary went to the store, John gave a drink to',
  corrupted: 'When John and Mary went to the store, Mary gave a drink to',
  answer: ' Mary',
  wrong: ' John',
};
const FIELDS = ['clean', 'corrupted', 'answer', 'wrong'];
const GRIDS = {
  resid_pre: 'Residual stream (resid_pre) by layer and position',
  attn_out: 'Attention output (attn_out) by layer and position',
  mlp_out: 'MLP output (mlp_out) by layer and position',
  heads: 'Attention heads (hook_z at every position) by layer and head',
};

/** Normalised value -> colour: white at 0 (as corrupted), red towards 1 (as clean), blue below 0. */
const colour = (v) => diverging(Number.isFinite(v) ? v : 0);
const ink = (v) => (Math.abs(v) > 0.6 ? '#fff' : '#111');

function scaleLegend() {
  const stops = Array.from({ length: 9 }, (_, i) => -1 + i / 4);
  return h('div.legend', h('span', 'patched value'), h('span', '−1'),
    h('div.swatches', stops.map((t) => h('span', { style: { background: colour(t) }, title: String(t) }))),
    h('span', '1'), h('span', '· 0 = as the corrupted run, 1 = as the clean run (beyond ±1 clipped); hover a cell for its value'));
}

export default function patchingView(el, nav) {
  let params = {};
  const inputs = Object.fromEntries(FIELDS.map((f) => [f, h('input', {
    type: 'text', name: f, 'aria-label': f, size: f === 'clean' || f === 'corrupted' ? 60 : 10,
  })]));
  const form = h('form.controls', { id: 'patching-form' },
    h('label.wide', 'clean prompt', inputs.clean),
    h('label.wide', 'corrupted prompt (same token length)', inputs.corrupted),
    h('label', 'answer token', inputs.answer),
    h('label', 'wrong token', inputs.wrong),
    h('button', { type: 'submit', class: 'run' }, 'Run'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values = Object.fromEntries(FIELDS.map((f) => [f, inputs[f].value]));
    const missing = FIELDS.filter((f) => !values[f].trim());
    if (missing.length) {
      clear(status, errorBox(`Fill in the ${missing.join(' and ')} first: patching needs both prompts and both answer tokens.`));
      return;
    }
    nav.go({ model: params.model, ...values, job: undefined, t: Date.now() });
  });
  const status = h('div.status');
  const results = h('div', { id: 'patching-results' });
  el.append(h('h1', 'Activation patching'),
    h('div.card', h('p.note', 'Runs the model on the corrupted prompt once per activation, each time with that one activation '
      + 'taken from the clean run, and measures logit(answer) − logit(wrong) at the last position. '
      + 'The prompts must have the same number of tokens; the answer and wrong tokens are read as text (or #ID).'),
    form, status), results);

  function grid(kind, rows, columns, labelOf) {
    // a cell writes its value when it matters (|v| >= 0.1); every value is on hover and in data-value
    const body = rows.map((values, layer) => h('tr', h('th', String(layer)), values.map((v, c) => h('td', {
      style: { background: colour(v), color: ink(v) },
      dataset: { kind, layer, column: c, value: v },
      onmousemove: (e) => tooltip.show(e, h('div', h('strong', `${kind}, layer ${layer}, ${labelOf(c)}`),
        h('div', `patched value ${num(v, 4)}`),
        h('div', v >= 0.5 ? 'restores most of the clean behaviour' : v <= -0.5 ? 'pushes further from the clean behaviour'
          : 'changes little'))),
      onmouseleave: () => tooltip.hide(),
    }, Math.abs(v) >= 0.1 ? v.toFixed(1) : ''))));
    return h('div.card.patching-grid', { id: `patching-${kind}` },
      h('h2', GRIDS[kind] ?? kind),
      h('div.scroll', h('table.heat.patch', h('thead', h('tr', h('th', 'layer'), columns)), h('tbody', body))));
  }

  function render(result) {
    const clean = result.clean || [];
    const corrupted = result.corrupted || [];
    const differs = (i) => corrupted[i] && corrupted[i].id !== clean[i]?.id;
    const tokenColumns = clean.map((t, i) => h('th.tokhead', {
      class: differs(i) ? 'tokhead differs' : 'tokhead',
      title: `position ${i}: clean ${JSON.stringify(t.text)}` + (differs(i) ? `, corrupted ${JSON.stringify(corrupted[i].text)}` : ''),
    }, tokenText(t.text)));
    const positionLabel = (i) => `position ${i} (${tokenText(clean[i]?.text)}`
      + (differs(i) ? ` / corrupted ${tokenText(corrupted[i].text)})` : ')');
    const grids = result.grids || {};
    const cards = Object.keys(GRIDS).filter((k) => grids[k]).map((kind) => kind === 'heads'
      ? grid(kind, grids[kind], Array.from({ length: grids[kind][0]?.length ?? 0 }, (_, i) => h('th', `H${i}`)), (i) => `head ${i}`)
      : grid(kind, grids[kind], tokenColumns.map((th) => th.cloneNode(true)), positionLabel));
    const metric = `logit(${JSON.stringify(result.answer_text)}) − logit(${JSON.stringify(result.wrong_text)})`;
    clear(results,
      h('div.card', { id: 'patching-summary' },
        h('dl.facts',
          h('dt', 'metric'), h('dd', `${metric} at the last position`),
          h('dt', 'logit difference'), h('dd', 'clean run ', h('strong', { id: 'clean-logit-diff' }, num(result.clean_logit_diff, 4)),
            ' · corrupted run ', h('strong', { id: 'corrupted-logit-diff' }, num(result.corrupted_logit_diff, 4))),
          h('dt', 'tokens'), h('dd', `${result.positions ?? clean.length}, differing from position ${result.first_differing_position ?? '–'}`
            + ` (in red above the grids) · ${result.forward_passes ?? '–'} patched forward passes`)),
        Math.abs(result.clean_logit_diff - result.corrupted_logit_diff) < 1e-3
          ? errorBox('The clean and corrupted runs give the same logit difference, so the normalised values mean little: '
            + 'pick prompts the model answers differently.') : null,
        scaleLegend()),
      h('div.patching-grids', cards));
  }

  let generation = 0; // the latest run(); an older one still waiting on its job draws nothing

  async function run() {
    const mine = ++generation;
    const bar = progressBar('patching');
    const watch = (jobId) => api.watchJob(jobId, (s) => bar.update({ done: s.bytes_done, total: s.bytes_total }));
    clear(status, bar);
    clear(results);
    try {
      let finished = null;
      if (params.job) {
        try {
          finished = await watch(params.job);
        } catch (e) {
          // a job the server has let go (a reload much later) runs again; its own failure is reported
          if (!(e instanceof api.ApiError && e.status === 404)) throw e;
        }
      }
      if (!finished) {
        const started = await api.startPatching(params.model, params.clean, params.corrupted, params.answer, params.wrong);
        if (mine !== generation) return;
        params = { ...params, job: started.job_id, t: undefined };
        nav.go(params, { replace: true, render: false });
        finished = await watch(started.job_id);
      }
      if (mine !== generation) return;
      bar.finish(`done: ${finished.result.forward_passes ?? ''} patched passes`);
      render(finished.result);
    } catch (e) {
      if (mine !== generation) return;
      clear(status, errorBox(e, /tokens and the corrupted one/.test(e.message)
        ? 'Patching swaps activations position by position, so both prompts must tokenize to the same length: '
          + 'change words for words of the same token count (e.g. one name for another).' : null));
    }
  }

  return {
    async update(p) {
      const prev = params;
      params = { ...p };
      for (const f of FIELDS) if (document.activeElement !== inputs[f]) inputs[f].value = p[f] ?? DEFAULTS[f];
      const ready = FIELDS.every((f) => p[f]);
      if (!ready) {
        generation++;
        clear(status, note('Edit the prompts (or keep the example) and press Run.'));
        clear(results);
        return;
      }
      const inputsChanged = ['model', ...FIELDS].some((k) => prev[k] !== p[k]);
      if (prev.model !== undefined && inputsChanged) params.job = undefined; // the job ran on other inputs
      if (inputsChanged || prev.t !== p.t || prev.job !== p.job) await run();
    },
  };
}
