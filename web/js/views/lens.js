// Logit lens: a layers × positions grid, each cell the top token the residual stream at that
// layer and position would predict through the model's own final norm and unembedding; coloured
// by that token's probability, a target token's probability, the entropy, or the KL divergence
// to the model's output. Top-k on hover; a clicked cell's detail stays in the URL.
import * as api from '../api.js';
import { h, clear, errorBox, loading, note, num, tokenText, viridis, inkOn, tooltip, legend } from '../ui.js';
import { promptForm, tokenStrip } from './prompt.js';

const MODES = {
  prob: 'top token probability',
  target: 'target token probability',
  entropy: 'entropy (nats)',
  kl: 'KL(final ‖ layer) (nats)',
};
const TOP = 5;

function value(row, mode) {
  switch (mode) {
    case 'target': return row.target_prob;
    case 'entropy': return row.entropy;
    case 'kl': return row.kl_to_final;
    default: return row.top[0]?.prob;
  }
}

function cellInfo(row, tokens, target) {
  return h('div',
    h('strong', `layer ${row.layer}, position ${row.position} (${tokenText(tokens[row.position]?.text)})`),
    h('table.topk', row.top.map((t, i) => h('tr', h('td', `${i + 1}.`), h('td', JSON.stringify(t.text)), h('td', num(t.prob, 3))))),
    h('div', `entropy ${num(row.entropy, 3)} nats · KL to final ${num(row.kl_to_final, 3)} nats`),
    target && row.target_rank !== undefined
      ? h('div', `target ${JSON.stringify(target.text ?? target)}: rank ${row.target_rank}, p ${num(row.target_prob, 3)}`) : null);
}

export default function lensView(el, nav) {
  let params = {};
  let state = null; // {run, lens, byCell}
  const target = h('input', { type: 'text', name: 'target', placeholder: 'e.g. " Paris" or #7042', size: 16, 'aria-label': 'target token' });
  const mode = h('select', { name: 'mode', 'aria-label': 'colour mode' },
    Object.entries(MODES).map(([k, label]) => h('option', { value: k }, label)));
  mode.addEventListener('change', () => nav.go({ ...params, mode: mode.value === 'prob' ? undefined : mode.value }));
  const form = promptForm({
    id: 'lens-form',
    extra: [h('label', 'target token (optional)', target), h('label', 'colour by', mode)],
    onSubmit: (prompt) => nav.go({ ...params, prompt, target: target.value || undefined, cell: undefined }),
    onEmpty: (message) => clear(status, errorBox(message)),
  });
  const status = h('div.status');
  const tokensBox = h('div');
  const gridBox = h('div.card', { id: 'lens-card', hidden: true });
  const detail = h('div.card', { id: 'lens-detail', hidden: true });
  el.append(h('h1', 'Logit lens'), h('div.card', form.el, status, tokensBox), gridBox, detail);

  function renderGrid() {
    const m = MODES[params.mode] ? params.mode : 'prob';
    const { lens, run } = state;
    const tokens = lens.tokens || run.tokens;
    const layers = Math.max(...lens.rows.map((r) => r.layer)) + 1;
    const values = lens.rows.map((r) => value(r, m)).filter(Number.isFinite);
    const scale = m === 'prob' || m === 'target' ? 1 : Math.max(1e-9, ...values);
    if (m === 'target' && !lens.target) {
      clear(gridBox, errorBox('Colouring by the target needs a target token: type one (e.g. " Paris") and press Run.'));
      gridBox.hidden = false;
      return;
    }
    const [selLayer, selPos] = (params.cell || '').split(',').map(Number);
    const body = [];
    for (let layer = layers - 1; layer >= 0; layer--) { // the output on top, the embedding at the bottom
      const cells = [];
      for (let pos = 0; pos < tokens.length; pos++) {
        const row = state.byCell.get(`${layer},${pos}`);
        if (!row) {
          cells.push(h('td.empty', '–'));
          continue;
        }
        const t = value(row, m) / scale;
        cells.push(h('td', {
          class: layer === selLayer && pos === selPos ? 'selected' : null,
          style: { background: viridis(t), color: inkOn(t) },
          dataset: { layer, position: pos },
          onmousemove: (e) => tooltip.show(e, cellInfo(row, tokens, lens.target)),
          onmouseleave: () => tooltip.hide(),
          onclick: () => nav.go({ ...params, cell: `${layer},${pos}` }),
        }, tokenText(row.top[0]?.text)));
      }
      body.push(h('tr', h('th', layer === layers - 1 ? `${layer} (out)` : String(layer)), cells));
    }
    gridBox.hidden = false;
    clear(gridBox,
      h('h2', `Top token at each layer and position, coloured by ${MODES[m]}`),
      h('p.note', 'Row L reads the residual stream entering block L through the final norm and unembedding; '
        + 'the top row is the model\'s output, the bottom row the embeddings. Hover a cell for its top tokens; click to keep it.'
        + (lens.target ? ` Target: ${JSON.stringify(lens.target.text ?? lens.target)}.` : '')),
      legend(viridis, '0', scale === 1 ? '1' : num(scale, 3), MODES[m]),
      h('div.scroll', h('table.heat.lens-grid', { id: 'lens-grid' },
        h('thead', h('tr', h('th', 'layer'), tokens.map((t, i) => h('th.tokhead', { title: `position ${i}` }, tokenText(t.text))))),
        h('tbody', body))));
  }

  function renderDetail() {
    const row = params.cell && state?.byCell.get(params.cell);
    detail.hidden = !row;
    if (row) clear(detail, h('h2', 'Selected cell'), cellInfo(row, state.lens.tokens || state.run.tokens, state.lens.target));
  }

  async function load() {
    gridBox.hidden = true;
    detail.hidden = true;
    clear(tokensBox);
    state = null;
    if (!params.prompt) {
      clear(status, note('Type a prompt and press Run to read every layer through the unembedding.'));
      return false;
    }
    clear(status, loading('Running the model and reading every layer…'));
    try {
      const [run, lens] = await api.withRun(params.model, params.prompt,
        async (r) => [r, await api.lens(r.run_id, TOP, params.target)]);
      state = { run, lens, byCell: new Map(lens.rows.map((r) => [`${r.layer},${r.position}`, r])) };
    } catch (e) {
      clear(status, errorBox(e));
      return false;
    }
    clear(status);
    clear(tokensBox, tokenStrip(state.run.tokens));
    return true;
  }

  return {
    async update(p) {
      const prev = params;
      params = { ...p };
      form.set(p.prompt || '');
      if (document.activeElement !== target) target.value = p.target || '';
      mode.value = MODES[p.mode] ? p.mode : 'prob';
      if (!state || prev.model !== p.model || prev.prompt !== p.prompt || prev.target !== p.target) {
        if (!(await load())) return;
        renderGrid();
        renderDetail();
        return;
      }
      if (prev.mode !== p.mode || prev.cell !== p.cell) renderGrid();
      if (prev.cell !== p.cell) renderDetail();
    },
  };
}
