// Keys (admin only): the registry's API keys (never their secrets), a form to create one, whose key is
// shown once with a copy button, and revocation behind a confirming second click. Keys are not on the event
// stream: the list loads when the view opens, after each change, and on Refresh.
import { h, syncList } from '../dom.js';
import { emptyState, viewHeader, field, select, mono, toast, confirmButton } from '../components.js';
import { liveTime, plural } from '../format.js';

const ROLES = [['agent', 'Agent (an agent and its sidecar)'], ['hub', 'Hub (read-only dashboard)'], ['admin', 'Admin']];
const ROLE_LABELS = { agent: 'Agent', hub: 'Hub', admin: 'Admin' };
const SOURCE_LABELS = { file: 'Keys file', api: 'Created here' };

export function createKeysView({ root, api, session }) {
  if (!session.isAdmin) {
    root.append(
      viewHeader('h-keys', 'API keys'),
      emptyState('Admins only', 'API keys are managed with an admin key; this session is read-only.'));
    return { update() {} };
  }

  const form = createKeyForm(api, (created) => { reveal.show(created); load(); });
  const reveal = createRevealPanel();
  const count = h('p', { class: 'muted result-count', attrs: { 'aria-live': 'polite' } });
  const refresh = h('button', { class: 'button button--ghost', type: 'button', text: 'Refresh', dataset: { action: 'refresh-keys' } });
  const rows = h('tbody', {});
  const table = h('table', { class: 'key-table' },
    h('caption', { class: 'sr-only', text: 'API keys, newest first' }),
    h('thead', {}, h('tr', {},
      ['ID', 'Peer ID', 'Role', 'Label', 'Source', 'Created', 'Status'].map((title) => h('th', { scope: 'col', text: title })),
      h('th', { scope: 'col' }, h('span', { class: 'sr-only', text: 'Actions' })))),
    rows);
  const empty = emptyState('Loading keys…');

  refresh.addEventListener('click', () => load());

  root.append(
    viewHeader('h-keys', 'API keys', 'Who may use the registry: one key per agent, hub or admin. Keys are stored hashed; revoking one ends its sessions at once.', refresh),
    h('div', { class: 'keys' }, form.root, reveal.root),
    h('section', { class: 'table-wrap glass', attrs: { 'aria-labelledby': 'h-key-list' } },
      h('div', { class: 'table-head' }, h('h2', { id: 'h-key-list', class: 'panel-title', text: 'Keys' }), count),
      table, empty));

  let loading = null;
  async function load() {
    loading ??= api.keys()
      .then((keys) => render(keys))
      .catch((error) => {
        empty.hidden = false;
        empty.querySelector('.empty-title').textContent = 'Could not load the keys';
        toast(`Could not load the keys: ${error.message}`, 'error');
      })
      .finally(() => { loading = null; });
    return loading;
  }

  async function revoke(key) {
    try {
      await api.revokeKey(key.id);
      toast(`Key ${key.id} (${key.peer_id}) revoked`, 'success');
    } catch (error) {
      toast(`Could not revoke ${key.id}: ${error.message}`, 'error');
    }
    await load();
  }

  function render(keys) {
    const sorted = [...keys].sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0) || String(b.id).localeCompare(String(a.id)));
    syncList(rows, sorted, { key: (k) => k.id, render: (k) => keyRow(k, () => revoke(k)) });
    const live = sorted.filter((k) => !k.revoked).length;
    count.textContent = `${plural(sorted.length, 'key')}, ${live} in use`;
    empty.hidden = sorted.length > 0;
    empty.querySelector('.empty-title').textContent = 'No keys yet';
  }

  // update() follows the mesh's live data, which keys are not part of; shown() runs each time the view opens.
  return { update() {}, shown: load };
}

function keyRow(key, onRevoke) {
  const role = ROLE_LABELS[key.role] ?? String(key.role ?? 'unknown');
  return h('tr', { class: `key-row${key.revoked ? ' is-revoked' : ''}`, dataset: { keyId: key.id, revoked: String(Boolean(key.revoked)) } },
    h('td', {}, mono(key.id)),
    h('td', {}, mono(key.peer_id, 'strong')),
    h('td', {}, role),
    h('td', { class: 'key-label' }, key.label ? h('span', { text: key.label, title: key.label }) : h('span', { class: 'muted', text: '—' })),
    h('td', {}, SOURCE_LABELS[key.source] ?? String(key.source ?? '—')),
    h('td', { class: 'num' }, liveTime.ago(h('span'), (key.created_at ?? NaN) * 1000)),
    h('td', {}, h('span', { class: `pill pill--${key.revoked ? 'revoked' : 'active'}`, text: key.revoked ? 'Revoked' : 'Active' })),
    h('td', { class: 'key-actions' }, key.revoked ? null : confirmButton({
      label: 'Revoke', confirmLabel: 'Confirm revoke', action: 'revoke-key',
      accessibleName: `Revoke key ${key.id} of ${key.peer_id}`, onConfirm: onRevoke,
    })));
}

/** New key: peer id, role and an optional label; `onCreated({id, peer_id, role, key, ...})` gets the registry's answer. */
function createKeyForm(api, onCreated) {
  const peer = h('input', { name: 'peer_id', required: true, maxLength: 128, autocomplete: 'off', spellcheck: false, placeholder: 'e.g. sc-agent-07' });
  const role = select('role', ROLES, 'agent');
  const label = h('input', { name: 'label', maxLength: 200, autocomplete: 'off', placeholder: 'e.g. build server, Ana’s laptop' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { class: 'button button--primary', type: 'submit', text: 'Create key' });
  const root = h('form', { id: 'key-form', class: 'panel glass key-form', attrs: { 'aria-labelledby': 'h-new-key' }, noValidate: true },
    h('h2', { id: 'h-new-key', class: 'panel-title', text: 'Create a key' }),
    h('div', { class: 'form-grid' },
      field('Peer ID', peer, 'The identity the key signs in as (an agent’s sidecar peer id)'),
      field('Role', role, 'Agents register and work; hub keys only read; admins manage everything'),
      field('Label (optional)', label, 'A note for you: where the key is used')),
    error,
    h('div', { class: 'form-actions' }, submit));

  root.addEventListener('submit', async (event) => {
    event.preventDefault();
    const peerId = peer.value.trim();
    error.hidden = Boolean(peerId);
    error.textContent = peerId ? '' : 'Name the peer ID the key belongs to.';
    if (!peerId) { peer.focus(); return; }
    submit.disabled = true;
    try {
      const created = await api.createKey({ peer_id: peerId, role: role.value, label: label.value.trim() });
      peer.value = '';
      label.value = '';
      role.value = 'agent';
      onCreated(created);
    } catch (failure) {
      error.hidden = false;
      error.textContent = `Could not create the key: ${failure.message}`;
    } finally {
      submit.disabled = false;
    }
  });
  return { root };
}

/** The one time a new key is visible: its value, a copy button, and a note that it will not be shown again. */
function createRevealPanel() {
  const title = h('h2', { id: 'h-created-key', class: 'panel-title' });
  const value = h('code', { class: 'mono new-key-value' });
  const copy = h('button', { class: 'button button--primary button--small', type: 'button', text: 'Copy key', dataset: { action: 'copy-key' } });
  const done = h('button', { class: 'button button--ghost button--small', type: 'button', text: 'Done, hide the key', dataset: { action: 'hide-key' } });
  const note = h('p', { id: 'new-key-note', class: 'new-key-note' },
    h('strong', { text: 'Shown once. ' }),
    'Copy the key now and keep it in a secrets manager: the registry stores only a hash and cannot show it again.');
  const detail = h('p', { class: 'muted new-key-detail' });
  const root = h('section', {
    id: 'new-key', class: 'panel glass new-key', hidden: true, tabIndex: -1,
    attrs: { 'aria-labelledby': 'h-created-key', 'aria-describedby': 'new-key-note' },
  }, title, note, h('div', { class: 'new-key-row' }, value, copy), detail, h('div', { class: 'form-actions' }, done));

  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value.textContent);
      toast('Key copied', 'success');
    } catch {
      // No clipboard (an insecure context, a denied permission): select the key for a manual copy.
      getSelection()?.selectAllChildren(value);
      toast('Copy failed; the key is selected, copy it with Ctrl+C', 'error');
    }
  });
  done.addEventListener('click', () => {
    value.textContent = '';
    root.hidden = true;
    document.querySelector('#key-form input[name="peer_id"]')?.focus();
  });

  return {
    root,
    show(created) {
      title.textContent = `New key for ${created.peer_id}`;
      value.textContent = created.key;
      detail.textContent = `${ROLE_LABELS[created.role] ?? created.role} key ${created.id}${created.label ? ` · ${created.label}` : ''}`;
      root.hidden = false;
      root.focus();
    },
  };
}
