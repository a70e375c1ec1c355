// What the dashboard knows about the mesh: replaced whole by each snapshot from the event stream,
// then patched by its change events. Views read it and subscribe to changes.

/** Every task state, in lifecycle order: `pending → assigned → completed | failed`, `input_required` while a skill
 * waits for its submitter's answer, `rejected` by its skill, and `canceled` by its submitter or an admin. */
export const TASK_STATES = ['pending', 'assigned', 'input_required', 'completed', 'failed', 'rejected', 'canceled'];
/** States a task never leaves. */
export const FINAL_TASK_STATES = new Set(['completed', 'failed', 'rejected', 'canceled']);

export function createStore() {
  const state = {
    /** @type {Map<string, object>} agent_id → agent record */
    agents: new Map(),
    /** @type {Map<string, object>} task id → task */
    tasks: new Map(),
    topology: { nodes: [], mesh_edges: [] },
    /** @type {Map<string, object> | null} entry id → pairing entry; null when the role may not see pairing */
    pairing: null,
    /**
     * @type {Map<string, string>} task id → the whole answer so far of a task its agent is writing
     * (task_progress events; never in snapshots). Dropped once the task is final or gone.
     */
    progress: new Map(),
    /** Whether a snapshot has arrived since the page loaded. */
    synced: false,
  };
  const listeners = new Set();
  const notify = (what) => { for (const listener of listeners) listener(what); };
  const byKey = (items, key) => new Map((items ?? []).map((item) => [item[key], item]));

  return {
    state,
    subscribe(listener) { listeners.add(listener); return () => listeners.delete(listener); },

    /** A snapshot is the whole truth: anything not in it is gone (e.g. after a registry restart). */
    applySnapshot({ agents, tasks, topology, pairing }) {
      state.agents = byKey(agents, 'agent_id');
      state.tasks = byKey(tasks, 'id');
      // Progress is not in snapshots: keep what was heard for tasks still in flight, drop the rest.
      for (const id of state.progress.keys()) {
        const task = state.tasks.get(id);
        if (!task || FINAL_TASK_STATES.has(task.state)) state.progress.delete(id);
      }
      state.topology = normalizeTopology(topology);
      state.pairing = Array.isArray(pairing) ? byKey(pairing, 'id') : null;
      state.synced = true;
      notify('snapshot');
    },

    applyEvent(type, data) {
      switch (type) {
        case 'agent': state.agents.set(data.agent_id, data); break;
        case 'agent_removed': state.agents.delete(data.agent_id); break;
        case 'task': this.upsertTask(data); return;
        case 'task_progress': this.setProgress(data); return;
        case 'pairing': this.upsertPairing(data); return;
        case 'topology': state.topology = normalizeTopology(data); break;
        default: return; // a newer registry may send types this hub does not know yet
      }
      notify(type);
    },

    upsertTask(task) {
      const known = state.tasks.get(task.id);
      // Events and REST answers can cross; never let an older copy overwrite a newer one.
      if (known && (known.updated_at ?? 0) > (task.updated_at ?? 0)) return;
      state.tasks.set(task.id, task);
      // The final result (or error) replaces whatever was streamed.
      if (FINAL_TASK_STATES.has(task.state)) state.progress.delete(task.id);
      notify('task');
    },

    /** The whole answer so far of a task in flight (each event replaces the last); ignored for unknown or final tasks. */
    setProgress({ task_id: id, text }) {
      if (typeof id !== 'string' || typeof text !== 'string') return;
      const task = state.tasks.get(id);
      if (!task || FINAL_TASK_STATES.has(task.state) || state.progress.get(id) === text) return;
      state.progress.set(id, text);
      notify('task_progress');
    },

    upsertPairing(entry) {
      if (!state.pairing) return;
      const known = state.pairing.get(entry.id);
      if (known && (known.updated_at ?? 0) > (entry.updated_at ?? 0)) return;
      state.pairing.set(entry.id, { ...known, ...entry });
      notify('pairing');
    },
  };
}

function normalizeTopology(topology) {
  return { nodes: topology?.nodes ?? [], mesh_edges: topology?.mesh_edges ?? [] };
}

/** Counts the overview and the tab badges need. */
export function summarize(state) {
  const health = { active: 0, stale: 0, offline: 0 };
  for (const agent of state.agents.values()) if (agent.health in health) health[agent.health] += 1;
  const tasks = Object.fromEntries(TASK_STATES.map((name) => [name, 0]));
  for (const task of state.tasks.values()) if (task.state in tasks) tasks[task.state] += 1;
  let waiting = null;
  if (state.pairing) {
    waiting = 0;
    for (const entry of state.pairing.values()) if (entry.status === 'pending_approval') waiting += 1;
  }
  return { health, agentsTotal: state.agents.size, tasks, tasksTotal: state.tasks.size, waiting, mesh: meshHealth(state.topology) };
}

/**
 * Mesh health: observed DataChannels between active sidecars against a full mesh of them
 * (ADR-002: every sidecar connects to every other).
 */
export function meshHealth(topology) {
  const active = new Set(topology.nodes.filter((n) => n.health === 'active' && n.sidecar_peer_id).map((n) => n.sidecar_peer_id));
  const expected = (active.size * (active.size - 1)) / 2;
  let observed = 0;
  for (const edge of topology.mesh_edges) if (active.has(edge.from_peer) && active.has(edge.to_peer)) observed += 1;
  return { activePeers: active.size, expected, observed, edges: topology.mesh_edges.length, ratio: expected ? observed / expected : null };
}
