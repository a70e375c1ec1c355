// Overview: the mesh at a glance — agents online, tasks by state, approvals waiting, mesh health —
// plus what needs attention and the latest tasks.
import { h, syncList } from '../dom.js';
import { healthPill, statePill, emptyState, viewHeader } from '../components.js';
import { summarize, TASK_STATES } from '../store.js';
import { liveTime, toMillis } from '../format.js';

export function createOverview({ root, session }) {
  const agentsValue = h('p', { class: 'stat-value', dataset: { stat: 'agents-online' } });
  const agentsBar = h('div', { class: 'meter', attrs: { 'aria-hidden': 'true' } });
  const agentsLegend = h('p', { class: 'stat-note' });

  const tasksValue = h('p', { class: 'stat-value', dataset: { stat: 'tasks-active' } });
  const tasksBar = h('div', { class: 'meter', attrs: { 'aria-hidden': 'true' } });
  const tasksLegend = h('ul', { class: 'legend' });

  const approvalsValue = h('p', { class: 'stat-value', dataset: { stat: 'approvals-waiting' } });
  const approvalsNote = h('p', { class: 'stat-note' });

  const meshValue = h('p', { class: 'stat-value', dataset: { stat: 'mesh-health' } });
  const meshBar = h('div', { class: 'meter', attrs: { 'aria-hidden': 'true' } });
  const meshNote = h('p', { class: 'stat-note' });

  const attentionList = h('ul', { class: 'rows' });
  const attentionEmpty = emptyState('All agents are healthy', 'Stale and offline agents show up here.');
  const recentList = h('ul', { class: 'rows' });
  const recentEmpty = emptyState('No tasks yet', 'Tasks submitted to the queue show up here.');

  const card = (label, href, ...body) => h('a', { class: 'stat-card glass', href },
    h('p', { class: 'stat-label', text: label }), body);

  root.append(
    viewHeader('h-overview', 'Overview', 'The mesh at a glance, updated live.'),
    h('div', { class: 'stats' },
      card('Agents online', '#/agents', agentsValue, agentsBar, agentsLegend),
      card('Tasks in flight', '#/tasks', tasksValue, tasksBar, tasksLegend),
      card('Approvals waiting', session.isAdmin ? '#/approvals' : '#/overview', approvalsValue, approvalsNote),
      card('Mesh health', '#/topology', meshValue, meshBar, meshNote)),
    h('div', { class: 'split' },
      h('section', { class: 'panel glass', attrs: { 'aria-labelledby': 'h-attention' } },
        h('h2', { id: 'h-attention', class: 'panel-title', text: 'Needs attention' }), attentionList, attentionEmpty),
      h('section', { class: 'panel glass', attrs: { 'aria-labelledby': 'h-recent' } },
        h('h2', { id: 'h-recent', class: 'panel-title', text: 'Latest tasks' }), recentList, recentEmpty)));

  function update(state) {
    const s = summarize(state);
    const online = s.health.active;
    agentsValue.replaceChildren(String(online), h('span', { class: 'stat-of', text: ` / ${s.agentsTotal}` }));
    meter(agentsBar, [['active', s.health.active], ['stale', s.health.stale], ['offline', s.health.offline]]);
    agentsLegend.textContent = `${s.health.active} active · ${s.health.stale} stale · ${s.health.offline} offline`;

    tasksValue.replaceChildren(String(s.tasks.pending + s.tasks.assigned), h('span', { class: 'stat-of', text: ` of ${s.tasksTotal}` }));
    meter(tasksBar, TASK_STATES.map((state) => [state, s.tasks[state]]));
    tasksLegend.replaceChildren(...TASK_STATES.map((state) =>
      h('li', { class: `legend-item legend-item--${state}`, dataset: { taskState: state } },
        h('span', { class: 'legend-swatch', attrs: { 'aria-hidden': 'true' } }),
        `${s.tasks[state]} ${state}`)));

    if (s.waiting === null) {
      approvalsValue.textContent = '—';
      approvalsNote.textContent = 'Pairing approvals are visible to admins only.';
    } else {
      approvalsValue.textContent = String(s.waiting);
      approvalsNote.textContent = s.waiting ? 'Agents are waiting for your approval.' : 'No one is waiting.';
    }

    const mesh = s.mesh;
    meshValue.textContent = mesh.ratio === null ? '—' : `${Math.round(mesh.ratio * 100)}%`;
    meter(meshBar, mesh.ratio === null ? [] : [['mesh', mesh.observed], ['gap', mesh.expected - mesh.observed]]);
    meshNote.textContent = mesh.expected
      ? `${mesh.observed} of ${mesh.expected} links between ${mesh.activePeers} active sidecars`
      : mesh.activePeers === 1 ? 'One active sidecar: nothing to link yet' : 'No active sidecars';

    const troubled = [...state.agents.values()].filter((a) => a.health !== 'active')
      .sort((a, b) => toMillis(a.last_heartbeat) - toMillis(b.last_heartbeat));
    syncList(attentionList, troubled.slice(0, 8), {
      key: (a) => a.agent_id,
      signature: (a) => `${a.health}|${a.last_heartbeat}|${a.hostname}`,
      render: (a) => h('li', {},
        h('a', { class: 'row-link', href: `#/agents/${encodeURIComponent(a.agent_id)}` },
          h('span', { class: 'row-main', text: a.agent_id }),
          healthPill(a.health),
          h('span', { class: 'row-meta muted' }, 'last heard ', liveTime.ago(h('span'), toMillis(a.last_heartbeat))))),
    });
    attentionEmpty.querySelector('.empty-title').textContent = state.agents.size ? 'All agents are healthy' : 'No agents registered yet';
    attentionEmpty.hidden = troubled.length > 0;

    const recent = [...state.tasks.values()].sort((a, b) => b.created_at - a.created_at).slice(0, 6);
    syncList(recentList, recent, {
      key: (t) => t.id,
      signature: (t) => `${t.state}|${t.updated_at}`,
      render: (t) => h('li', {},
        h('a', { class: 'row-link', href: `#/tasks/${encodeURIComponent(t.id)}` },
          h('span', { class: 'row-main' }, h('span', { class: 'mono', text: t.id }), ' ', h('span', { class: 'muted', text: t.skill || 'any skill' })),
          statePill(t.state),
          h('span', { class: 'row-meta muted' }, liveTime.ago(h('span'), toMillis(t.created_at))))),
    });
    recentEmpty.hidden = recent.length > 0;
  }

  return { update };
}

/** A stacked bar of [kind, count] segments, proportional to the counts. */
function meter(el, segments) {
  const total = segments.reduce((sum, [, n]) => sum + n, 0);
  el.replaceChildren(...segments.filter(([, n]) => n > 0).map(([kind, n]) => {
    const segment = h('span', { class: `meter-segment meter-segment--${kind}` });
    segment.style.flexGrow = String(n / total);
    return segment;
  }));
  el.classList.toggle('meter--empty', total === 0);
}
