// The prompt box and token strip shared by the Attention and Logit lens views.
import { h, clear, tokenText } from '../ui.js';

/**
 * A form with a prompt textarea and a Run button. onSubmit(prompt) runs with a non-blank prompt;
 * a blank one calls onEmpty(message) instead. extra: more controls placed before the button.
 */
export function promptForm({ id, extra = [], onSubmit, onEmpty, placeholder = 'The capital of France is' }) {
  const text = h('textarea.prompt', { name: 'prompt', rows: 2, placeholder, 'aria-label': 'prompt' });
  const el = h('form.controls', { id },
    h('label.wide', 'prompt', text), extra, h('button', { type: 'submit', class: 'run' }, 'Run'));
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const prompt = text.value;
    if (!prompt.trim()) onEmpty('Type a prompt first: the model needs at least one token to run on.');
    else onSubmit(prompt);
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) el.requestSubmit();
  });
  return { el, set: (prompt) => { if (document.activeElement !== text) text.value = prompt; } };
}

/** The prompt's tokens as chips: position, text (whitespace made visible), id on hover. */
export function tokenStrip(tokens) {
  // a long prompt's tokens fold away, so that the grids below stay in view
  return h('details.token-strip', { open: tokens.length <= 64 },
    h('summary.note', `${tokens.length} token${tokens.length === 1 ? '' : 's'}`),
    h('div.tokens', { id: 'tokens' }, tokens.map((t, i) =>
      h('span.token', { title: `position ${i}, id ${t.id}` }, h('span.pos', String(i)), tokenText(t.text)))));
}

export { clear };
