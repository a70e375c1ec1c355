// One task in full: routing, timing, payload, result and error, kept current by live task events.
import { h, setChildren } from '../dom.js';
import { statePill, detailList, mono } from '../components.js';
import { liveTime, toMillis, duration, dateTime, prettyJSON } from '../format.js';

export function createTaskPanel({ taskId, api, store }) {
  const content = h('div', { class: 'task-panel' });
  const missing = h('p', { class: 'muted', text: 'Loading…' });
  let fetched = false;

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
    const sig = `${task.state}|${task.updated_at}`;
    if (content.dataset.sig === sig) return;
    content.dataset.sig = sig;
    const final = task.state === 'completed' || task.state === 'failed';
    setChildren(content,
      h('div', { class: 'agent-panel-status' }, statePill(task.state),
        h('span', { class: 'muted' }, 'created ', liveTime.ago(h('span'), toMillis(task.created_at)))),
      detailList([
        ['Skill', task.skill || 'any'],
        ['Source', task.source_agent_id],
        ['Target', task.target_agent_id || 'any agent with the skill'],
        ['Assigned to', task.assigned_agent_id ? agentLink(task.assigned_agent_id) : 'not yet'],
        ['Created', dateTime(toMillis(task.created_at))],
        ['Updated', dateTime(toMillis(task.updated_at))],
        ['Age', liveTime.age(h('span'), toMillis(task.created_at))],
        ['Duration', final ? duration(task.updated_at - task.created_at) : 'in flight'],
        ['TTL', `${task.ttl} s`],
        final ? null : ['Expires in', liveTime.countdown(h('span'), toMillis(task.created_at) + task.ttl * 1000)],
      ]),
      block('Payload', prettyJSON(task.payload), 'task-payload'),
      task.state === 'completed' ? block('Result', task.result || '(empty)', 'task-result') : null,
      task.error ? block('Error', task.error, 'task-error', 'code-block--error') : null);
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
