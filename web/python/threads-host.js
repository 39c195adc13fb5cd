// What threads.py asks of JavaScript (its install(js) gets this object): an emulated
// thread's own stack (callPromising, so that it can be suspended), the timer its
// sleeps and time slices wait on, and the ticker (ticker.js) that lets it switch a busy
// thread, when the page has shared memory. A thread starts in a microtask and a zero-length wait is
// a message, not setTimeout(0): the browser makes nested timeouts wait 4 ms, which would
// make starting a thread slower than a 1 ms sleep.

export function createThreadsHost(stackSwitching, ticker = null) {
  const immediate = new MessageChannel();
  const immediateQueue = [];
  let idleWatch;
  immediate.port1.onmessage = () => immediateQueue.shift()?.();
  const soon = (fn) => {
    immediateQueue.push(fn);
    immediate.port2.postMessage(0);
  };
  const timer = (ms) => new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : soon(resolve)));
  return {
    // threads.py makes its promises with Promise.withResolvers.
    Promise,
    playgroundSpawn: (fn) => {
      queueMicrotask(() => {
        fn.callPromising()
          .catch((error) => console.error('emulated thread failed', error))
          .finally(() => fn.destroy());
      });
    },
    // What threads.py checks before it emulates a thread.
    playgroundStackSwitching: stackSwitching,
    playgroundRace: (ms, other) => Promise.race([timer(ms), other]),
    // Calls `fn` (a Python function) once JavaScript runs again: no stack holds the
    // interpreter then (threads.py, _resume_parked).
    playgroundWhenIdle: (fn) => soon(() => fn()),
    // Calls `fn` every few milliseconds that JavaScript runs, while threads are alive;
    // `fn` null stops it (threads.py, _javascript_runs).
    playgroundWhileIdle: (fn) => {
      clearInterval(idleWatch);
      idleWatch = fn ? setInterval(() => fn(), 2) : undefined;
    },
    playgroundTimer: timer,
    // threads.py raises `signal` at every tick while threads are alive; says whether it ticks.
    playgroundCanTick: ticker !== null,
    playgroundTicking: (on, signal) => {
      if (ticker === null) return false;
      if (on) ticker.start(signal);
      else ticker.stop();
      return on;
    },
  };
}
