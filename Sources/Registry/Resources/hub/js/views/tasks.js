// Tasks: the queue as a filterable table (state, skill, agent), a form to submit a task, and a
// detail panel with payload and result (task-panel.js).
import { h, syncList } from '../dom.js';
import { statePill, emptyState, viewHeader, field, select, mono, STATE_LABELS } from '../components.js';
import { TASK_STATES, FINAL_TASK_STATES } from '../store.js';
import { liveTime, toMillis, duration, plural } from '../format.js';
import { createTaskForm } from './task-form.js';

/** Enough rows to scan; filters narrow the rest. */
const MAX_ROWS = 200;

export function createTasksView({ root, api, store }) {
  const stateFilter = select('task-state', [['', 'Any state'], ...TASK_STATES.map((name) => [name, STATE_LABELS[name]])], '');
  const skillFilter = select('task-skill', [['', 'Any skill']], '');
  const agentFilter = select('task-agent', [['', 'Any agent']], '');
  const count = h('p', { class: 'muted result-count', attrs: { 'aria-live': 'polite' } });
  const rows = h('tbody', {});
  const table = h('table', { class: 'task-table' },
    h('caption', { class: 'sr-only', text: 'Tasks, newest first' }),
    h('thead', {}, h('tr', {}, ['ID', 'State', 'Skill', 'Source', 'Target / assigned', 'Age', 'Duration'].map((title) => h('th', { scope: 'col', text: title })))),
    rows);
  const empty = emptyState('No tasks yet', 'Submit one with “New task”, or let agents delegate work.');
  const form = createTaskForm({ api, store });
  const newTask = h('button', { class: 'button button--primary', type: 'button', text: 'New task', attrs: { 'aria-expanded': 'false', 'aria-controls': 'task-form' } });
  let lastState = null;

  newTask.addEventListener('click', () => {
    const opening = form.root.hidden;
    form.root.hidden = !opening;
    newTask.setAttribute('aria-expanded', String(opening));
    if (opening) form.focus();
  });
  form.onCancel = () => { form.root.hidden = true; newTask.setAttribute('aria-expanded', 'false'); newTask.focus(); };
  for (const control of [stateFilter, skillFilter, agentFilter]) control.addEventListener('change', () => lastState && update(lastState));

  root.append(
    viewHeader('h-tasks', 'Tasks', 'The registry’s task queue, newest first.', newTask),
    form.root,
    h('div', { class: 'toolbar glass' }, field('State', stateFilter), field('Skill', skillFilter), field('Agent', agentFilter), count),
    h('div', { class: 'table-wrap glass' }, table, empty));

  function update(state) {
    lastState = state;
    const all = [...state.tasks.values()];
    fillOptions(skillFilter, 'Any skill', all.map((t) => t.skill));
    fillOptions(agentFilter, 'Any agent', [...state.agents.keys(), ...all.flatMap((t) => [t.target_agent_id, t.assigned_agent_id, t.source_agent_id])]);
    form.update(state);

    const agent = agentFilter.value;
    const matching = all
      .filter((t) => !stateFilter.value || t.state === stateFilter.value)
      .filter((t) => !skillFilter.value || t.skill === skillFilter.value)
      .filter((t) => !agent || t.target_agent_id === agent || t.assigned_agent_id === agent || t.source_agent_id === agent)
      .sort((a, b) => b.created_at - a.created_at);
    syncList(rows, matching.slice(0, MAX_ROWS), { key: (t) => t.id, signature: (t) => `${t.state}|${t.updated_at}`, render: taskRow });
    count.textContent = matching.length > MAX_ROWS
      ? `newest ${MAX_ROWS} of ${matching.length} matching tasks`
      : matching.length === all.length ? plural(all.length, 'task') : `${matching.length} of ${plural(all.length, 'task')}`;
    empty.hidden = matching.length > 0;
    empty.querySelector('.empty-title').textContent = all.length ? 'No tasks match these filters' : 'No tasks yet';
  }

  return { update };
}

/** Keeps a filter's options in step with the data; the current choice stays even if no task has it now. */
function fillOptions(control, anyLabel, values) {
  const chosen = control.value;
  const wanted = [...new Set([...values, chosen].filter(Boolean))].sort((a, b) => a.localeCompare(b));
  const current = [...control.options].slice(1).map((o) => o.value);
  if (wanted.length === current.length && wanted.every((v, i) => v === current[i])) return;
  control.replaceChildren(h('option', { value: '', text: anyLabel }), ...wanted.map((v) => h('option', { value: v, text: v })));
  control.value = chosen;
}

function taskRow(task) {
  const href = `#/tasks/${encodeURIComponent(task.id)}`;
  const row = h('tr', { class: 'task-row', dataset: { taskId: task.id, state: task.state } },
    h('td', {}, h('a', { class: 'mono task-link', href, text: task.id })),
    h('td', {}, statePill(task.state)),
    h('td', {}, task.skill ? h('span', { text: task.skill }) : h('span', { class: 'muted', text: 'any' })),
    h('td', {}, task.source_agent_id || h('span', { class: 'muted', text: '—' })),
    h('td', {}, targetCell(task)),
    h('td', { class: 'num' }, liveTime.age(h('span'), toMillis(task.created_at))),
    h('td', { class: 'num' }, FINAL_TASK_STATES.has(task.state) ? duration(task.updated_at - task.created_at) : h('span', { class: 'muted', text: 'in flight' })));
  // The ID link is the keyboard path; a click anywhere on the row is a convenience for the mouse.
  row.addEventListener('click', (event) => { if (!event.target.closest('a')) location.hash = href; });
  return row;
}

function targetCell(task) {
  const target = task.target_agent_id;
  const assigned = task.assigned_agent_id;
  if (assigned && assigned !== target) {
    return h('span', {}, target ? `${target} → ` : h('span', { class: 'muted', text: 'by skill → ' }), mono(assigned, 'strong'));
  }
  return target || h('span', { class: 'muted', text: 'by skill' });
}
