// The shared memory between a process pool's parent and its children (pool-parent.js,
// pool-child.js). Answers come back here rather than as messages because the parent waits
// for them blocked inside Python, where no message is delivered.
//
// Control words: [0] the doorbell, counting answers; for child c, at 4 + 4c:
// [state (IDLE, BUSY, ANSWERED), header bytes, payload bytes]. A child's answer is a JSON
// header followed by the pickled payload, in that child's own growable result buffer.

export const IDLE = 0;
export const BUSY = 1;
export const ANSWERED = 2;
export const RESULT_MAX_BYTES = 256 * 1024 * 1024;
export const slotOf = (index) => 4 + 4 * index;

/**
 * Writes an answer into a child's result buffer and rings the doorbell. A result too big
 * to send back becomes a crash report, as does one the buffer cannot grow for.
 */
export function writeAnswer(words, index, result, header, payload = new Uint8Array(0)) {
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(JSON.stringify(header));
  const need = headerBytes.byteLength + payload.byteLength;
  if (need > result.byteLength) {
    let problem = null;
    if (need > RESULT_MAX_BYTES) {
      problem = `the result took ${need} bytes pickled, more than the ${RESULT_MAX_BYTES} a child can send back`;
    } else {
      try {
        result.grow(need);
      } catch (error) {
        problem = `the result took ${need} bytes pickled, and the memory for them could not be had (${error && error.message ? error.message : error})`;
      }
    }
    if (problem !== null) {
      headerBytes = encoder.encode(JSON.stringify({ ...header, ok: false, crashed: problem, output: '' }));
      payload = new Uint8Array(0);
    }
  }
  const slot = slotOf(index);
  const view = new Uint8Array(result);
  view.set(headerBytes, 0);
  view.set(payload, headerBytes.byteLength);
  words[slot + 1] = headerBytes.byteLength;
  words[slot + 2] = payload.byteLength;
  Atomics.store(words, slot, ANSWERED);
  Atomics.add(words, 0, 1);
  Atomics.notify(words, 0);
}

/** Reads a child's answer and frees its slot; null when it has none. */
export function readAnswer(words, index, result) {
  const slot = slotOf(index);
  if (Atomics.load(words, slot) !== ANSWERED) return null;
  const headerBytes = words[slot + 1];
  const payloadBytes = words[slot + 2];
  const all = new Uint8Array(result, 0, headerBytes + payloadBytes).slice();
  const header = JSON.parse(new TextDecoder().decode(all.subarray(0, headerBytes)));
  Atomics.store(words, slot, IDLE);
  return { header, data: all.subarray(headerBytes) };
}
