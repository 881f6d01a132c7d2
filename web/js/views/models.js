// Models: the checkpoints under the server's model roots, and one model's architecture card.
import * as api from '../api.js';
import { h, clear, errorBox, loading, bytes, int, table } from '../ui.js';
import { href } from '../router.js';

/** Architecture facts from config.json (Hugging Face) or GGUF metadata, whichever the model has. */
export function architecture(summary) {
  const cfg = summary.config || {};
  const md = summary.metadata || {};
  const arch = md['general.architecture'];
  const g = (key) => (arch ? md[`${arch}.${key}`] : undefined);
  const first = (...values) => values.find((v) => v !== undefined && v !== null);
  const tokens = md['tokenizer.ggml.tokens'];
  const dModel = first(cfg.hidden_size, cfg.n_embd, cfg.d_model, g('embedding_length'));
  const heads = first(cfg.num_attention_heads, cfg.n_head, g('attention.head_count'));
  return {
    family: first(cfg.model_type, arch, (cfg.architectures || [])[0]),
    layers: first(cfg.num_hidden_layers, cfg.n_layer, g('block_count')),
    heads,
    kvHeads: first(cfg.num_key_value_heads, g('attention.head_count_kv'), heads),
    dModel,
    dHead: first(cfg.head_dim, g('attention.key_length'), dModel && heads ? dModel / heads : undefined),
    dFf: first(cfg.intermediate_size, cfg.n_inner, g('feed_forward_length'), cfg.model_type === 'gpt2' && dModel ? 4 * dModel : undefined),
    vocab: first(cfg.vocab_size, g('vocab_size'), tokens && (tokens.length ?? tokens)),
    context: first(cfg.max_position_embeddings, cfg.n_positions, g('context_length')),
    tied: first(cfg.tie_word_embeddings),
    name: first(md['general.name'], cfg._name_or_path),
  };
}

function metadataValue(v) {
  if (v && typeof v === 'object' && v.type === 'array') {
    return `array of ${int(v.length)}: ${JSON.stringify(v.head)}…`;
  }
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
}

export default function modelsView(el, nav) {
  const list = h('div.card');
  const detail = h('div');
  el.append(h('h1', 'Models'), detail, list);
  let shown;

  async function renderList(selected) {
    clear(list, loading('Looking for models…'));
    try {
      const models = await api.models();
      if (!models.length) {
        clear(list, h('p', 'No models were found under the server\'s model roots. Start it with ',
          h('code', 'owb serve --models DIR'), ' or run ', h('code', './owb demo'), '.'));
        return;
      }
      clear(list, h('p.note', `${models.length} model${models.length === 1 ? '' : 's'} under the model roots. Click one to open it.`),
        table(models, [
          { key: 'name', label: 'name', className: 'name' },
          { key: 'format', label: 'format' },
          { key: 'size_bytes', label: 'size', className: 'num', format: bytes },
          { key: 'path', label: 'path', className: 'name' },
          { key: 'id', label: 'id', className: 'name' },
        ], {
          rowAttrs: (m) => ({
            class: `clickable${m.id === selected ? ' selected' : ''}`,
            'data-model': m.id,
            onclick: () => nav.go({ model: m.id }),
          }),
        }));
    } catch (e) {
      clear(list, errorBox(e));
    }
  }

  async function renderDetail(id) {
    if (!id) {
      clear(detail);
      return;
    }
    clear(detail, loading('Opening the checkpoint…'));
    let s;
    try {
      s = await api.model(id);
    } catch (e) {
      clear(detail, errorBox(e, h('span', 'Pick a model from the list above.')));
      return;
    }
    const a = architecture(s);
    if (a.tied === undefined && s.format === 'gguf') {
      // llama.cpp writes no output.weight when the unembedding reuses the token embedding
      const names = (await api.tensors(id).catch(() => [])).map((t) => t.name);
      if (names.includes('token_embd.weight')) a.tied = !names.includes('output.weight');
    }
    const fact = (label, value) => [h('dt', label), h('dd', value === undefined || value === null ? '–' : value)];
    const dtypes = Object.entries(s.dtype_counts || {}).map(([d, n]) => h('span.badge', `${d} × ${n}`));
    clear(detail,
      h('div.card.arch-card', { id: 'arch-card' },
        h('h2', s.name),
        h('div.row',
          h('dl.facts.grow',
            fact('family', a.family),
            fact('layers', a.layers),
            fact('attention heads', a.heads === undefined ? undefined : `${a.heads} (${a.kvHeads} key/value)`),
            fact('d_model', a.dModel),
            fact('head dimension', a.dHead),
            fact('d_ff (MLP)', a.dFf),
            fact('vocabulary', a.vocab === undefined ? undefined : int(a.vocab)),
            fact('context', a.context === undefined ? undefined : int(a.context)),
            fact('tied embeddings', a.tied === undefined ? undefined : String(a.tied))),
          h('dl.facts.grow',
            fact('format', s.format),
            fact('parameters', int(s.parameter_count)),
            fact('tensors', int(s.tensor_count)),
            fact('dtypes', dtypes),
            fact('files', (s.files || []).map((f) => h('div.mono', `${f.path} (${bytes(f.size_bytes)})`))),
            fact('id', h('code', s.id)))),
        h('p',
          h('a', { href: href('tensors', { model: id }) }, 'Tensors and audit →'), ' · ',
          h('a', { href: href('attention', { model: id }) }, 'Attention →'), ' · ',
          h('a', { href: href('lens', { model: id }) }, 'Logit lens →'), ' · ',
          h('a', { href: href('probes', { model: id }) }, 'Probes →'))),
      s.config ? h('details.card', h('summary', `config.json (${Object.keys(s.config).length} keys)`),
        table(Object.entries(s.config).map(([k, v]) => ({ k, v })), [
          { key: 'k', label: 'key', className: 'name' },
          { key: 'v', label: 'value', format: metadataValue },
        ])) : null,
      Object.keys(s.metadata || {}).length ? h('details.card.metadata', { open: !s.config },
        h('summary', `metadata (${Object.keys(s.metadata).length} keys)`),
        table(Object.entries(s.metadata).map(([k, v]) => ({ k, v })), [
          { key: 'k', label: 'key', className: 'name' },
          { key: 'v', label: 'value', format: metadataValue },
        ])) : null);
  }

  return {
    async update(params) {
      const first = shown === undefined;
      if (first || params.model !== shown) {
        shown = params.model;
        await Promise.all([renderList(params.model), renderDetail(params.model)]);
        if (!first && params.model) window.scrollTo({ top: 0 });
      }
    },
  };
}
