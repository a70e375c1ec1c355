// The registry's REST API, always with a fresh Bearer JWT. Live data comes from the event stream
// (live.js); these calls are for actions and one-off lookups.
import { AuthError, errorMessage } from './session.js';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function createApi(session) {
  async function request(method, path, body, retried = false) {
    const token = await session.token({ fresh: retried });
    const headers = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, {
        method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'the registry is unreachable');
    }
    // A JWT can be refused after a registry restart with a new secret: mint once more and retry.
    if (response.status === 401 && !retried) return request(method, path, body, true);
    if (response.status === 401) throw new AuthError(await errorMessage(response, 'not signed in'));
    if (!response.ok) throw new ApiError(response.status, await errorMessage(response, `${method} ${path} failed (${response.status})`));
    return response.json();
  }

  const id = (value) => encodeURIComponent(value);
  return {
    agents: () => request('GET', '/api/registry/agents'),
    tasks: () => request('GET', '/api/hub/tasks/all'),
    task: (taskId) => request('GET', `/api/hub/tasks/${id(taskId)}`),
    /** {skill, target_agent_id, source_agent_id, payload, ttl} → {task_id} */
    submitTask: (submission) => request('POST', '/api/hub/tasks', submission),
    /** The submitter or an admin: a pending or assigned task → canceled; answers the task (409 once it has finished). */
    cancelTask: (taskId) => request('POST', `/api/hub/tasks/${id(taskId)}/cancel`),
    topology: () => request('GET', '/api/hub/network/topology'),
    generateInviteCode: () => request('POST', '/api/pairing/generate-code'),
    pairingEntries: () => request('GET', '/api/pairing/all'),
    approve: (entryId) => request('POST', `/api/pairing/${id(entryId)}/approve`),
    reject: (entryId) => request('POST', `/api/pairing/${id(entryId)}/reject`),
    revoke: (entryId) => request('POST', `/api/pairing/${id(entryId)}/revoke`),
    /** Admin: API keys without their secrets. */
    keys: () => request('GET', '/api/keys'),
    /** Admin: {peer_id, role, label} → the new key's record with `key`, the secret, shown this once. */
    createKey: (body) => request('POST', '/api/keys', body),
    revokeKey: (keyId) => request('DELETE', `/api/keys/${id(keyId)}`),
  };
}
