// Entry point: sign-in, the hash router, the live connection and its indicator, and rendering.
import { Session, AuthError, RateLimitError } from './session.js';
import { createApi } from './api.js';
import { createStore, summarize } from './store.js';
import { startLive } from './live.js';
import { createDrawer } from './drawer.js';
import { startTimeTicker, countdown, dateTime } from './format.js';
import { createOverview } from './views/overview.js';
import { createAgentsView } from './views/agents.js';
import { createAgentPanel } from './views/agent-panel.js';
import { createTasksView } from './views/tasks.js';
import { createTaskPanel } from './views/task-panel.js';
import { createTopologyView } from './views/topology.js';
import { createApprovalsView } from './views/approvals.js';
import { createKeysView } from './views/keys.js';

const VIEWS = ['overview', 'agents', 'tasks', 'topology', 'approvals', 'keys'];
const session = new Session();

function showLogin(message) {
  document.getElementById('app').hidden = true;
  const login = document.getElementById('login');
  const form = document.getElementById('login-form');
  const keyInput = document.getElementById('login-key');
  const error = document.getElementById('login-error');
  const submit = document.getElementById('login-submit');
  login.hidden = false;
  error.hidden = !message;
  error.textContent = message ?? '';
  keyInput.focus();
  form.onsubmit = async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      await session.signIn(keyInput.value.trim());
      keyInput.value = '';
      login.hidden = true;
      enterApp();
    } catch (failure) {
      // A 429 (too many failed attempts from this address) says how long to wait, from its Retry-After.
      error.textContent = failure instanceof AuthError ? `Sign-in refused: ${failure.message}`
        : failure instanceof RateLimitError ? failure.message
          : 'The registry could not be reached. Try again.';
      error.hidden = false;
      keyInput.select();
    } finally {
      submit.disabled = false;
    }
  };
}

function enterApp() {
  const app = document.getElementById('app');
  app.hidden = false;
  document.getElementById('login').hidden = true;
  const who = session.identity;
  document.body.dataset.role = who?.role ?? 'unknown';
  document.getElementById('identity').textContent = who ? `${who.peer_id} · ${who.role === 'hub' ? 'read-only' : who.role}` : '';
  for (const el of document.querySelectorAll('[data-admin-only]')) el.hidden = !session.isAdmin;

  const api = createApi(session);
  const store = createStore();
  const context = (view) => ({ root: document.getElementById(`view-${view}`), api, store, session });
  const views = {
    overview: createOverview(context('overview')),
    agents: createAgentsView(context('agents')),
    tasks: createTasksView(context('tasks')),
    topology: createTopologyView(context('topology')),
    approvals: createApprovalsView(context('approvals')),
    keys: createKeysView(context('keys')),
  };
  let route = parseRoute();
  let previousView = null;

  const drawer = createDrawer({
    onClose: (closedKey) => {
      // Closing the drawer goes back to the list, unless the route already moved on (Back, another link).
      const current = parseRoute();
      if (current.id && panelKey(current) === closedKey) location.hash = `#/${current.view}`;
    },
  });

  // Several events often arrive together; render once per frame at most.
  let renderQueued = false;
  const render = () => {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(() => {
      renderQueued = false;
      views[route.view].update(store.state);
      drawer.update(store.state);
      updateCounts(store.state);
    }, 16);
  };
  store.subscribe(render);

  function applyRoute() {
    route = parseRoute();
    for (const section of document.querySelectorAll('.view')) section.hidden = section.dataset.view !== route.view;
    for (const tab of document.querySelectorAll('.tab')) {
      if (tab.dataset.view !== route.view) {
        tab.removeAttribute('aria-current');
        continue;
      }
      tab.setAttribute('aria-current', 'page');
      // On a phone the tab strip scrolls; keep the current tab in sight.
      tab.parentElement.scrollTo({ left: tab.offsetLeft - tab.parentElement.clientWidth / 2 + tab.offsetWidth / 2 });
    }
    document.title = `${route.view[0].toUpperCase()}${route.view.slice(1)} · chatixia mesh hub`;
    // A view with data outside the event stream (keys) loads it whenever it is opened.
    if (route.view !== previousView) views[route.view].shown?.();
    previousView = route.view;
    views[route.view].update(store.state);
    if (route.id && route.view === 'agents') drawer.show(createAgentPanel({ agentId: route.id, api, store }), store.state);
    else if (route.id && route.view === 'tasks') drawer.show(createTaskPanel({ taskId: route.id, api, store, session }), store.state);
    else drawer.hide();
  }
  window.addEventListener('hashchange', applyRoute);
  applyRoute();
  startTimeTicker();

  const live = startLive({
    session,
    onSnapshot: (data) => store.applySnapshot(data),
    onEvent: (type, data) => store.applyEvent(type, data),
    onStatus: showConnection,
    onAuthRejected: (error) => signOut(`The registry no longer accepts this key (${error.message}).`),
  });

  document.getElementById('sign-out').onclick = () => signOut();

  function signOut(message) {
    live.stop();
    session.signOut();
    if (message) sessionStorage.setItem('chatixia.hub.notice', message);
    // A fresh page drops every view and piece of data of the old session.
    location.hash = '';
    location.reload();
  }
}

/** The drawer panel a route shows (see createAgentPanel / createTaskPanel keys). */
function panelKey(route) {
  return `${route.view === 'agents' ? 'agent' : 'task'}:${route.id}`;
}

function parseRoute() {
  const [view, id] = location.hash.replace(/^#\/?/, '').split('/');
  let decoded = null;
  try { decoded = id ? decodeURIComponent(id) : null; } catch { /* a malformed link shows the list */ }
  return { view: VIEWS.includes(view) ? view : 'overview', id: decoded };
}

function updateCounts(state) {
  const s = summarize(state);
  const set = (name, text) => { const el = document.querySelector(`[data-count="${name}"]`); if (el) el.textContent = text; };
  set('agents', state.agents.size ? `${s.health.active}/${s.agentsTotal}` : '');
  const inFlight = s.tasks.pending + s.tasks.assigned;
  set('tasks', inFlight ? String(inFlight) : '');
  set('approvals', s.waiting ? String(s.waiting) : '');
}

/** The connection indicator says only what is true: "Live" only once a snapshot has arrived. */
let connectionTicker = null;
function showConnection(status) {
  const box = document.getElementById('connection');
  const text = document.getElementById('connection-text');
  box.dataset.state = status.state;
  document.body.dataset.connection = status.state;
  clearInterval(connectionTicker);
  const describe = () => {
    switch (status.state) {
      case 'live': return 'Live';
      case 'connecting': return 'Connecting…';
      case 'reconnecting': {
        if (!status.retryAt) return `Reconnecting… (attempt ${status.attempt + 1})`;
        const wait = countdown(status.retryAt);
        return wait === 'expired' ? 'Reconnecting…' : `Offline · retrying in ${wait}`;
      }
      default: return 'Disconnected';
    }
  };
  text.textContent = describe();
  box.title = status.state === 'live' ? `Live since ${dateTime(status.since)}` : status.reason ? `Last problem: ${status.reason}` : '';
  if (status.state === 'reconnecting' && status.retryAt) connectionTicker = setInterval(() => { text.textContent = describe(); }, 1000);
}

// Boot: a key kept in this tab resumes the session; a notice left by a sign-out (e.g. the key stopped
// working) is shown once on the login screen.
const notice = sessionStorage.getItem('chatixia.hub.notice');
sessionStorage.removeItem('chatixia.hub.notice');
if (session.hasKey) enterApp();
else showLogin(notice ?? undefined);
