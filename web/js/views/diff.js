// Diff: a base checkpoint against a derivative (a fine-tune). A layer × module heatmap of the
// relative change ||Δ||/||W||; a cell opens its tensors' delta statistics, a tensor its delta's
// singular-value spectrum; with a prompt, the behavioural diff (logit lens KL per layer and
// position, attention Jensen-Shannon per head, the tokens whose probability moved most).
import * as api from '../api.js';
import {
  h, clear, errorBox, loading, note, progressBar, num, shapeText, tokenText, viridis, inkOn, tooltip,
  spectrumCanvas, table, legend,
} from '../ui.js';

const MODULE_ORDER = ['embedding', 'attn.q', 'attn.k', 'attn.v', 'attn.qkv', 'attn.o', 'mlp.gate', 'mlp.up',
  'mlp.down', 'norm', 'lm_head', 'other'];
const moduleOf = (x) => x.module ?? x.kind;

/** Diffs already computed in this page, per (base, derivative, prompt): {jobId, result}. */
const done = new Map();

export default function diffView(el, nav) {
  let params = {};
  let current = null; // {jobId, result}
  const base = h('select', { name: 'base', 'aria-label': 'base model' });
  const derivative = h('select', { name: 'derivative', 'aria-label': 'derivative model' });
  const prompt = h('textarea.prompt', { name: 'prompt', rows: 1, placeholder: 'optional: a prompt for the behavioural diff', 'aria-label': 'prompt' });
  const form = h('form.controls', { id: 'diff-form' },
    h('label', 'base', base), h('label', 'derivative (fine-tune)', derivative),
    h('label.wide', 'prompt (optional)', prompt), h('button', { type: 'submit' }, 'Compare'));
  const status = h('div.status');
  const heat = h('div.card', { id: 'diff-heatmap', hidden: true });
  const cellBox = h('div.card', { id: 'diff-cell', hidden: true });
  const behaviour = h('div.card', { id: 'diff-behaviour', hidden: true });
  el.append(h('h1', 'Diff'), h('div.card', form, status), h('div.diff-layout', heat, cellBox), behaviour);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!base.value || !derivative.value) {
      clear(status, errorBox('Pick a base and a derivative model.'));
      return;
    }
    nav.go({ base: base.value, derivative: derivative.value, prompt: prompt.value.trim() ? prompt.value : undefined });
  });

  function fillPickers(p) {
    const models = nav.models() || [];
    const pick = (select, wanted, fallback) => {
      const ids = models.map((m) => m.id);
      const value = wanted || fallback;
      clear(select, models.map((m) => h('option', { value: m.id }, `${m.name} (${m.path})`)),
        value && !ids.includes(value) ? h('option', { value }, `unknown model ${value}`) : null);
      select.value = value || '';
    };
    // defaults: a model called base (or else the first that does not look like a fine-tune), and
    // one called derivative (or else the first whose path says fine-tune), as the samples name them
    const named = (n) => models.find((m) => m.name === n || m.path.endsWith(`/${n}`) || m.path === n)?.id;
    const tuned = (m) => /derivative|fine-?tune/i.test(m.path);
    const baseId = named('base') || models.find((m) => !tuned(m))?.id || models[0]?.id;
    pick(base, p.base, baseId);
    pick(derivative, p.derivative, named('derivative') || models.find(tuned)?.id
      || models.find((m) => m.id !== baseId)?.id || baseId);
    if (document.activeElement !== prompt) prompt.value = p.prompt || '';
  }

  async function compute() {
    const key = `${params.base}\n${params.derivative}\n${params.prompt || ''}`;
    heat.hidden = cellBox.hidden = behaviour.hidden = true;
    if (done.has(key)) return done.get(key);
    const bar = progressBar('comparing');
    clear(status, bar);
    const started = await api.startDiff(params.base, params.derivative, params.prompt);
    const finished = await api.watchJob(started.job_id, (s) => bar.update(s));
    const value = { jobId: started.job_id, result: finished.result };
    done.set(key, value);
    if (done.size > 16) done.delete(done.keys().next().value);
    return value;
  }

  function renderHeatmap() {
    const aggregates = current.result.aggregates || current.result.layers || [];
    const layers = [...new Set(aggregates.map((a) => a.layer))].sort((a, b) => a - b);
    const present = new Set(aggregates.map(moduleOf));
    const modules = [...MODULE_ORDER.filter((m) => present.has(m)), ...[...present].filter((m) => !MODULE_ORDER.includes(m))];
    const byCell = new Map(aggregates.map((a) => [`${a.layer},${moduleOf(a)}`, a]));
    const logs = aggregates.map((a) => a.rel_change).filter((v) => v > 0).map(Math.log10);
    const lo = logs.length ? Math.min(...logs) : 0, hi = logs.length ? Math.max(...logs) : 0;
    const t = (v) => (v > 0 ? (hi > lo ? (Math.log10(v) - lo) / (hi - lo) : 1) : 0);
    const changed = current.result.tensors.filter((x) => x.status !== 'unchanged').length;
    heat.hidden = false;
    clear(heat,
      h('h2', 'Relative change ‖Δ‖ / ‖W_base‖ by layer and module'),
      h('p.note', `${changed} of ${current.result.tensors.length} tensors differ. Colour on a log scale `
        + `from ${num(10 ** lo, 2)} to ${num(10 ** hi, 2)}; white is unchanged. Click a cell for its tensors.`),
      legend(viridis, num(10 ** lo, 2), num(10 ** hi, 2), 'relative change (log scale)'),
      h('div.scroll', h('table.heat.diff-grid', { id: 'diff-grid' },
        h('thead', h('tr', h('th', 'layer'), modules.map((m) => h('th', m)))),
        h('tbody', layers.map((layer) => h('tr', h('th', layer < 0 ? 'outside blocks' : String(layer)),
          modules.map((m) => {
            const a = byCell.get(`${layer},${m}`);
            if (!a) return h('td.empty', '');
            const v = t(a.rel_change);
            return h('td', {
              class: params.cell === `${layer},${m}` ? 'selected' : null,
              style: { background: a.rel_change > 0 ? viridis(v) : '#fff', color: a.rel_change > 0 ? inkOn(v) : '#888' },
              dataset: { layer, module: m },
              onmousemove: (e) => tooltip.show(e, h('div', h('strong', `layer ${layer} ${m}`),
                h('div', `relative change ${num(a.rel_change, 3)}`), h('div', `${a.changed} of ${a.tensors} tensors changed`))),
              onmouseleave: () => tooltip.hide(),
              onclick: () => nav.go({ ...params, cell: `${layer},${m}`, tensor: undefined }),
            }, a.rel_change > 0 ? num(a.rel_change, 2) : '0');
          })))))));
  }

  async function renderCell() {
    if (!params.cell) {
      cellBox.hidden = true;
      return;
    }
    const [layerText, ...rest] = params.cell.split(',');
    const layer = Number(layerText), module = rest.join(',');
    const tensors = current.result.tensors.filter((x) => x.layer === layer && moduleOf(x) === module);
    cellBox.hidden = false;
    if (!tensors.length) {
      clear(cellBox, errorBox(`no tensors at layer ${layerText}, module '${module}'`));
      return;
    }
    const spectrumBox = h('div');
    clear(cellBox,
      h('h2', `Layer ${layer < 0 ? '(outside blocks)' : layer}, ${module}`),
      h('div.scroll-x', table(tensors, [
        { key: 'name', className: 'name' },
        { key: 'status' },
        { key: 'shape_base', label: 'shape', format: (v, r) => shapeText(v || r.shape_derivative) },
        { key: 'rel_change', label: 'rel. change', className: 'num', format: (v) => num(v, 3) },
        { key: 'cosine', className: 'num', format: (v) => num(v, 5) },
        { key: 'max_abs_delta', label: 'max |Δ|', className: 'num', format: (v) => num(v, 3) },
        { key: 'mean_abs_delta', label: 'mean |Δ|', className: 'num', format: (v) => num(v, 3) },
        { key: 'rank', label: 'rank of Δ', className: 'num', format: (v, r) => (v === null || v === undefined ? '–' : `${v}${r.rank_is_lower_bound ? '+' : ''}`) },
        { key: 'verdict' },
      ], {
        rowAttrs: (r) => ({
          class: `clickable${r.name === params.tensor ? ' selected' : ''}`,
          'data-tensor': r.name,
          onclick: () => nav.go({ ...params, tensor: r.name }),
        }),
      })),
      spectrumBox);
    const chosen = tensors.find((x) => x.name === params.tensor);
    if (!chosen) {
      if (params.tensor) clear(spectrumBox, errorBox(`no tensor '${params.tensor}' in this cell`));
      else clear(spectrumBox, note('Click a tensor for the spectrum of its delta.'));
      return;
    }
    let sp = chosen.singular_values?.length ? chosen : null;
    if (!sp) {
      clear(spectrumBox, loading('Computing the spectrum of the delta…'));
      try {
        sp = await api.diffSpectrum(current.jobId, chosen.name);
      } catch (e) {
        clear(spectrumBox, errorBox(e));
        return;
      }
    }
    clear(spectrumBox, h('h3', `Spectrum of Δ ${chosen.name}`),
      sp.singular_values?.length ? [spectrumCanvas(sp.singular_values, { energy: sp.energy }),
        h('p.note', `${chosen.verdict || ''} · numerical rank ${sp.rank ?? '–'}, effective rank ${num(sp.effective_rank, 3)}; `
          + 'dashed: share of ‖Δ‖² captured')] : note('No spectrum: this delta is a vector or unchanged.'));
  }

  function grid(title, rows, rowKey, colKey, valueKey, rowLabels, colLabels, id) {
    const max = Math.max(1e-12, ...rows.map((r) => r[valueKey]).filter(Number.isFinite));
    const byCell = new Map(rows.map((r) => [`${r[rowKey]},${r[colKey]}`, r[valueKey]]));
    return [h('h3', title), h('div.scroll', h('table.heat', { id },
      h('thead', h('tr', h('th', rowKey), colLabels.map((c) => h('th.tokhead', c)))),
      h('tbody', rowLabels.map((r, i) => h('tr', h('th', String(r)), colLabels.map((_, j) => {
        const v = byCell.get(`${r},${j}`);
        if (v === undefined) return h('td.empty', '');
        return h('td', { style: { background: viridis(v / max), color: inkOn(v / max) }, title: num(v, 4) }, num(v, 2));
      }))))))];
  }

  function renderBehaviour() {
    const b = current.result.behaviour;
    behaviour.hidden = !b;
    if (!b) return;
    const tokens = (b.tokens || []).map((t) => tokenText(t.text ?? t));
    const lensLayers = [...new Set((b.lens_kl || []).map((r) => r.layer))].sort((a, c) => a - c);
    const attnLayers = [...new Set((b.attention_js || []).map((r) => r.layer))].sort((a, c) => a - c);
    const heads = Math.max(0, ...(b.attention_js || []).map((r) => r.head + 1));
    clear(behaviour,
      h('h2', `Behaviour on the prompt`),
      b.moved_tokens?.length ? [h('h3', 'Next-token probabilities that moved most (last position)'),
        table(b.moved_tokens, [
          { key: 'text', label: 'token', className: 'name', format: (v) => JSON.stringify(v) },
          { key: 'id', className: 'num' },
          { key: 'p_base', label: 'p base', className: 'num', format: (v) => num(v, 3) },
          { key: 'p_derivative', label: 'p derivative', className: 'num', format: (v) => num(v, 3) },
          { key: 'delta', label: 'Δp', className: 'num', format: (v) => num(v, 3) },
        ])] : null,
      b.lens_kl?.length ? grid('Logit lens KL(base ‖ derivative) per layer and position', b.lens_kl, 'layer', 'position', 'kl',
        lensLayers, tokens, 'behaviour-lens') : null,
      b.attention_js?.length ? grid('Attention Jensen-Shannon divergence per head', b.attention_js, 'layer', 'head', 'js',
        attnLayers, Array.from({ length: heads }, (_, i) => `h${i}`), 'behaviour-attention') : null);
  }

  return {
    async update(p) {
      const prev = params;
      params = { ...p };
      fillPickers(p);
      if (!p.base || !p.derivative) {
        current = null;
        heat.hidden = cellBox.hidden = behaviour.hidden = true;
        clear(status, note('Pick a base model and its derivative (a fine-tune), optionally a prompt, and press Compare.'));
        return;
      }
      if (!current || prev.base !== p.base || prev.derivative !== p.derivative || prev.prompt !== p.prompt) {
        current = null;
        try {
          current = await compute();
        } catch (e) {
          clear(status, errorBox(e));
          return;
        }
        if (params.base !== p.base || params.derivative !== p.derivative || params.prompt !== p.prompt) return;
        const bar = progressBar('');
        bar.finish(`compared ${current.result.tensors.length} tensors`);
        clear(status, bar);
        renderHeatmap();
        renderBehaviour();
        await renderCell();
        return;
      }
      if (prev.cell !== p.cell) renderHeatmap();
      if (prev.cell !== p.cell || prev.tensor !== p.tensor) await renderCell();
    },
  };
}
