// The workbench shell: the header's navigation and model picker, and a hash router. The URL is
// #/VIEW?model=ID&... so that every view, with its model, prompt and selection, can be shared
// and reloaded.
import * as api from './api.js';
import { h, clear, errorBox } from './ui.js';
import { parseHash, href } from './router.js';
import modelsView from './views/models.js';
import tensorsView from './views/tensors.js';
import attentionView from './views/attention.js';
import lensView from './views/lens.js';
import diffView from './views/diff.js';
import probesView from './views/probes.js';
import patchingView from './views/patching.js';

const VIEWS = {
  models: { title: 'Models', make: modelsView },
  tensors: { title: 'Tensors', make: tensorsView },
  attention: { title: 'Attention', make: attentionView },
  lens: { title: 'Logit lens', make: lensView },
  diff: { title: 'Diff', make: diffView, noModel: true },
  probes: { title: 'Probes', make: probesView },
  // keep: the view's own parameters, kept when the model picker changes the model
  patching: { title: 'Patching', make: patchingView, keep: ['clean', 'corrupted', 'answer', 'wrong'] },
};

/** Parameters each view keeps when the user switches to another view. */
const CARRIED = ['model', 'prompt'];

const main = document.getElementById('view');
const nav = document.getElementById('nav');
const picker = document.getElementById('model-picker');
let current = null; // {name, instance}
let modelList = null;

/** Goes to a view with these parameters; replace: true edits the history entry in place. */
export function go(view, params, { replace = false, render = true } = {}) {
  const url = href(view, params);
  if (url === location.hash) {
    if (render) route();
    return;
  }
  if (replace) {
    history.replaceState(null, '', url);
    if (render) route();
  } else {
    location.hash = url; // hashchange renders
  }
}

async function loadModels() {
  try {
    modelList = await api.models();
  } catch (e) {
    modelList = [];
    clear(main, errorBox(e));
  }
  return modelList;
}

function renderNav(view, params) {
  const carried = Object.fromEntries(CARRIED.filter((k) => params[k]).map((k) => [k, params[k]]));
  clear(nav, Object.entries(VIEWS).map(([name, v]) =>
    h('a', { href: href(name, carried), class: name === view ? 'active' : null, 'data-view': name }, v.title)));
  picker.parentElement.hidden = !!VIEWS[view]?.noModel;
  const options = modelList.map((m) => h('option', { value: m.id, selected: m.id === params.model }, m.path));
  if (params.model && !modelList.some((m) => m.id === params.model)) {
    options.unshift(h('option', { value: params.model, selected: true }, `unknown model ${params.model}`));
  }
  clear(picker, modelList.length ? options : h('option', { value: '' }, 'no models found'));
}

async function route() {
  let { view, params } = parseHash();
  if (!VIEWS[view]) {
    clear(main, errorBox(`there is no view called '${view}'`, h('a', { href: '#/models' }, 'Go to the models')));
    current = null;
    return;
  }
  if (!modelList) await loadModels();
  if (!params.model && !VIEWS[view].noModel && modelList.length && view !== 'models') {
    params = { ...params, model: modelList[0].id };
    history.replaceState(null, '', href(view, params));
  }
  renderNav(view, params);
  document.title = `${VIEWS[view].title} · owb`;
  if (!current || current.name !== view) {
    clear(main);
    const el = h('section', { class: `view view-${view}`, id: `view-${view}` });
    main.append(el);
    current = { name: view, instance: VIEWS[view].make(el, { go: (p, o) => go(view, p, o), goTo: go, models: () => modelList }) };
  }
  try {
    await current.instance.update(params);
  } catch (e) {
    console.error(e);
    main.prepend(errorBox(e));
  }
}

picker.addEventListener('change', () => {
  const { view, params } = parseHash();
  const keep = Object.fromEntries([...CARRIED, ...(VIEWS[view]?.keep ?? [])].filter((k) => params[k]).map((k) => [k, params[k]]));
  go(view, { ...keep, model: picker.value });
});
window.addEventListener('hashchange', route);
route();
