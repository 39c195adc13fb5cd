// One first-visit link per lab (relative to the site's root, with run=1), and how to tell
// that its run reached its end from the results JSON. The deploy tests and the Firefox and
// WebKit tiers open each of them in a fresh browser.

export const FIRST_VISITS = Object.freeze([
  {
    lab: 'race',
    link: 'race?preset=bank&mode=exhaustive&run=1',
    check: (j) => j.status === 'done' && j.exhaustive?.outcomes?.length > 0,
  },
  {
    lab: 'threads',
    link: 'threads?preset=convoy&run=1',
    check: (j) => j.status === 'done' && j.threads?.some((t) => t.name === 'io'),
  },
  {
    lab: 'cpu',
    link: 'cpu?mode=parallel&k=2&iters=1000&tasks=2-38,5-50&run=1',
    // The two tasks' results as CPython computes them (tests/09).
    check: (j) => j.status === 'done' && j.tasks?.map((t) => t.result).join() === '1187892022,233359746',
  },
  {
    lab: 'async',
    link: 'async?net=sim&n=4&lat=100&jitter=0&seed=1&mode=gather&k=2&run=1',
    check: (j) => j.status === 'done' && j.requests?.length === 4,
  },
  {
    lab: 'python',
    link: 'python?preset=queue-pipeline&run=1',
    check: (j) => j.status === 'done' && /\[0\.4, 0\.8, 1\.2000000000000002/.test(j.stdout ?? ''),
  },
]);

/** The Python lab's presets each engine runs: asyncio, a process pool and threads. */
export const PYTHON_PRESETS = Object.freeze(['queue-pipeline', 'process-pool-small', 'bank-lock']);

/** A link whose parameters are wrong in their own ways, one of them markup (as tests/04);
 *  its iterations are right, so a run after it is short. */
export const HOSTILE_LINK = 'cpu?k=99999999999999999999&iters=1000&tasks=%3Cscript%3Ealert(1)%3C%2Fscript%3E&mode=warp&bogus=1';
