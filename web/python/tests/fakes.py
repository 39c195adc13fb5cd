"""Stand-ins for what the lab's Python modules get from Pyodide and from JavaScript, so
that they run under a machine's CPython (3.13, as close as there is to Pyodide's 3.14).

pyodide.ffi here: to_js and create_proxy hand values back as they are; run_sync settles a
FakePromise by running the emulated threads that are ready (see Scheduler) or waiting out
a timer. The modules load under the names worker.js gives them (playground_pool, ...)."""

import collections
import importlib.util
import pathlib
import sys
import time
import types

HERE = pathlib.Path(__file__).resolve().parent
PY_DIR = HERE.parent
REAL_SLEEP = time.sleep


class FakePromise:
    def __init__(self):
        self.settled = False

    def resolve(self, *_):
        self.settled = True

    def done(self):
        return self.settled


class Race(FakePromise):
    """playgroundRace: a timer against another promise."""

    def __init__(self, ms, other):
        super().__init__()
        self.deadline = time.monotonic() + ms / 1000.0
        self.other = other

    def done(self):
        return self.settled or self.other.done() or time.monotonic() >= self.deadline


class Scheduler:
    """Emulated threads without JSPI: a spawned thread runs, to its end or its own wait,
    when some stack waits in run_sync. Stacks nest, so a thread can only wait for what the
    threads started after it do; enough for what the tests ask."""

    def __init__(self):
        self.ready = collections.deque()
        self.can_run_sync = True

    def spawn(self, fn):
        self.ready.append(fn)

    def run_sync(self, promise):
        if not isinstance(promise, FakePromise):
            return promise  # what a fake JS function returned directly
        while not promise.done():
            if self.ready:
                self.ready.popleft()()
            elif isinstance(promise, Race):
                REAL_SLEEP(max(0.0, min(0.005, promise.deadline - time.monotonic())))
            else:
                raise RuntimeError("fake scheduler: nothing left to run can settle this promise")
        return None


SCHEDULER = Scheduler()


class PromiseConstructor:
    @staticmethod
    def withResolvers():
        promise = FakePromise()
        return types.SimpleNamespace(promise=promise, resolve=promise.resolve)


def threads_host(stack_switching=True):
    """What threads-host.js gives threads.py."""
    return types.SimpleNamespace(
        Promise=PromiseConstructor,
        playgroundSpawn=SCHEDULER.spawn,
        playgroundStackSwitching=stack_switching,
        playgroundRace=lambda ms, other: Race(ms, other),
        playgroundWhenIdle=IDLE.append,
        playgroundWhileIdle=lambda fn: None,
    )


# What threads.py asked to be called once JavaScript runs again (playgroundWhenIdle); the
# tests call them.
IDLE = []


class JsBytes:
    """A Uint8Array as Python sees it: to_bytes() gives the bytes."""

    def __init__(self, data):
        self._data = bytes(data)

    def to_bytes(self):
        return self._data


def _install_pyodide():
    if "pyodide.ffi" in sys.modules:
        return
    pyodide = types.ModuleType("pyodide")
    pyodide.__path__ = []  # a package, without webloop: runtime.py then keeps time.sleep
    ffi = types.ModuleType("pyodide.ffi")
    ffi.to_js = lambda value, **_: value
    ffi.create_proxy = lambda fn, **_: fn
    ffi.run_sync = lambda promise: SCHEDULER.run_sync(promise)
    ffi.can_run_sync = lambda: SCHEDULER.can_run_sync
    pyodide.ffi = ffi
    sys.modules["pyodide"] = pyodide
    sys.modules["pyodide.ffi"] = ffi


def load():
    """(runtime, pool, threads), loaded once as Pyodide's worker loads them."""
    _install_pyodide()
    loaded = []
    for name, file in (("playground_pool", "pool.py"), ("playground_threads", "threads.py"), ("playground_runtime", "runtime.py")):
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, PY_DIR / file)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        loaded.append(module)
    pool, threads, runtime = loaded
    return runtime, pool, threads


class Emitted:
    """The emit callback runtime.run gets, keeping what the program wrote."""

    def __init__(self):
        self.chunks = []

    def __call__(self, stream, text):
        self.chunks.append((stream, text))

    def text(self, stream):
        return "".join(t for s, t in self.chunks if s == stream)
