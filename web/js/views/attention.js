// Attention: a prompt, its tokens, a layer × head grid of pattern thumbnails coloured (and
// optionally ordered) by a head score, and one head's view with token-to-token lines and hover
// highlighting, in the manner of BertViz's head view. Long prompts stay usable: the grid uses
// block-averaged thumbnails and the head view draws each query's top-k keys only.
import * as api from '../api.js';
import { h, clear, errorBox, loading, note, num, tokenText, blues, tooltip } from '../ui.js';
import { promptForm, tokenStrip } from './prompt.js';

const SCORES = {
  induction: 'induction',
  previous_token: 'previous token',
  duplicate_token: 'duplicate token',
  sink: 'sink (attention to position 0)',
  entropy: 'entropy (nats)',
};
const THUMB = 24;          // thumbnail cells asked of the server (at most 24 × 24)
const THUMB_PIXELS = 48;   // drawn size
const ROW = 18;            // head view: pixels per token row

/** Score t in [0, 1] -> frame colour from pale grey to deep orange. */
function scoreColour(t) {
  t = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const from = [226, 229, 234], to = [217, 72, 1];
  const c = from.map((v, k) => Math.round(v + (to[k] - v) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function drawPattern(canvas, pattern) {
  const n = pattern.length, m = pattern[0]?.length || 0;
  canvas.width = Math.max(1, m);
  canvas.height = Math.max(1, n);
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const c = blues(Math.sqrt(Math.max(0, pattern[i][j]))).match(/\d+/g).map(Number);
      const o = 4 * (i * m + j);
      img.data[o] = c[0]; img.data[o + 1] = c[1]; img.data[o + 2] = c[2]; img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

export default function attentionView(el, nav) {
  let params = {};
  let state = null; // {key, run, heads: Map 'L/H' -> scores, thumbs}
  const form = promptForm({
    id: 'attention-form',
    extra: [],
    onSubmit: (prompt) => nav.go({ ...params, prompt, layer: undefined, head: undefined }),
    onEmpty: (message) => clear(status, errorBox(message)),
  });
  const status = h('div.status');
  const tokensBox = h('div');
  const controls = h('div');
  const grid = h('div.card', { id: 'head-grid-card', hidden: true });
  const headBox = h('div.card', { id: 'head-view-card', hidden: true });
  el.append(h('h1', 'Attention'), h('div.card', form.el, status, tokensBox), controls,
    h('div.attention-layout', grid, headBox));

  function scoreRange(score) {
    const values = [...state.heads.values()].map((s) => s[score]).filter(Number.isFinite);
    return [Math.min(...values), Math.max(...values)];
  }

  function renderControls() {
    const score = SCORES[params.score] ? params.score : 'induction';
    clear(controls, h('div.card', h('div.row',
      h('label', 'colour by ', h('select', {
        id: 'score-select',
        onchange: (e) => nav.go({ ...params, score: e.target.value }),
      }, Object.entries(SCORES).map(([k, label]) => h('option', { value: k, selected: k === score }, label)))),
      h('label', h('input', {
        type: 'checkbox', id: 'order-by-score', checked: params.order === 'score',
        onchange: (e) => nav.go({ ...params, order: e.target.checked ? 'score' : undefined }),
      }), ' order heads in each layer by the score'),
      h('div.legend', 'low', h('div.swatches', [0, 0.25, 0.5, 0.75, 1].map((t) => h('span', { style: { background: scoreColour(t) } }))), 'high',
        h('span', ' · pattern: rows are queries, columns keys; darker = more attention')))));
  }

  function renderGrid() {
    const score = SCORES[params.score] ? params.score : 'induction';
    const [lo, hi] = scoreRange(score);
    const { n_layers: layers, n_heads: heads, thumbnails } = state.thumbs;
    const ordered = params.order === 'score';
    const cells = [h('div.layer-label', ordered ? 'rank →' : 'head →'),
      ...Array.from({ length: heads }, (_, i) => h('div.head-label', String(i)))];
    for (let layer = 0; layer < layers; layer++) {
      cells.push(h('div.layer-label', `L${layer}`));
      let order = Array.from({ length: heads }, (_, i) => i);
      if (ordered) order.sort((a, b) => (state.heads.get(`${layer}/${b}`)?.[score] ?? -Infinity) - (state.heads.get(`${layer}/${a}`)?.[score] ?? -Infinity));
      for (const head of order) {
        const s = state.heads.get(`${layer}/${head}`) || {};
        const t = hi > lo ? (s[score] - lo) / (hi - lo) : 0;
        const canvas = h('canvas.thumb', {
          width: THUMB, height: THUMB,
          style: { width: `${THUMB_PIXELS}px`, height: `${THUMB_PIXELS}px`, borderColor: scoreColour(t) },
          class: `thumb${String(layer) === params.layer && String(head) === params.head ? ' selected' : ''}`,
          dataset: { layer, head },
          'aria-label': `layer ${layer} head ${head}`,
          tabindex: 0,
          onclick: () => nav.go({ ...params, layer, head }),
          onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') nav.go({ ...params, layer, head }); },
          onmousemove: (e) => tooltip.show(e, h('div', h('strong', `layer ${layer} head ${head}`),
            h('table', Object.entries(SCORES).map(([k, label]) => h('tr', h('td', label), h('td', num(s[k], 3))))))),
          onmouseleave: () => tooltip.hide(),
        });
        drawPattern(canvas, thumbnails[layer][head]);
        cells.push(canvas);
      }
    }
    grid.hidden = false;
    clear(grid, h('h2', `Heads (${layers} layers × ${heads} heads), coloured by ${SCORES[score]}`),
      h('div.head-grid', { style: { gridTemplateColumns: `40px repeat(${heads}, ${THUMB_PIXELS + 8}px)` } }, cells));
  }

  async function renderHead() {
    const layer = Number(params.layer), head = Number(params.head);
    if (params.layer === undefined || params.head === undefined) {
      headBox.hidden = false;
      clear(headBox, note('Click a thumbnail to open that head.'));
      return;
    }
    headBox.hidden = false;
    const tokens = state.run.tokens;
    const k = Math.min(Number(params.k) || 8, tokens.length);
    clear(headBox, loading(`Reading layer ${layer} head ${head}…`));
    let data;
    try {
      data = await api.withRun(params.model, params.prompt, (run) => api.headTopKeys(run.run_id, layer, head, k));
    } catch (e) {
      clear(headBox, errorBox(e));
      return;
    }
    const s = state.heads.get(`${layer}/${head}`) || {};
    const n = data.top_keys.length;
    const width = 260;
    const canvas = h('canvas', { width, height: n * ROW, style: { height: `${n * ROW}px`, width: `${width}px` } });
    const left = tokens.slice(0, n).map((t, i) => h('div.tok', { dataset: { i } }, tokenText(t.text)));
    const right = tokens.slice(0, n).map((t, j) => h('div.tok', { dataset: { j } }, tokenText(t.text)));
    const edges = data.top_keys.flatMap((keys, q) => keys.map(({ key, weight }) => ({ q, key, weight })));

    function draw(focus) {
      const ctx = canvas.getContext('2d');
      ctx.clearRect(0, 0, width, n * ROW);
      for (const t of [...left, ...right]) t.style.background = '';
      for (const e of edges) {
        const on = !focus || (focus.side === 'q' ? e.q === focus.i : e.key === focus.i);
        if (!on) continue;
        ctx.strokeStyle = `rgba(59,110,165,${Math.min(1, (focus ? 1 : 0.8) * e.weight)})`;
        ctx.lineWidth = focus ? 2 : 1.5;
        ctx.beginPath();
        ctx.moveTo(0, e.q * ROW + ROW / 2);
        ctx.lineTo(width, e.key * ROW + ROW / 2);
        ctx.stroke();
        if (focus) {
          const other = focus.side === 'q' ? right[e.key] : left[e.q];
          other.style.background = `rgba(59,110,165,${Math.min(0.85, e.weight)})`;
        }
      }
      if (focus) (focus.side === 'q' ? left : right)[focus.i].style.background = 'rgba(232,89,12,.35)';
    }
    left.forEach((t, i) => {
      t.addEventListener('mouseenter', () => draw({ side: 'q', i }));
      t.addEventListener('mouseleave', () => draw(null));
    });
    right.forEach((t, i) => {
      t.addEventListener('mouseenter', () => draw({ side: 'k', i }));
      t.addEventListener('mouseleave', () => draw(null));
    });
    draw(null);
    clear(headBox,
      h('h2', { id: 'head-title' }, `Layer ${layer}, head ${head}`),
      h('p.note', Object.entries(SCORES).map(([key, label]) => `${label} ${num(s[key], 3)}`).join(' · ')),
      h('div.row',
        h('label', 'keys per query ', h('select', {
          id: 'top-k', onchange: (e) => nav.go({ ...params, k: e.target.value }),
        }, [1, 2, 3, 5, 8, 16, 32].map((v) => h('option', { value: v, selected: v === (Number(params.k) || 8) }, String(v))))),
        h('span.note', `Left: each query token; right: the keys it attends to (its top ${k} of ${data.positions}). `
          + 'Hover a token to see only its lines.')),
      h('div.head-view', { id: 'head-view' }, h('div.col.left', left), canvas, h('div.col.right', right)));
  }

  async function load() {
    grid.hidden = true;
    headBox.hidden = true;
    clear(tokensBox);
    clear(controls);
    state = null;
    if (!params.prompt) {
      clear(status, note('Type a prompt and press Run: the model runs once and every head\'s pattern is drawn.'));
      return false;
    }
    clear(status, loading('Running the model on the prompt…'));
    try {
      const key = `${params.model}\n${params.prompt}`;
      const [run, scores, thumbs] = await api.withRun(params.model, params.prompt, async (r) =>
        [r, ...(await Promise.all([api.attention(r.run_id), api.thumbnails(r.run_id, THUMB)]))]);
      state = { key, run, thumbs, heads: new Map(scores.heads.map((s) => [`${s.layer}/${s.head}`, s])) };
    } catch (e) {
      clear(status, errorBox(e));
      return false;
    }
    clear(status);
    clear(tokensBox, tokenStrip(state.run.tokens));
    renderControls();
    renderGrid();
    return true;
  }

  return {
    async update(p) {
      const prev = params;
      params = { ...p };
      form.set(p.prompt || '');
      if (!state || prev.model !== p.model || prev.prompt !== p.prompt) {
        if (await load()) await renderHead();
        return;
      }
      if (prev.score !== p.score || prev.order !== p.order || prev.layer !== p.layer || prev.head !== p.head) {
        renderControls();
        renderGrid();
      }
      if (prev.layer !== p.layer || prev.head !== p.head || prev.k !== p.k) await renderHead();
    },
  };
}
