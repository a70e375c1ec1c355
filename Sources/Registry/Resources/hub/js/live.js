// The one live connection: a WebSocket to /api/hub/events. It starts with a snapshot and then carries
// every change, so nothing polls. When it drops (e.g. the registry restarts) it reconnects with
// jittered backoff and a freshly minted JWT, and resyncs from the new snapshot.
import { AuthError, RateLimitError } from './session.js';

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const CONNECT_TIMEOUT_MS = 10000;

/**
 * Status reported to `onStatus`: {state: 'connecting' | 'live' | 'reconnecting' | 'stopped',
 * attempt, retryAt (epoch ms, when reconnecting), since (epoch ms of the current state), reason}.
 */
export function startLive({ session, onSnapshot, onEvent, onStatus, onAuthRejected }) {
  let socket = null;
  let retryTimer = null;
  let failures = 0;
  let stopped = false;

  const report = (state, extra = {}) => onStatus({ state, attempt: failures, since: Date.now(), ...extra });

  async function connect() {
    retryTimer = null;
    report(failures ? 'reconnecting' : 'connecting', { retryAt: null });
    let token;
    try {
      token = await session.token({ fresh: failures > 0 });
    } catch (error) {
      if (error instanceof AuthError) return onAuthRejected(error);
      return scheduleRetry(error instanceof RateLimitError ? error.message : 'the registry is unreachable');
    }
    if (stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/api/hub/events?token=${encodeURIComponent(token)}`);
    socket = ws;
    let synced = false;
    // A socket that neither opens nor fails (a half-dead server) must not hang the indicator on "connecting".
    const stall = setTimeout(() => { if (!synced && socket === ws) ws.close(); }, CONNECT_TIMEOUT_MS);
    ws.addEventListener('message', (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch { return; }
      if (frame?.type === 'snapshot') {
        synced = true;
        failures = 0;
        onSnapshot(frame.data ?? {});
        report('live');
      } else if (synced && typeof frame?.type === 'string') {
        onEvent(frame.type, frame.data ?? {});
      }
    });
    ws.addEventListener('close', (event) => {
      clearTimeout(stall);
      if (socket !== ws || stopped) return;
      socket = null;
      scheduleRetry(event.reason || (synced ? 'connection lost' : 'could not connect'));
    });
  }

  function scheduleRetry(reason) {
    if (stopped) return;
    const base = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
    failures += 1;
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    retryTimer = setTimeout(connect, delay);
    report('reconnecting', { retryAt: Date.now() + delay, reason });
  }

  // Coming back online is worth an immediate try rather than waiting out the backoff.
  const retryNow = () => {
    if (stopped || socket || !retryTimer) return;
    clearTimeout(retryTimer);
    connect();
  };
  window.addEventListener('online', retryNow);

  connect();

  return {
    retryNow,
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      window.removeEventListener('online', retryNow);
      socket?.close(1000, 'signed out');
      socket = null;
      report('stopped');
    },
  };
}
