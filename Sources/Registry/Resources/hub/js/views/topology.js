// Topology: the observed mesh (edges come from sidecars' mesh_status reports) as an SVG graph on a
// circle, which stays readable up to ~50 agents: nodes are evenly spaced, labels point outwards, and
// focusing or hovering a node highlights its links.
import { h, svg, setChildren } from '../dom.js';
import { emptyState, viewHeader, healthPill, chips } from '../components.js';
import { meshHealth } from '../store.js';
import { plural } from '../format.js';

const LABEL_MAX = 20;

export function createTopologyView({ root }) {
  const canvas = h('div', { class: 'topology-canvas' });
  const summary = h('dl', { class: 'details details--stacked' });
  const selection = h('div', { class: 'topology-selection' });
  const empty = emptyState('No agents to draw', 'The graph fills in as agents register and their sidecars report open channels.');
  let drawnSignature = null;
  let nodesByKey = new Map();
  let pinned = null;

  root.append(
    viewHeader('h-topology', 'Topology', 'Observed DataChannels between sidecars, as they report them.'),
    h('div', { class: 'topology' },
      h('div', { class: 'panel glass topology-graph' }, canvas, empty),
      h('aside', { class: 'panel glass topology-side', attrs: { 'aria-label': 'Topology summary' } },
        h('h2', { class: 'panel-title', text: 'Mesh' }), summary,
        h('ul', { class: 'legend legend--column' },
          ['active', 'stale', 'offline', 'unknown'].map((kind) => h('li', { class: `legend-item legend-item--${kind}` },
            h('span', { class: 'legend-swatch', attrs: { 'aria-hidden': 'true' } }),
            kind === 'unknown' ? 'peer without a registered agent' : kind))),
        h('h2', { class: 'panel-title', text: 'Selected' }), selection)));

  function update(state) {
    const graph = buildGraph(state.topology);
    const mesh = meshHealth(state.topology);
    summary.replaceChildren(
      h('dt', { text: 'Agents' }), h('dd', { text: String(state.topology.nodes.length) }),
      h('dt', { text: 'Observed links' }), h('dd', { dataset: { stat: 'edges' }, text: String(graph.edges.length) }),
      h('dt', { text: 'Full-mesh coverage' }), h('dd', { text: mesh.ratio === null ? '—' : `${Math.round(mesh.ratio * 100)}% (${mesh.observed} of ${mesh.expected} links)` }));
    empty.hidden = graph.nodes.length > 0;

    const signature = JSON.stringify([graph.nodes.map((n) => [n.key, n.health, n.label, n.agentId]), graph.edges.map((e) => [e.a, e.b])]);
    if (signature !== drawnSignature) {
      drawnSignature = signature;
      const focusedKey = document.activeElement?.closest?.('.topology-canvas .node')?.dataset.key;
      nodesByKey = new Map(graph.nodes.map((n) => [n.key, n]));
      setChildren(canvas, graph.nodes.length > 0 && draw(graph, { onSelect: select, onPin: (key) => { pinned = key; select(key); } }));
      // When the graph is wider than its panel (a phone), start with its centre in view.
      canvas.parentElement.scrollLeft = (canvas.parentElement.scrollWidth - canvas.parentElement.clientWidth) / 2;
      if (focusedKey) canvas.querySelector(`.node[data-key="${CSS.escape(focusedKey)}"]`)?.focus();
      if (pinned && !nodesByKey.has(pinned)) pinned = null;
    }
    select(pinned);
  }

  /** Highlights a node's links and describes it in the side panel; null clears back to the pinned node. */
  function select(key) {
    const shown = key ?? pinned;
    const svgRoot = canvas.querySelector('svg');
    svgRoot?.classList.toggle('has-selection', Boolean(shown));
    for (const el of canvas.querySelectorAll('.is-selected, .is-linked')) el.classList.remove('is-selected', 'is-linked');
    const node = shown && nodesByKey.get(shown);
    if (!node) {
      selection.replaceChildren(h('p', { class: 'muted', text: 'Hover, focus or click a node to see its links.' }));
      return;
    }
    canvas.querySelector(`.node[data-key="${CSS.escape(node.key)}"]`)?.classList.add('is-selected');
    for (const edge of canvas.querySelectorAll(`.edge[data-a="${CSS.escape(node.key)}"], .edge[data-b="${CSS.escape(node.key)}"]`)) {
      edge.classList.add('is-linked');
      const other = edge.dataset.a === node.key ? edge.dataset.b : edge.dataset.a;
      canvas.querySelector(`.node[data-key="${CSS.escape(other)}"]`)?.classList.add('is-linked');
    }
    setChildren(selection,
      h('p', { class: 'selection-name', text: node.label }),
      node.agentId ? healthPill(node.health) : h('span', { class: 'pill pill--unknown', text: 'unregistered peer' }),
      h('p', { class: 'muted mono selection-peer', text: node.peer || 'no sidecar peer id' }),
      h('p', { class: 'muted', text: plural(node.links.length, 'link') }),
      chips(node.links.map((k) => nodesByKey.get(k)?.label ?? k), { limit: 12, empty: 'no open channels' }),
      node.agentId ? h('a', { class: 'button button--ghost button--small', href: `#/agents/${encodeURIComponent(node.agentId)}`, text: 'Open agent' }) : null);
  }

  return { update };
}

/**
 * Nodes keyed by sidecar peer id (what edges name); agents without one get their own key. Peers that
 * appear only in edges are drawn too, as unregistered, so no reported channel is hidden.
 */
function buildGraph(topology) {
  const nodes = [];
  const byPeer = new Map();
  for (const agent of topology.nodes) {
    const key = agent.sidecar_peer_id ? `peer:${agent.sidecar_peer_id}` : `agent:${agent.agent_id}`;
    if (agent.sidecar_peer_id && byPeer.has(agent.sidecar_peer_id)) continue; // two agents claiming one sidecar: draw the first
    const node = { key, agentId: agent.agent_id, label: agent.agent_id, peer: agent.sidecar_peer_id, health: agent.health, links: [] };
    nodes.push(node);
    if (agent.sidecar_peer_id) byPeer.set(agent.sidecar_peer_id, node);
  }
  const edges = [];
  for (const { from_peer: from, to_peer: to } of topology.mesh_edges) {
    const ends = [from, to].map((peer) => {
      if (!byPeer.has(peer)) {
        const node = { key: `peer:${peer}`, agentId: null, label: peer, peer, health: 'unknown', links: [] };
        nodes.push(node);
        byPeer.set(peer, node);
      }
      return byPeer.get(peer);
    });
    if (ends[0] === ends[1]) continue;
    ends[0].links.push(ends[1].key);
    ends[1].links.push(ends[0].key);
    edges.push({ a: ends[0].key, b: ends[1].key });
  }
  return { nodes, edges };
}

function draw(graph, { onSelect, onPin }) {
  const n = graph.nodes.length;
  const radial = n > 14;
  // Even spacing on a circle: ~36 units of arc per node keeps 50 nodes apart.
  const ring = n === 1 ? 0 : Math.max(150, (36 * n) / (2 * Math.PI));
  const nodeRadius = n > 30 ? 9 : 12;
  const margin = radial ? 150 : 110;
  const extent = ring + margin;
  const place = new Map(graph.nodes.map((node, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return [node.key, { x: ring * Math.cos(angle), y: ring * Math.sin(angle), angle }];
  }));

  const edgeLayer = svg('g', { class: 'edges' });
  for (const edge of graph.edges) {
    const a = place.get(edge.a);
    const b = place.get(edge.b);
    // Bowing each link towards the centre keeps the ring's edge area clear, as in chord diagrams.
    const cx = ((a.x + b.x) / 2) * 0.45;
    const cy = ((a.y + b.y) / 2) * 0.45;
    edgeLayer.append(svg('path', { class: 'edge', d: `M${fx(a.x)} ${fx(a.y)} Q${fx(cx)} ${fx(cy)} ${fx(b.x)} ${fx(b.y)}`, 'data-a': edge.a, 'data-b': edge.b }));
  }

  const nodeLayer = svg('g', { class: 'nodes' });
  for (const node of graph.nodes) {
    const { x, y, angle } = place.get(node.key);
    const label = node.label.length > LABEL_MAX ? `${node.label.slice(0, LABEL_MAX - 1)}…` : node.label;
    const description = `${node.label}, ${node.agentId ? node.health : 'unregistered peer'}, ${plural(node.links.length, 'link')}`;
    const shape = node.agentId
      ? svg('a', { class: `node node--${node.health}`, href: `#/agents/${encodeURIComponent(node.agentId)}`, 'aria-label': description, 'data-key': node.key })
      : svg('g', { class: 'node node--unknown', tabindex: 0, role: 'img', 'aria-label': description, 'data-key': node.key });
    shape.append(
      svg('title', {}, description),
      svg('circle', { class: 'node-halo', cx: fx(x), cy: fx(y), r: nodeRadius + 6 }),
      svg('circle', { class: 'node-dot', cx: fx(x), cy: fx(y), r: nodeRadius }),
      labelFor(label, { x, y, angle, radial, gap: nodeRadius + 8, single: n === 1 }));
    shape.addEventListener('mouseenter', () => onSelect(node.key));
    shape.addEventListener('mouseleave', () => onSelect(null));
    shape.addEventListener('focus', () => onSelect(node.key));
    shape.addEventListener('blur', () => onSelect(null));
    if (!node.agentId) shape.addEventListener('click', () => onPin(node.key));
    nodeLayer.append(shape);
  }

  return svg('svg', {
    class: 'topology-svg', viewBox: `${fx(-extent)} ${fx(-extent)} ${fx(2 * extent)} ${fx(2 * extent)}`,
    role: 'group', 'aria-label': `Mesh graph: ${plural(n, 'node')}, ${plural(graph.edges.length, 'link')}`,
  }, edgeLayer, nodeLayer);
}

/** Horizontal labels for small graphs; for larger ones, labels along the radius so neighbours never collide. */
function labelFor(text, { x, y, angle, radial, gap, single }) {
  if (single) return svg('text', { class: 'node-label', x: 0, y: gap + 14, 'text-anchor': 'middle' }, text);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  if (!radial) {
    const anchor = Math.abs(cos) < 0.3 ? 'middle' : cos > 0 ? 'start' : 'end';
    const lx = x + cos * gap;
    const ly = y + sin * gap + (Math.abs(cos) < 0.3 ? (sin > 0 ? 12 : -4) : 4);
    return svg('text', { class: 'node-label', x: fx(lx), y: fx(ly), 'text-anchor': anchor }, text);
  }
  const onLeft = cos < 0;
  const degrees = (angle * 180) / Math.PI + (onLeft ? 180 : 0);
  const lx = x + cos * gap;
  const ly = y + sin * gap;
  return svg('text', {
    class: 'node-label', x: fx(lx), y: fx(ly), dy: '0.35em', 'text-anchor': onLeft ? 'end' : 'start',
    transform: `rotate(${fx(degrees)} ${fx(lx)} ${fx(ly)})`,
  }, text);
}

const fx = (value) => Math.round(value * 10) / 10;
