// Small UI pieces shared by the views.
import { h } from './dom.js';

const HEALTH_LABELS = { active: 'Active', stale: 'Stale', offline: 'Offline' };
export const STATE_LABELS = {
  pending: 'Pending', assigned: 'Assigned', input_required: 'Needs input', completed: 'Completed', failed: 'Failed', rejected: 'Rejected',
  canceled: 'Canceled',
};
const PAIRING_LABELS = { pending_approval: 'Waiting', approved: 'Approved', rejected: 'Rejected', revoked: 'Revoked' };

export function healthPill(health) {
  return h('span', { class: `pill pill--${cssToken(health)}`, text: HEALTH_LABELS[health] ?? String(health ?? 'unknown') });
}

export function statePill(state) {
  return h('span', { class: `pill pill--${cssToken(state)}`, text: STATE_LABELS[state] ?? String(state ?? 'unknown') });
}

export function pairingPill(status) {
  return h('span', { class: `pill pill--${cssToken(status)}`, text: PAIRING_LABELS[status] ?? String(status ?? 'unknown') });
}

/** Only known tokens become class names; anything else from the wire maps to "unknown". */
function cssToken(value) {
  return /^[a-z_]+$/.test(value ?? '') ? value.replace(/_/g, '-') : 'unknown';
}

export function chips(values, { limit = Infinity, empty = 'none' } = {}) {
  const list = h('ul', { class: 'chips' });
  if (!values?.length) {
    list.append(h('li', { class: 'chip chip--empty', text: empty }));
    return list;
  }
  for (const value of values.slice(0, limit)) list.append(h('li', { class: 'chip', text: value }));
  if (values.length > limit) list.append(h('li', { class: 'chip chip--more', text: `+${values.length - limit}`, title: values.slice(limit).join(', ') }));
  return list;
}

export function emptyState(title, detail) {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title', text: title }), detail ? h('p', { class: 'muted', text: detail }) : null);
}

/** A view's heading row: title, optional subtitle and actions. */
export function viewHeader(id, title, subtitle, ...actions) {
  return h('header', { class: 'view-header' },
    h('div', {},
      h('h1', { id, class: 'view-title', text: title }),
      subtitle ? h('p', { class: 'view-subtitle muted', text: subtitle }) : null),
    actions.length ? h('div', { class: 'view-actions' }, actions) : null);
}

/** A definition list from [label, value] pairs; values may be nodes or text. */
export function detailList(rows) {
  return h('dl', { class: 'details' }, rows.filter(Boolean).map(([label, value]) => [
    h('dt', { text: label }),
    h('dd', {}, value instanceof Node ? value : String(value === '' || value === undefined || value === null ? '—' : value)),
  ]));
}

export function mono(text, extra = '') {
  return h('span', { class: `mono ${extra}`.trim(), text: text || '—' });
}

/** Brief messages for the outcome of actions, announced to screen readers. */
export function toast(message, kind = 'info') {
  const region = document.getElementById('toasts');
  const item = h('div', { class: `toast toast--${kind}`, text: message });
  region.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** A labelled form control. */
export function field(label, control, hint) {
  return h('label', { class: 'field' },
    h('span', { class: 'field-label', text: label }),
    control,
    hint ? h('span', { class: 'field-hint muted', text: hint }) : null);
}

/** A second click within this time confirms a destructive action, so a slip cannot do it. */
const CONFIRM_WINDOW_MS = 5000;

/**
 * A destructive button that acts only on a confirming second click: the first click turns it into
 * `confirmLabel` for a few seconds. `accessibleName` says what it acts on; `action` goes to data-action.
 */
export function confirmButton({ label, confirmLabel, action, accessibleName, onConfirm }) {
  const button = h('button', { class: 'button button--danger button--small', type: 'button', text: label, dataset: { action }, attrs: { 'aria-label': accessibleName } });
  let armedUntil = 0;
  button.addEventListener('click', async () => {
    if (Date.now() > armedUntil) {
      armedUntil = Date.now() + CONFIRM_WINDOW_MS;
      button.textContent = confirmLabel;
      button.classList.add('is-armed');
      setTimeout(() => { if (Date.now() >= armedUntil) { button.textContent = label; button.classList.remove('is-armed'); } }, CONFIRM_WINDOW_MS);
      return;
    }
    button.disabled = true;
    await onConfirm();
    button.disabled = false;
  });
  return button;
}

export function select(name, options, value) {
  const el = h('select', { name });
  for (const [optionValue, label] of options) el.append(h('option', { value: optionValue, text: label }));
  el.value = value;
  return el;
}
