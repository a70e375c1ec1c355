// One agent's details and a chat with it. A chat message is a `user_intervention` task targeted at the
// agent; its answer is the task's result, which arrives as a live task event. While the agent's LLM writes
// it, task_progress events show the answer so far in the reply bubble.
import { h, syncList } from '../dom.js';
import { healthPill, chips, detailList, mono, toast } from '../components.js';
import { liveTime, toMillis, dateTime, prettyJSON } from '../format.js';

export const CHAT_SKILL = 'user_intervention';
export const CHAT_SOURCE = 'hub-user';

export function createAgentPanel({ agentId, api, store }) {
  const details = h('div', { class: 'agent-details' });
  const transcript = h('ol', { class: 'chat-log', attrs: { 'aria-live': 'polite', 'aria-label': `Conversation with ${agentId}` } });
  const chatEmpty = h('p', { class: 'muted chat-empty', text: 'Send a prompt; the agent answers through the task queue.' });
  const input = h('textarea', { name: 'message', rows: 2, required: true, placeholder: `Message ${agentId}…`, attrs: { 'aria-label': `Message to ${agentId}` } });
  const send = h('button', { class: 'button button--primary', type: 'submit', text: 'Send' });
  const form = h('form', { class: 'chat-form' }, input, send);
  const notFound = h('p', { class: 'form-error', hidden: true, text: 'This agent is no longer registered.' });

  input.addEventListener('keydown', (event) => {
    // Enter sends, Shift+Enter makes a new line (as in chat apps).
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const message = input.value.trim();
    if (!message) return;
    send.disabled = true;
    try {
      const { task_id: taskId } = await api.submitTask({ skill: CHAT_SKILL, target_agent_id: agentId, source_agent_id: CHAT_SOURCE, payload: { message }, ttl: 300 });
      input.value = '';
      // The live event normally brings the task; fetching it covers a stream that is reconnecting.
      api.task(taskId).then((task) => store.upsertTask(task)).catch(() => {});
    } catch (error) {
      toast(`Message not sent: ${error.message}`, 'error');
    } finally {
      send.disabled = false;
      input.focus();
    }
  });

  const body = h('div', { class: 'agent-panel' },
    notFound,
    details,
    h('section', { class: 'chat', attrs: { 'aria-labelledby': 'h-chat' } },
      h('h3', { id: 'h-chat', class: 'section-title', text: 'Chat' }),
      transcript, chatEmpty, form));

  function update(state) {
    const agent = state.agents.get(agentId);
    notFound.hidden = Boolean(agent) || !state.synced;
    if (agent) details.replaceChildren(agentDetails(agent, state.topology));

    const conversation = [...state.tasks.values()]
      .filter((t) => t.skill === CHAT_SKILL && t.target_agent_id === agentId && t.source_agent_id === CHAT_SOURCE)
      .sort((a, b) => a.created_at - b.created_at);
    const wasAtBottom = transcript.scrollTop + transcript.clientHeight >= transcript.scrollHeight - 8;
    // The streamed answer so far is written into its bubble in place below, so each piece does not rebuild the exchange.
    const writing = (t) => state.progress.get(t.id) ?? '';
    syncList(transcript, conversation, {
      key: (t) => t.id,
      signature: (t) => `${t.state}|${t.updated_at}|${writing(t) ? 'writing' : ''}`,
      render: (t) => chatExchange(t, writing(t)),
    });
    for (const text of transcript.querySelectorAll('.bubble--writing .bubble-text')) {
      const sofar = state.progress.get(text.closest('.chat-exchange').dataset.taskId);
      if (sofar && text.textContent !== sofar) text.textContent = sofar;
    }
    chatEmpty.hidden = conversation.length > 0;
    if (wasAtBottom) transcript.scrollTop = transcript.scrollHeight;
  }

  return { key: `agent:${agentId}`, eyebrow: 'Agent', title: agentId, body, update, initialFocus: input };
}

function agentDetails(agent, topology) {
  const node = topology.nodes.find((n) => n.agent_id === agent.agent_id);
  // Links are reported by sidecar peer id; name the agent behind each where one is registered.
  const agentOfPeer = new Map(topology.nodes.filter((n) => n.sidecar_peer_id).map((n) => [n.sidecar_peer_id, n.agent_id]));
  const caps = agent.capabilities ?? {};
  return h('div', {},
    h('div', { class: 'agent-panel-status' }, healthPill(agent.health),
      h('span', { class: 'muted' }, 'heartbeat ', liveTime.ago(h('span'), toMillis(agent.last_heartbeat)))),
    detailList([
      ['Host', agent.hostname],
      ['Address', [agent.ip, agent.port].filter((v) => v !== '' && v !== undefined).join(':')],
      ['Peer id', mono(agent.sidecar_peer_id)],
      ['Mode', agent.mode || caps.mode],
      ['Status', agent.status],
      ['Registered', dateTime(toMillis(agent.registered_at))],
      ['Uptime', agent.health === 'offline' ? '—' : liveTime.age(h('span'), toMillis(agent.registered_at))],
      ['Goals', String(caps.goals_count ?? 0)],
    ]),
    h('h3', { class: 'section-title', text: 'Skills' }), chips(caps.skills, { empty: 'no skills' }),
    h('h3', { class: 'section-title', text: 'MCP servers' }), chips(caps.mcp_servers, { empty: 'none' }),
    h('h3', { class: 'section-title', text: 'Mesh links' }), chips((node?.mesh_peers ?? []).map((peer) => agentOfPeer.get(peer) ?? peer), { empty: 'no open DataChannels reported' }));
}

/**
 * A prompt and, once the task settles, the agent's answer (or why it failed, or who canceled it). While the
 * agent writes, `writing` is its answer so far.
 */
function chatExchange(task, writing) {
  const prompt = typeof task.payload?.message === 'string' ? task.payload.message : prettyJSON(task.payload);
  let reply;
  if (task.state === 'completed') {
    reply = h('div', { class: 'bubble bubble--agent', dataset: { taskState: 'completed' } }, h('p', { class: 'bubble-text', text: task.result || '(empty answer)' }));
  } else if (task.state === 'failed') {
    reply = h('div', { class: 'bubble bubble--error', dataset: { taskState: 'failed' } }, h('p', { class: 'bubble-text', text: task.error || 'failed' }));
  } else if (task.state === 'canceled') {
    // Canceled before the agent answered: say so (and by whom), never leave it looking like it is still waiting.
    reply = h('div', { class: 'bubble bubble--canceled', dataset: { taskState: 'canceled' } }, h('p', { class: 'bubble-text', text: task.error || 'canceled' }));
  } else if (writing) {
    // aria-busy: screen readers wait for the finished answer instead of reading every piece.
    reply = h('div', { class: 'bubble bubble--agent bubble--writing', dataset: { taskState: task.state }, attrs: { 'aria-busy': 'true' } },
      h('p', { class: 'bubble-text', text: writing }),
      h('span', { class: 'typing', attrs: { 'aria-hidden': 'true' } }, h('span'), h('span'), h('span')));
  } else {
    reply = h('div', { class: 'bubble bubble--waiting', dataset: { taskState: task.state } },
      h('span', { class: 'typing', attrs: { 'aria-hidden': 'true' } }, h('span'), h('span'), h('span')),
      h('span', { class: 'muted', text: task.state === 'assigned' ? 'The agent is working on it…' : 'Waiting for the agent to pick it up…' }));
  }
  return h('li', { class: 'chat-exchange', dataset: { taskId: task.id } },
    h('div', { class: 'bubble bubble--user' }, h('p', { class: 'bubble-text', text: prompt })),
    reply,
    h('p', { class: 'chat-meta muted' },
      h('a', { href: `#/tasks/${encodeURIComponent(task.id)}`, class: 'mono', text: task.id }), ' · ',
      liveTime.ago(h('span'), toMillis(task.created_at))));
}
