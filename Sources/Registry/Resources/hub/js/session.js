// The signed-in operator: the API key lives in sessionStorage (this tab only, gone when it closes)
// and is exchanged for a 5-minute JWT that is re-minted shortly before it runs out.

const KEY_ITEM = 'chatixia.hub.key';
const WHO_ITEM = 'chatixia.hub.identity';
/** Mint a new JWT when the current one has less than this left. */
const REFRESH_MARGIN_MS = 60_000;

export class AuthError extends Error {}

/** The registry refused to mint for now (429: too many attempts from this address); `retryAfter` in seconds, or null. */
export class RateLimitError extends Error {
  constructor(retryAfter) {
    super(retryAfter ? `Too many attempts; retry in ${retryAfter} s.` : 'Too many attempts; retry later.');
    this.retryAfter = retryAfter;
  }
}

export class Session {
  #token = null;
  #expiresAt = 0;
  #minting = null;

  /** Whether a key was stored in this tab (a reload keeps the session). */
  get hasKey() { return Boolean(sessionStorage.getItem(KEY_ITEM)); }

  /** {peer_id, role} from the last successful exchange. */
  get identity() {
    try { return JSON.parse(sessionStorage.getItem(WHO_ITEM) ?? 'null'); } catch { return null; }
  }

  get isAdmin() { return this.identity?.role === 'admin'; }

  /** Checks a key by exchanging it; keeps it only if the registry accepts it for the hub. */
  async signIn(key) {
    const minted = await mint(key);
    if (minted.role !== 'admin' && minted.role !== 'hub') {
      throw new AuthError(`this key has role '${minted.role}'; the hub needs an admin or hub key`);
    }
    sessionStorage.setItem(KEY_ITEM, key);
    this.#remember(minted);
  }

  signOut() {
    sessionStorage.removeItem(KEY_ITEM);
    sessionStorage.removeItem(WHO_ITEM);
    this.#token = null;
    this.#expiresAt = 0;
  }

  /** A JWT with at least a minute left; `fresh` forces a new one (e.g. after a registry restart). */
  async token({ fresh = false } = {}) {
    if (!fresh && this.#token && Date.now() < this.#expiresAt - REFRESH_MARGIN_MS) return this.#token;
    // Concurrent callers share one exchange.
    this.#minting ??= this.#mintWithStoredKey().finally(() => { this.#minting = null; });
    return this.#minting;
  }

  async #mintWithStoredKey() {
    const key = sessionStorage.getItem(KEY_ITEM);
    if (!key) throw new AuthError('signed out');
    const minted = await mint(key);
    this.#remember(minted);
    return minted.token;
  }

  #remember(minted) {
    this.#token = minted.token;
    this.#expiresAt = Date.now() + (minted.expires_in ?? 300) * 1000;
    sessionStorage.setItem(WHO_ITEM, JSON.stringify({ peer_id: minted.peer_id, role: minted.role }));
  }
}

/**
 * POST /api/token; an AuthError means the key itself was refused, a RateLimitError that this address must
 * wait (e.g. after many wrong keys), anything else is transient.
 */
async function mint(key) {
  const response = await fetch('/api/token', { method: 'POST', headers: { 'x-api-key': key }, cache: 'no-store' });
  if (response.status === 401 || response.status === 403) {
    throw new AuthError(await errorMessage(response, 'the registry refused this key'));
  }
  if (response.status === 429) throw new RateLimitError(retryAfterSeconds(response.headers.get('retry-after')));
  if (!response.ok) throw new Error(await errorMessage(response, `token exchange failed (${response.status})`));
  return response.json();
}

/** A Retry-After header (delay in seconds, or an HTTP date) as whole seconds from now; null if absent or unreadable. */
export function retryAfterSeconds(header, now = Date.now()) {
  const text = header?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Math.max(1, Number(text));
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(1, Math.ceil((at - now) / 1000)) : null;
}

export async function errorMessage(response, fallback) {
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string' && body.error) return body.error;
  } catch { /* not JSON */ }
  return fallback;
}
