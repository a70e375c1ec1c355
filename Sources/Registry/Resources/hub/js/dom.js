// DOM building without HTML parsing: every piece of text from the registry goes in through
// textContent / attributes, so agent names, skills and payloads can never become markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an element. `props`: class, text, attrs {name: value}, dataset {}, on {event: handler},
 * hidden, and any other key is set as a property (e.g. type, value, disabled).
 * Children: nodes, strings (as text), or null/false (skipped); arrays are flattened.
 */
export function h(tag, props = {}, ...children) {
  return build(document.createElement(tag), props, children);
}

/** Same as h() for SVG elements; attributes are always set with setAttribute. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(name, String(value));
  }
  appendChildren(el, children);
  return el;
}

function build(el, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null) continue;
    switch (key) {
      case 'class': el.className = value; break;
      case 'text': el.textContent = String(value); break;
      case 'attrs': for (const [n, v] of Object.entries(value)) if (v !== undefined && v !== null && v !== false) el.setAttribute(n, v === true ? '' : String(v)); break;
      case 'dataset': Object.assign(el.dataset, value); break;
      case 'on': for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler); break;
      default: el[key] = value;
    }
  }
  appendChildren(el, children);
  return el;
}

function appendChildren(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Keeps `container`'s children in step with `items`, reusing the element of each key so that focus
 * and scroll survive live updates. `render(item)` builds an element; it is rebuilt only when
 * `signature(item)` changes.
 */
export function syncList(container, items, { key, render, signature = (item) => JSON.stringify(item) }) {
  const existing = new Map();
  for (const el of container.children) existing.set(el.dataset.key, el);
  let previous = null;
  for (const item of items) {
    const id = String(key(item));
    const sig = signature(item);
    let el = existing.get(id);
    existing.delete(id);
    if (!el || el.dataset.sig !== sig) {
      const fresh = render(item);
      fresh.dataset.key = id;
      fresh.dataset.sig = sig;
      if (el) {
        const hadFocus = el.contains(document.activeElement);
        el.replaceWith(fresh);
        if (hadFocus) fresh.focus?.();
      }
      el = fresh;
    }
    const expected = previous ? previous.nextElementSibling : container.firstElementChild;
    if (el !== expected) container.insertBefore(el, expected);
    previous = el;
  }
  for (const el of existing.values()) el.remove();
}

/** Replaces an element's children, with h()'s rules: null/false are skipped, strings become text. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  appendChildren(el, children);
  return el;
}

/** A screen-reader-only label. */
export function srOnly(text) {
  return h('span', { class: 'sr-only', text });
}
