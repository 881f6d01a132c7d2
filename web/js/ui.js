// Small DOM helpers shared by the views: element building, number formats, colour scales, the
// error box, the progress bar and the hover tooltip.

/** h('td.num', {title: 'x'}, 'text', child) -> an element. Strings become text nodes (never HTML). */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A readable error box; the message is the API's one line. */
export function errorBox(error, hint) {
  const message = error instanceof Error ? error.message : String(error);
  return h('div.error', { role: 'alert' }, h('strong', 'Error: '), message, hint ? h('div.hint', hint) : null);
}

export function note(text) {
  return h('p.note', text);
}

export function loading(text = 'Loading…') {
  return h('p.loading', h('span.spinner'), text);
}

/** A progress bar for a background job; update(status) with the job's progress fields. */
export function progressBar(label) {
  const bar = h('progress', { max: 1 });
  const text = h('span.progress-text', label);
  const el = h('div.progress', bar, text);
  el.update = (status) => {
    const total = status.bytes_total ?? status.total ?? 0;
    const done = status.bytes_done ?? status.done ?? 0;
    if (total > 0) {
      bar.value = done / total;
      const unit = status.bytes_total !== undefined ? bytes : (n) => n.toLocaleString('en');
      text.textContent = `${label} ${Math.round((100 * done) / total)}% (${unit(done)} of ${unit(total)})`
        + (status.tensor ? ` · ${status.tensor}` : '');
    } else {
      bar.removeAttribute('value');
      text.textContent = `${label}…`;
    }
  };
  el.finish = (message) => {
    bar.value = 1;
    text.textContent = message;
    el.classList.add('finished');
  };
  return el;
}

export function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

export function num(x, digits = 4) {
  if (typeof digits !== 'number') digits = 4; // called as a table formatter with (value, row)
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (typeof x !== 'number') return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

export const int = (x) => (x === null || x === undefined ? '–' : Number(x).toLocaleString('en'));

export const shapeText = (shape) => (shape ? `[${shape.join(', ')}]` : '–');

/** A token's text made visible: spaces as ·, newlines as ⏎, tabs as ⇥; empty as ∅. */
export function tokenText(text) {
  if (text === null || text === undefined || text === '') return '∅';
  return text.replace(/ /g, '·').replace(/\n/g, '⏎').replace(/\t/g, '⇥').replace(/\r/g, '␍');
}

// Colour scales: t in [0, 1] (sequential) or [-1, 1] (diverging) -> CSS colour.
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const BLUES = [[247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]];

function ramp(stops, t) {
  t = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export const viridis = (t) => ramp(VIRIDIS, t);
export const blues = (t) => ramp(BLUES, t);
export function diverging(t) {
  t = Math.min(1, Math.max(-1, t));
  const to = t < 0 ? [33, 102, 172] : [178, 24, 43];
  const a = Math.abs(t);
  const c = [255, 255, 255].map((v, k) => Math.round(v + (to[k] - v) * a));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Black or white text, whichever reads on the background t of the viridis/blues scale. */
export const inkOn = (t, scale = 'viridis') => (scale === 'viridis' ? (t > 0.6 ? '#111' : '#fff') : t > 0.55 ? '#fff' : '#111');

/** One shared tooltip that follows the pointer; show(event, content) / hide(). */
let tip;
export const tooltip = {
  show(event, content) {
    if (!tip) {
      tip = h('div.tooltip', { role: 'tooltip' });
      document.body.append(tip);
    }
    clear(tip, content);
    tip.hidden = false;
    const pad = 14;
    const { innerWidth, innerHeight } = window;
    const r = tip.getBoundingClientRect();
    let x = event.clientX + pad;
    let y = event.clientY + pad;
    if (x + r.width > innerWidth) x = Math.max(0, event.clientX - pad - r.width);
    if (y + r.height > innerHeight) y = Math.max(0, event.clientY - pad - r.height);
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  },
  hide() {
    if (tip) tip.hidden = true;
  },
};

/** A line chart of singular values on a log scale, drawn on a canvas. */
export function spectrumCanvas(values, { width = 420, height = 200, energy } = {}) {
  const canvas = h('canvas.spectrum', { width, height, role: 'img', 'aria-label': 'singular-value spectrum' });
  const ctx = canvas.getContext('2d');
  const left = 48, bottom = 22, top = 8, right = 8;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  const positive = values.filter((v) => v > 0);
  if (!positive.length) {
    ctx.fillStyle = '#555';
    ctx.fillText('all singular values are 0', left, height / 2);
    return canvas;
  }
  const hi = Math.log10(Math.max(...positive));
  const lo = Math.min(hi - 1, Math.log10(Math.min(...positive)));
  const x = (i) => left + ((width - left - right) * i) / Math.max(1, values.length - 1);
  const y = (v) => top + ((height - top - bottom) * (hi - Math.log10(Math.max(v, 10 ** lo)))) / (hi - lo);
  ctx.strokeStyle = '#ccc';
  ctx.fillStyle = '#555';
  ctx.font = '11px sans-serif';
  for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) {
    ctx.beginPath();
    ctx.moveTo(left, y(10 ** d));
    ctx.lineTo(width - right, y(10 ** d));
    ctx.stroke();
    ctx.fillText(`1e${d}`, 4, y(10 ** d) + 4);
  }
  ctx.fillText('1', left - 2, height - 6);
  ctx.fillText('singular value index', (left + width) / 2 - 50, height - 6);
  ctx.fillText(String(values.length), x(values.length - 1) - 6 * String(values.length).length, height - 6);
  ctx.strokeStyle = '#3b6ea5';
  ctx.lineWidth = 2;
  ctx.beginPath();
  values.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i), y(v)) : ctx.lineTo(x(i), y(v))));
  ctx.stroke();
  ctx.fillStyle = '#3b6ea5';
  values.forEach((v, i) => ctx.fillRect(x(i) - 1.5, y(v) - 1.5, 3, 3));
  if (energy && energy.length) {
    ctx.strokeStyle = '#d95f02';
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    energy.forEach((e, i) => {
      const yy = top + (height - top - bottom) * (1 - e);
      i === 0 ? ctx.moveTo(x(i), yy) : ctx.lineTo(x(i), yy);
    });
    ctx.stroke();
    ctx.setLineDash([]);
  }
  return canvas;
}

/** A colour bar: scale(t) for t from 0 to 1, with its two ends labelled. */
export function legend(scale, low, high, caption) {
  return h('div.legend', caption ? h('span', caption) : null, h('span', low),
    h('div.swatches', Array.from({ length: 11 }, (_, i) => h('span', { style: { background: scale(i / 10) } }))),
    h('span', high));
}

/** A table from rows of objects; columns [{key, label, format, className}]. */
export function table(rows, columns, { rowAttrs } = {}) {
  return h('table.grid-table',
    h('thead', h('tr', columns.map((c) => h('th', c.label ?? c.key)))),
    h('tbody', rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : null,
      columns.map((c) => h(c.className ? `td.${c.className}` : 'td', c.format ? c.format(r[c.key], r) : r[c.key] ?? '–'))))));
}
