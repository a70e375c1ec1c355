// Agents: a card per registered agent with health, skills, peer id, host, heartbeat and uptime.
// A card opens the agent's details and chat (agent-panel.js).
import { h, syncList } from '../dom.js';
import { healthPill, chips, emptyState, viewHeader, field, select } from '../components.js';
import { liveTime, toMillis, plural } from '../format.js';

const HEALTH_ORDER = { active: 0, stale: 1, offline: 2 };

export function createAgentsView({ root }) {
  const search = h('input', { type: 'search', name: 'agent-search', placeholder: 'Name, host or skill', attrs: { 'aria-controls': 'agent-grid' } });
  const healthFilter = select('agent-health', [['', 'Any health'], ['active', 'Active'], ['stale', 'Stale'], ['offline', 'Offline']], '');
  const count = h('p', { class: 'muted result-count', attrs: { 'aria-live': 'polite' } });
  const grid = h('div', { id: 'agent-grid', class: 'agent-grid' });
  const empty = emptyState('No agents registered', 'Agents appear here as soon as they register or send a heartbeat.');
  let lastState = null;

  search.addEventListener('input', () => lastState && update(lastState));
  healthFilter.addEventListener('change', () => lastState && update(lastState));

  root.append(
    viewHeader('h-agents', 'Agents', 'Every agent the registry knows, with live health.'),
    h('div', { class: 'toolbar glass' }, field('Search', search), field('Health', healthFilter), count),
    grid, empty);

  function update(state) {
    lastState = state;
    const query = search.value.trim().toLowerCase();
    const all = [...state.agents.values()];
    const shown = all
      .filter((agent) => !healthFilter.value || agent.health === healthFilter.value)
      .filter((agent) => !query || searchable(agent).includes(query))
      .sort((a, b) => (HEALTH_ORDER[a.health] ?? 3) - (HEALTH_ORDER[b.health] ?? 3) || a.agent_id.localeCompare(b.agent_id));
    syncList(grid, shown, { key: (agent) => agent.agent_id, render: agentCard });
    count.textContent = shown.length === all.length ? plural(all.length, 'agent') : `${shown.length} of ${plural(all.length, 'agent')}`;
    empty.hidden = shown.length > 0;
    empty.querySelector('.empty-title').textContent = all.length ? 'No agents match' : 'No agents registered';
  }

  return { update };
}

function searchable(agent) {
  return [agent.agent_id, agent.hostname, agent.ip, agent.sidecar_peer_id, ...(agent.capabilities?.skills ?? [])].join(' ').toLowerCase();
}

function agentCard(agent) {
  const skills = agent.capabilities?.skills ?? [];
  const registered = toMillis(agent.registered_at);
  const address = [agent.ip, agent.port].filter((part) => part !== '' && part !== undefined).join(':');
  return h('a', { class: `agent-card glass health--${agent.health}`, href: `#/agents/${encodeURIComponent(agent.agent_id)}`, dataset: { agentId: agent.agent_id } },
    h('div', { class: 'agent-card-head' },
      h('h2', { class: 'agent-name', text: agent.agent_id, title: agent.agent_id }),
      healthPill(agent.health)),
    h('p', { class: 'agent-host' },
      h('span', { text: agent.hostname || 'unknown host' }),
      address ? h('span', { class: 'mono muted', text: ` · ${address}` }) : null),
    h('p', { class: 'agent-peer' }, h('span', { class: 'muted', text: 'peer ' }), h('span', { class: 'mono', text: agent.sidecar_peer_id || '—' })),
    chips(skills, { limit: 5, empty: 'no skills' }),
    h('div', { class: 'agent-card-foot' },
      h('span', {}, h('span', { class: 'muted', text: 'Heartbeat ' }), liveTime.ago(h('span', { class: 'agent-heartbeat' }), toMillis(agent.last_heartbeat))),
      h('span', {}, h('span', { class: 'muted', text: 'Up ' }),
        agent.health === 'offline' ? h('span', { text: '—' }) : liveTime.age(h('span', { class: 'agent-uptime' }), registered))));
}
