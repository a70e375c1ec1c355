// Approvals (admin only): invite codes, pending pairing requests to approve or reject, approved
// agents to revoke, and the history of decisions. The read-only hub role gets none of the controls.
import { h, syncList } from '../dom.js';
import { pairingPill, emptyState, viewHeader, mono, toast, confirmButton } from '../components.js';
import { liveTime } from '../format.js';

export function createApprovalsView({ root, api, store, session }) {
  if (!session.isAdmin) {
    root.append(
      viewHeader('h-approvals', 'Approvals'),
      emptyState('Admins only', 'Pairing approvals need an admin key; this session is read-only.'));
    return { update() {} };
  }

  const invite = createInviteCard(api);
  const pendingList = h('ul', { class: 'entries', dataset: { list: 'pending' } });
  const pendingEmpty = emptyState('Nobody is waiting', 'Agents that redeem an invite code show up here for approval.');
  const approvedList = h('ul', { class: 'entries', dataset: { list: 'approved' } });
  const approvedEmpty = emptyState('No approved agents yet');
  const historyList = h('ul', { class: 'entries entries--quiet', dataset: { list: 'history' } });
  const historyEmpty = emptyState('No rejected or revoked entries');

  const section = (id, title, ...content) => h('section', { class: 'panel glass', attrs: { 'aria-labelledby': id } },
    h('h2', { id, class: 'panel-title', text: title }), content);

  root.append(
    viewHeader('h-approvals', 'Approvals', 'Invite agents with a one-time code, then approve who may join.'),
    h('div', { class: 'approvals' },
      invite.root,
      section('h-pending', 'Waiting for approval', pendingList, pendingEmpty),
      section('h-approved', 'Approved', approvedList, approvedEmpty),
      section('h-history', 'Rejected and revoked', historyList, historyEmpty)));

  async function act(entry, action, verb) {
    try {
      const response = await api[action](entry.id);
      // Show the decision now; the live pairing event then brings the registry's full entry.
      store.upsertPairing({ id: entry.id, status: response.status ?? { approve: 'approved', reject: 'rejected', revoke: 'revoked' }[action] });
      toast(`${entry.agent_name} ${verb}`, 'success');
    } catch (error) {
      toast(`Could not ${action} ${entry.agent_name}: ${error.message}`, 'error');
    }
  }

  const signature = (e) => `${e.status}|${e.updated_at}|${e.agent_name}`;

  function update(state) {
    const entries = [...(state.pairing?.values() ?? [])].sort((a, b) => (b.updated_at ?? 0) - (a.updated_at ?? 0));
    const pending = entries.filter((e) => e.status === 'pending_approval').sort((a, b) => a.created_at - b.created_at);
    const approved = entries.filter((e) => e.status === 'approved');
    const history = entries.filter((e) => e.status === 'rejected' || e.status === 'revoked');

    syncList(pendingList, pending, { key: (e) => e.id, signature, render: (e) => entryRow(e, [
      actionButton('Approve', 'button--primary', () => act(e, 'approve', 'approved'), e),
      actionButton('Reject', 'button--ghost', () => act(e, 'reject', 'rejected'), e),
    ]) });
    syncList(approvedList, approved, { key: (e) => e.id, signature, render: (e) => entryRow(e, [revokeButton(e, () => act(e, 'revoke', 'revoked'))]) });
    syncList(historyList, history.slice(0, 20), { key: (e) => e.id, signature, render: (e) => entryRow(e, []) });
    pendingEmpty.hidden = pending.length > 0;
    approvedEmpty.hidden = approved.length > 0;
    historyEmpty.hidden = history.length > 0;
  }

  return { update };
}

function entryRow(entry, actions) {
  return h('li', { class: 'entry', dataset: { entryId: entry.id, status: entry.status } },
    h('div', { class: 'entry-main' },
      h('p', { class: 'entry-name', text: entry.agent_name || '(unnamed)' }),
      h('p', { class: 'entry-meta muted' }, mono(entry.peer_id), ' · entry ', mono(entry.id), ' · ',
        liveTime.ago(h('span'), (entry.updated_at ?? entry.created_at) * 1000))),
    pairingPill(entry.status),
    actions.length ? h('div', { class: 'entry-actions' }, actions) : null);
}

function actionButton(label, style, onClick, entry) {
  const button = h('button', { class: `button ${style} button--small`, type: 'button', text: label, dataset: { action: label.toLowerCase() }, attrs: { 'aria-label': `${label} ${entry.agent_name}` } });
  button.addEventListener('click', async () => {
    button.disabled = true;
    await onClick();
    button.disabled = false;
  });
  return button;
}

/** A revoke needs a confirming second click, so a slip cannot cut an agent off. */
function revokeButton(entry, onConfirm) {
  return confirmButton({ label: 'Revoke', confirmLabel: 'Confirm revoke', action: 'revoke', accessibleName: `Revoke ${entry.agent_name}`, onConfirm });
}

/** Generates a 6-digit, single-use invite code and counts down its validity. */
function createInviteCard(api) {
  const code = h('p', { class: 'invite-code invite-code--none', attrs: { 'aria-live': 'polite' }, text: 'No code yet' });
  const expiry = h('span', { class: 'invite-expiry' });
  const progress = h('div', { class: 'invite-progress', attrs: { 'aria-hidden': 'true' } }, h('span', { class: 'invite-progress-bar' }));
  const status = h('p', { class: 'muted invite-status', text: 'Codes are valid for 5 minutes and work once.' });
  const generate = h('button', { class: 'button button--primary', type: 'button', text: 'Generate invite code', dataset: { action: 'generate-code' } });
  const copy = h('button', { class: 'button button--ghost button--small', type: 'button', text: 'Copy', hidden: true });
  let timer = null;

  generate.addEventListener('click', async () => {
    generate.disabled = true;
    try {
      const result = await api.generateInviteCode();
      const issued = Date.now();
      const until = issued + result.expires_in * 1000;
      code.textContent = result.code;
      code.dataset.code = result.code;
      copy.hidden = !navigator.clipboard;
      status.replaceChildren('Expires in ', liveTime.countdown(expiry, until), ' · run ', mono(`chatixia pair ${result.code}`));
      const bar = progress.firstChild;
      clearInterval(timer);
      // The bar shrinks with the remaining validity; the countdown text is the accessible version.
      const draw = () => {
        const left = Math.max(0, (until - Date.now()) / (until - issued));
        bar.style.transform = `scaleX(${left})`;
        if (left === 0) { clearInterval(timer); code.classList.add('is-expired'); }
      };
      code.classList.remove('is-expired', 'invite-code--none');
      code.classList.add('mono');
      draw();
      timer = setInterval(draw, 1000);
      generate.textContent = 'Generate another code';
    } catch (error) {
      toast(`Could not generate a code: ${error.message}`, 'error');
    } finally {
      generate.disabled = false;
    }
  });
  copy.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(code.dataset.code ?? ''); toast('Code copied', 'success'); } catch { toast('Copy failed; select the code instead', 'error'); }
  });

  const root = h('section', { class: 'panel glass invite', attrs: { 'aria-labelledby': 'h-invite' } },
    h('h2', { id: 'h-invite', class: 'panel-title', text: 'Invite an agent' }),
    h('div', { class: 'invite-row' }, code, copy), progress, status, generate);
  return { root };
}
