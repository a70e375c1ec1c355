// Human-readable times. Registry timestamps are RFC 3339 strings (agents) or epoch seconds (tasks,
// pairing); everything here works in epoch milliseconds.

/** RFC 3339 string or epoch seconds to epoch ms; NaN when unknown. */
export function toMillis(value) {
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string' && value) return Date.parse(value);
  return NaN;
}

/** A span of seconds as "850 ms", "42 s", "3 m 05 s", "2 h 10 m", "3 d 4 h". */
export function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.floor(seconds)} s`;
  const s = Math.floor(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** How long ago, e.g. "just now", "12 s ago", "5 m ago". */
export function ago(ms, now = Date.now()) {
  if (!Number.isFinite(ms)) return 'never';
  const seconds = Math.max(0, (now - ms) / 1000);
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${Math.floor(seconds)} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** Remaining time as m:ss, "expired" at zero. */
export function countdown(untilMs, now = Date.now()) {
  const left = Math.ceil((untilMs - now) / 1000);
  if (left <= 0) return 'expired';
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}

/** Local date and time for tooltips and detail lists. */
export function dateTime(ms) {
  if (!Number.isFinite(ms)) return '—';
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** "1 agent", "3 agents". */
export function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Pretty JSON for payloads; strings are shown as they are. */
export function prettyJSON(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  try { return JSON.stringify(value, null, 2); } catch { return String(value); }
}

/** Text that varies with time: the element carries data-since / data-until and the ticker updates it. */
export const liveTime = {
  ago: (el, ms) => mark(el, 'ago', ms),
  age: (el, ms) => mark(el, 'age', ms),
  countdown: (el, ms) => mark(el, 'countdown', ms),
};

function mark(el, kind, ms) {
  el.dataset.time = kind;
  el.dataset.ms = String(ms);
  renderTime(el, Date.now());
  if (Number.isFinite(ms)) el.title = dateTime(ms);
  return el;
}

function renderTime(el, now) {
  const ms = Number(el.dataset.ms);
  switch (el.dataset.time) {
    case 'ago': el.textContent = ago(ms, now); break;
    case 'age': el.textContent = Number.isFinite(ms) ? duration((now - ms) / 1000) : '—'; break;
    case 'countdown': {
      const text = countdown(ms, now);
      el.textContent = text;
      el.dataset.expired = String(text === 'expired');
      break;
    }
  }
}

/** Refreshes every time-dependent text once a second (a local clock, not a network poll). */
export function startTimeTicker(root = document) {
  const tick = () => {
    const now = Date.now();
    for (const el of root.querySelectorAll('[data-time]')) renderTime(el, now);
  };
  return setInterval(tick, 1000);
}
