// What threads.py asks of JavaScript (its install(js) gets this object): an emulated
// thread's own stack (callPromising, so that it can be suspended), and the timer its
// sleeps and time slices wait on. A thread starts in a microtask and a zero-length wait is
// a message, not setTimeout(0): the browser makes nested timeouts wait 4 ms, which would
// make starting a thread slower than a 1 ms sleep.

export function createThreadsHost(stackSwitching) {
  const immediate = new MessageChannel();
  const immediateQueue = [];
  immediate.port1.onmessage = () => immediateQueue.shift()?.();
  const timer = (ms) =>
    new Promise((resolve) => {
      if (ms > 0) {
        setTimeout(resolve, ms);
      } else {
        immediateQueue.push(resolve);
        immediate.port2.postMessage(0);
      }
    });
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
    playgroundTimer: timer,
  };
}
