// One task in full: routing, timing, payload, result and error, kept current by live task events (and,
// while its agent writes the answer, the answer so far). Its submitter or an admin may cancel it while it
// is pending or assigned.
import { h, setChildren } from '../dom.js';
import { statePill, detailList, mono, toast, confirmButton } from '../components.js';
import { FINAL_TASK_STATES } from '../store.js';
import { liveTime, toMillis, duration, dateTime, prettyJSON } from '../format.js';

export function createTaskPanel({ taskId, api, store, session }) {
  const content = h('div', { class: 'task-panel' });
  const missing = h('p', { class: 'muted', text: 'Loading…' });
  let fetched = false;
  // The answer so far while the agent writes it: kept across re-renders and updated in place as it grows.
  const writingText = h('code');
  const writing = h('section', { class: 'task-block', dataset: { block: 'task-progress' }, hidden: true, attrs: { 'aria-busy': 'true' } },
    h('h3', { class: 'section-title', text: 'Writing…' }),
    h('pre', { class: 'code-block', tabIndex: 0 }, writingText));
  // A fresh copy from the registry, for when the live stream may be behind (e.g. a refused cancel).
  const refresh = () => api.task(taskId).then((t) => store.upsertTask(t)).catch(() => {});

  async function cancel() {
    try {
      store.upsertTask(await api.cancelTask(taskId));
      toast(`Task ${taskId} canceled`, 'success');
    } catch (error) {
      toast(`Could not cancel task ${taskId}: ${error.message}`, 'error');
      // 409: it finished meanwhile; 404: it is gone. Either way show what the registry has now.
      if (error.status === 409 || error.status === 404) refresh();
    }
  }

  function update(state) {
    const task = state.tasks.get(taskId);
    if (!task) {
      // A deep link can arrive before the snapshot, or name a task the registry does not have.
      if (!fetched) {
        fetched = true;
        api.task(taskId).then((t) => store.upsertTask(t)).catch((error) => { missing.textContent = error.status === 404 ? 'No task with this id.' : error.message; });
      }
      content.replaceChildren(missing);
      return;
    }
    const final = FINAL_TASK_STATES.has(task.state);
    const sofar = final ? '' : state.progress.get(taskId) ?? '';
    if (writingText.textContent !== sofar) writingText.textContent = sofar;
    writing.hidden = !sofar;
    const sig = `${task.state}|${task.updated_at}`;
    if (content.dataset.sig === sig) return;
    content.dataset.sig = sig;
    const submitter = task.submitted_by;
    const mayCancel = !final && (session.isAdmin || (Boolean(submitter?.peer_id) && submitter.peer_id === session.identity?.peer_id));
    const status = h('div', { class: 'agent-panel-status task-panel-status', tabIndex: -1 }, statePill(task.state),
      h('span', { class: 'muted' }, 'created ', liveTime.ago(h('span'), toMillis(task.created_at))),
      mayCancel ? h('div', { class: 'task-actions' }, confirmButton({
        label: 'Cancel task', confirmLabel: 'Confirm cancel', action: 'cancel-task', accessibleName: `Cancel task ${taskId}`, onConfirm: cancel,
      })) : null);
    // A re-render (e.g. the cancel went through and its button is gone) keeps focus inside the panel.
    const hadFocus = content.contains(document.activeElement);
    setChildren(content,
      status,
      detailList([
        ['Skill', task.skill || 'any'],
        ['Source', task.source_agent_id],
        ['Target', task.target_agent_id || 'any agent with the skill'],
        ['Assigned to', task.assigned_agent_id ? agentLink(task.assigned_agent_id) : 'not yet'],
        submitter?.peer_id ? ['Submitted by', `${submitter.peer_id}${submitter.role ? ` (${submitter.role})` : ''}`] : null,
        task.context_id ? ['A2A context', mono(task.context_id)] : null,
        ['Created', dateTime(toMillis(task.created_at))],
        ['Updated', dateTime(toMillis(task.updated_at))],
        ['Age', liveTime.age(h('span'), toMillis(task.created_at))],
        ['Duration', final ? duration(task.updated_at - task.created_at) : 'in flight'],
        ['TTL', `${task.ttl} s`],
        final ? null : ['Expires in', liveTime.countdown(h('span'), toMillis(task.created_at) + task.ttl * 1000)],
      ]),
      block('Payload', prettyJSON(task.payload), 'task-payload'),
      final ? null : writing,
      task.state === 'completed' ? block('Result', task.result || '(empty)', 'task-result') : null,
      task.state === 'input_required' ? block('Waiting for an answer to', task.result, 'task-result') : null,
      task.error ? (task.state === 'canceled'
        ? block('Canceled', task.error, 'task-error', 'code-block--canceled')
        : block('Error', task.error, 'task-error', 'code-block--error')) : null);
    if (hadFocus && !content.contains(document.activeElement)) status.focus({ preventScroll: true });
  }

  return { key: `task:${taskId}`, eyebrow: 'Task', title: taskId, body: content, update };
}

function block(title, text, name, extra = '') {
  return h('section', { class: 'task-block', dataset: { block: name } },
    h('h3', { class: 'section-title', text: title }),
    h('pre', { class: `code-block ${extra}`.trim(), tabIndex: 0 }, h('code', { text })));
}

function agentLink(agentId) {
  return h('a', { href: `#/agents/${encodeURIComponent(agentId)}` }, mono(agentId));
}
