// The side drawer (a modal <dialog>: focus stays inside, Escape closes it) that shows one agent or
// one task. Its content is a panel {title, body, update(state)} kept current by live updates.
import { h } from './dom.js';

export function createDrawer({ onClose }) {
  const dialog = document.getElementById('drawer');
  let panel = null;
  let openerFocus = null;

  // 'close' arrives as a separate task: by then the route may have opened another panel.
  dialog.addEventListener('close', () => {
    if (dialog.open) return;
    const closed = panel;
    panel = null;
    dialog.replaceChildren();
    openerFocus?.focus?.();
    onClose(closed?.key);
  });
  // A click on the backdrop (outside the drawer's box) closes it, as users expect of a side sheet.
  dialog.addEventListener('click', (event) => {
    if (event.target !== dialog) return;
    const box = dialog.getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) dialog.close();
  });

  return {
    /** Shows `next` unless a panel with the same key is already showing. */
    show(next, state) {
      if (panel?.key === next.key && dialog.open) return panel.update(state);
      if (!dialog.open) openerFocus = document.activeElement;
      panel = next;
      const close = h('button', { class: 'button button--ghost button--icon drawer-close', type: 'button', attrs: { 'aria-label': 'Close' }, text: '✕', on: { click: () => dialog.close() } });
      dialog.replaceChildren(
        h('header', { class: 'drawer-header' }, h('div', { class: 'drawer-heading' }, next.eyebrow ? h('p', { class: 'eyebrow', text: next.eyebrow }) : null, h('h2', { id: 'drawer-title', class: 'drawer-title', text: next.title })), close),
        h('div', { class: 'drawer-body' }, next.body));
      next.update(state);
      if (!dialog.open) dialog.showModal();
      // preventScroll: the drawer opens at its top even when focus goes to a control further down.
      (next.initialFocus ?? close).focus({ preventScroll: true });
    },
    update(state) { panel?.update(state); },
    hide() { if (dialog.open) dialog.close(); },
    get key() { return dialog.open ? panel?.key : null; },
  };
}
