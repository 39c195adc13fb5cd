// The messages between the page, the Python lab's worker and a process pool's children,
// as protocol.json writes them down. Every role checks what it receives against it, and
// the Rust side's tests check its message types against the same file.

import PROTOCOL from './protocol.json' with { type: 'json' };

export { PROTOCOL };
export const POOL_LIMIT = PROTOCOL.constants.poolLimit;
export const DIRECTIONS = Object.freeze(['pageToWorker', 'workerToPage', 'parentToChild', 'childToParent', 'workerToTicker', 'tickerToWorker', 'workerToSnapshotMaker', 'snapshotMakerToWorker']);

const KINDS = {
  string: (v) => typeof v === 'string',
  // Run ids, sizes and slots are plain finite numbers (JSON has no other kind).
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  array: (v) => Array.isArray(v),
  object: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  // These exist only where the platform has them (SharedArrayBuffer needs isolation).
  SharedArrayBuffer: (v) => typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer,
  MessagePort: (v) => typeof MessagePort === 'function' && v instanceof MessagePort,
  Uint8Array: (v) => v instanceof Uint8Array,
};

/** The fields of each message type in `direction`: name -> { kind, required }. */
function fieldsOf(spec, direction) {
  const types = spec[direction];
  if (!types) throw new Error(`protocol: no direction ${direction}`);
  const out = new Map();
  for (const [type, fields] of Object.entries(types)) {
    const parsed = new Map();
    for (const [raw, kind] of Object.entries(fields)) {
      if (!KINDS[kind]) throw new Error(`protocol: ${direction}.${type}.${raw} has an unknown kind ${kind}`);
      const required = !raw.endsWith('?');
      parsed.set(required ? raw : raw.slice(0, -1), { kind, required });
    }
    out.set(type, parsed);
  }
  return out;
}

/**
 * A checker for one direction of `spec` (protocol.json unless given): returns null for a
 * message that fits, or what is wrong with it. Fields the protocol does not name are
 * wrong too, so that the two sides cannot drift apart unnoticed.
 */
export function checker(direction, spec = PROTOCOL) {
  const types = fieldsOf(spec, direction);
  return (message) => {
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      return `a message must be an object, not ${message === null ? 'null' : Array.isArray(message) ? 'an array' : typeof message}`;
    }
    const fields = types.get(message.type);
    if (!fields) return `unknown message type ${JSON.stringify(message.type)} (${direction})`;
    for (const [name, { kind, required }] of fields) {
      if (!(name in message) || message[name] === undefined) {
        if (required) return `${message.type}: the field ${name} is missing`;
        continue;
      }
      if (!KINDS[kind](message[name])) return `${message.type}: the field ${name} is not a ${kind}`;
    }
    for (const name of Object.keys(message)) {
      if (name !== 'type' && !fields.has(name)) return `${message.type}: unknown field ${name}`;
    }
    return null;
  };
}

/** What to tell the other side about `error` (an Error's message, or the thing itself). */
export function errorText(error) {
  return String(error && error.message ? error.message : error);
}
