// The "new task" form: skill and/or target agent, a JSON payload and a TTL.
import { h } from '../dom.js';
import { field, toast } from '../components.js';
import { CHAT_SOURCE } from './agent-panel.js';

export function createTaskForm({ api, store }) {
  const skill = h('input', { name: 'skill', autocomplete: 'off', spellcheck: false, placeholder: 'e.g. summarize', attrs: { list: 'known-skills' } });
  const skillOptions = h('datalist', { id: 'known-skills' });
  const target = h('select', { name: 'target_agent_id' }, h('option', { value: '', text: 'Any agent with the skill' }));
  const payload = h('textarea', { name: 'payload', rows: 4, spellcheck: false, class: 'mono', value: '{\n  "message": ""\n}' });
  const ttl = h('input', { name: 'ttl', type: 'number', min: 1, max: 86400, step: 1, value: '300', inputMode: 'numeric' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { class: 'button button--primary', type: 'submit', text: 'Submit task' });
  const cancel = h('button', { class: 'button button--ghost', type: 'button', text: 'Cancel' });
  const root = h('form', { id: 'task-form', class: 'task-form panel glass', hidden: true, attrs: { 'aria-label': 'New task' } },
    h('div', { class: 'form-grid' },
      field('Skill', skill, 'Routes to an agent advertising it'),
      field('Target agent', target, 'Or send to one agent directly'),
      field('Payload (JSON)', payload),
      field('TTL (seconds)', ttl)),
    skillOptions, error,
    h('div', { class: 'form-actions' }, cancel, submit));

  const form = { root, onCancel: () => {}, focus: () => skill.focus(), update };
  cancel.addEventListener('click', () => form.onCancel());

  root.addEventListener('submit', async (event) => {
    event.preventDefault();
    const problem = validate();
    error.hidden = !problem;
    error.textContent = problem ?? '';
    if (problem) return;
    submit.disabled = true;
    try {
      const { task_id: taskId } = await api.submitTask({
        skill: skill.value.trim(), target_agent_id: target.value, source_agent_id: CHAT_SOURCE,
        payload: JSON.parse(payload.value), ttl: Number(ttl.value),
      });
      toast(`Task ${taskId} submitted`, 'success');
      api.task(taskId).then((task) => store.upsertTask(task)).catch(() => {});
      location.hash = `#/tasks/${encodeURIComponent(taskId)}`;
    } catch (failure) {
      error.hidden = false;
      error.textContent = failure.message;
    } finally {
      submit.disabled = false;
    }
  });

  function validate() {
    if (!skill.value.trim() && !target.value) return 'Name a skill or choose a target agent; otherwise no agent can take the task.';
    try { JSON.parse(payload.value); } catch { return 'The payload is not valid JSON.'; }
    const seconds = Number(ttl.value);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86400) return 'TTL must be a whole number of seconds between 1 and 86400.';
    return null;
  }

  function update(state) {
    const skills = [...new Set([...state.agents.values()].flatMap((a) => a.capabilities?.skills ?? []))].sort();
    if (skillOptions.dataset.sig !== skills.join('\n')) {
      skillOptions.dataset.sig = skills.join('\n');
      skillOptions.replaceChildren(...skills.map((value) => h('option', { value })));
    }
    const agents = [...state.agents.keys()].sort((a, b) => a.localeCompare(b));
    if (target.dataset.sig !== agents.join('\n')) {
      target.dataset.sig = agents.join('\n');
      const chosen = target.value;
      target.replaceChildren(h('option', { value: '', text: 'Any agent with the skill' }), ...agents.map((id) => h('option', { value: id, text: id })));
      target.value = agents.includes(chosen) ? chosen : '';
    }
  }

  return form;
}
