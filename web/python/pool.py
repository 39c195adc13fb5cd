"""Process pools for the Python lab: ProcessPoolExecutor, multiprocessing.Pool and
cpu_count, on child Web Workers that each run their own Pyodide.

CPython's spawn start method is the model. A child is its own interpreter with its own
GIL; it runs the user's program as the module __mp_main__ (so the `if __name__ ==
"__main__":` block does not run there), and a task crosses as a pickled
concurrent.futures.process._CallItem, so a function travels by its qualified name and a
lambda fails with pickle's own error. Results and exceptions come back pickled, an
exception with its child traceback as __cause__, exactly as concurrent.futures.process
does it (its _ExceptionWithTraceback is reused).

The parent blocks in Atomics.wait (pool-parent.js) while children work; starting children
needs the parent's event loop, so that wait suspends WebAssembly instead (run_sync).
Where neither is possible the pool runs its tasks one after another in this interpreter,
still pickling both ways, so a program gets the same results and the same errors.
"""

import concurrent.futures as cf
import concurrent.futures.process as cfp
import io
import itertools
import multiprocessing
import multiprocessing.pool
import multiprocessing.process
import multiprocessing.spawn
import os
import pickle
import sys
import traceback

# CPython's words for a pool whose worker died (concurrent.futures.process).
BROKEN = "A process in the process pool was terminated abruptly while the future was running or pending."

_js = None  # pool-parent.js's functions (see its api()); None in a child
_hub = None  # the current run's dispatcher, in the parent
_originals = {}


def _describe_call(fn, args):
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    shown = ", ".join(_short_repr(a) for a in args)
    text = f"{name}({shown})"
    return text if len(text) <= 60 else text[:57] + "..."


def _short_repr(value):
    if isinstance(value, (list, tuple, dict, set, bytes, str)) and len(value) > 8:
        return f"<{type(value).__name__} of {len(value):,}>"
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


class _Item:
    __slots__ = ("pool", "payload", "future", "label", "pickle_ms", "dispatched", "done")

    def __init__(self, pool, payload, future, label, pickle_ms):
        self.pool = pool
        self.payload = payload
        self.future = future
        self.label = label
        self.pickle_ms = pickle_ms
        self.dispatched = None
        self.done = False

    def settle(self, ok, value):
        self.done = True
        self.future.finished_at = next(_finish_order)
        if self.future.cancelled():
            return
        if ok:
            self.future.set_result(value)
        else:
            self.future.set_exception(value)

    @property
    def cancelled(self):
        return self.future.cancelled()


class _Hub:
    """One run's dispatcher: the queue of pickled calls, which child runs which, and the
    record the timeline draws (times in ms from the run's start)."""

    def __init__(self, emit_stdout, source):
        self.emit_stdout = emit_stdout
        self.source = source
        self.parallel = bool(_js is not None and _js.parallel)
        self.reason = None if self.parallel else (str(_js.reason) if _js is not None else "no pool support")
        self.t0 = _js.now() if _js is not None else 0.0
        self.queue = []
        self.running = {}  # child -> item
        self.children = []  # started children, by index
        self.broken = None
        self.startups = []
        self.tasks = []
        self.asked = 0

    def now(self):
        return _js.now() - self.t0

    def start(self, count):
        """Children 0..count-1 started and holding this run's program as __mp_main__."""
        self.asked = max(self.asked, count)
        if not self.parallel:
            return list(range(count))
        limit = int(_js.limit)
        wanted = min(count, limit)
        if wanted > len(self.children):
            from pyodide.ffi import run_sync

            try:
                reports = run_sync(_js.ensure(wanted, self.source))
            except Exception as exc:
                if "stopped" in str(exc):  # Stop pressed while they started
                    raise KeyboardInterrupt from None
                self.broken = f"the child interpreters did not start: {exc}"
                return []
            for report in reports:
                child = int(report.child)
                if report.output:
                    self.emit_stdout(str(report.output))
                self.startups.append({
                    "child": child,
                    "start": round(float(report.asked) - self.t0, 3),
                    "end": round(float(report.loaded) - self.t0, 3),
                    "cold": bool(report.cold),
                })
                if report.error:
                    sys.stderr.write(str(report.error))
                    self.broken = "A child process terminated abruptly, the process pool is not usable anymore"
            self.children = list(range(wanted))
        return list(range(wanted))

    def submit(self, item):
        self.queue.append(item)
        self.dispatch()
        return item

    def dispatch(self):
        if not self.parallel:
            return
        for child in range(len(self.children)):
            if child in self.running:
                continue
            item = self._next_for(child)
            if item is None:
                continue
            from pyodide.ffi import to_js

            self.running[child] = item
            item.dispatched = self.now()
            _js.dispatch(child, to_js(item.payload))

    def _next_for(self, child):
        for i, item in enumerate(self.queue):
            if child < item.pool._child_count:
                del self.queue[i]
                # As CPython moves a call to its queue: from then on cancel() is refused.
                if item.future.set_running_or_notify_cancel():
                    return item
                item.done = True
                return self._next_for(child)
        return None

    def busy(self):
        return bool(self.running) or any(not i.cancelled for i in self.queue)

    def _drop_cancelled(self):
        for item in self.queue:
            if item.cancelled:
                item.done = True
        self.queue = [i for i in self.queue if not i.done]

    def pump(self, timeout_ms=-1):
        """Waits for at least one task to finish and settles it. False when nothing is
        left to wait for or the time ran out."""
        self._drop_cancelled()
        if not self.parallel:
            if not self.queue:
                return False
            item = self.queue.pop(0)
            if item.future.set_running_or_notify_cancel():
                self._run_here(item)
            else:
                item.done = True
            return True
        if not self.running:
            self.dispatch()
            if not self.running:
                return False
        results = _js.wait(timeout_ms)
        if results is None:
            # Stop, like Ctrl-C in a terminal, reaches the children too: they are ended,
            # so that leaving the with block does not wait for their tasks.
            self.break_pool()
            raise KeyboardInterrupt
        if len(results) == 0:
            return False
        for r in results:
            child = int(r.child)
            if r.crashed:
                # A child that failed outside Python, or died, busy or not: as when a
                # CPython worker process dies, the pool is broken.
                sys.stderr.write(f"child interpreter {child + 1} failed: {r.crashed}\n")
                self.break_pool()
                continue
            item = self.running.pop(child, None)
            if item is None:
                continue
            received = self.now()
            data = r.data.to_bytes()
            if r.output:
                self.emit_stdout(str(r.output))
            self._settle(item, bool(r.ok), data, child, {
                "start": round(float(r.started) - self.t0, 3),
                "end": round(float(r.ended) - self.t0, 3),
                "unpickleMs": round(float(r.unpickleMs), 3),
                "pickleMs": round(float(r.pickleMs), 3),
                "received": received,
            })
        self.dispatch()
        return True

    def _settle(self, item, ok, data, child, times):
        started = self.now()
        try:
            value = pickle.loads(data)
        except Exception as exc:  # a result that does not unpickle here (Stop's KeyboardInterrupt goes on)
            ok, value = False, exc
        unpickled = self.now() - started
        dispatched = item.dispatched if item.dispatched is not None else times["start"]
        self.tasks.append({
            "child": child,
            "label": item.label,
            "dispatch": round(dispatched, 3),
            "argPickleMs": round(item.pickle_ms, 3),
            "start": times["start"],
            "end": times["end"],
            "childUnpickleMs": times["unpickleMs"],
            "resultPickleMs": times["pickleMs"],
            "received": round(times["received"], 3),
            "resultUnpickleMs": round(unpickled, 3),
            "ok": ok and not isinstance(value, BaseException),
        })
        if ok:
            item.settle(True, value)
        else:
            item.settle(False, value if isinstance(value, BaseException) else RuntimeError(str(value)))

    def _run_here(self, item):
        began = self.now()
        out = io.StringIO()
        ok, data, unpickle_ms, pickle_ms = _call(item.payload, out)
        ended = self.now()
        if out.getvalue():
            self.emit_stdout(out.getvalue())
        self._settle(item, ok, data, 0, {
            "start": round(began + unpickle_ms, 3),
            "end": round(ended - pickle_ms, 3),
            "unpickleMs": unpickle_ms,
            "pickleMs": pickle_ms,
            "received": ended,
        })

    def break_pool(self):
        """What CPython's executor does when a worker process dies: every future running
        or pending fails with BrokenProcessPool, busy children are ended, and the pool
        takes no more tasks."""
        lost = list(self.running.values()) + self.queue
        self.stop_children()
        self.queue = []
        self.broken = BROKEN
        for item in lost:
            if not item.done:
                item.settle(False, cfp.BrokenProcessPool(self.broken))


    def drain(self):
        """What CPython does at exit: a pool's pending tasks run to their end first."""
        while self.busy():
            if not self.pump():
                break

    def stop_children(self):
        if self.parallel and self.running:
            _js.stop_busy()
            self.running.clear()
            self.children = []

    def report(self):
        if not self.startups and not self.tasks and not self.asked:
            return None
        return {
            "parallel": self.parallel,
            "reason": self.reason,
            "asked": self.asked,
            "startups": self.startups,
            "tasks": self.tasks,
        }


def _call(payload, out):
    """Runs one pickled call, in a child or (without children) here: what the child side
    of CPython's _process_worker does. Returns (ok, pickled result or exception, ms to
    unpickle the call, ms to pickle its result)."""
    import time

    t = time.perf_counter()
    saved = sys.stdout
    try:
        call = pickle.loads(payload)
        unpickle_ms = (time.perf_counter() - t) * 1000
        sys.stdout = out
        try:
            result = call.fn(*call.args, **call.kwargs)
        finally:
            sys.stdout = saved
        t = time.perf_counter()
        data = pickle.dumps(result)
        return True, data, unpickle_ms, (time.perf_counter() - t) * 1000
    except BaseException as exc:
        # As CPython's _process_worker: whatever the call raised (SystemExit and
        # KeyboardInterrupt too) is its result, sent back to the future.
        sys.stdout = saved
        unpickle_ms = locals().get("unpickle_ms", 0.0)
        t = time.perf_counter()
        try:
            data = pickle.dumps(cfp._ExceptionWithTraceback(exc, exc.__traceback__))
        except Exception as again:  # an exception that does not pickle: its repr instead
            data = pickle.dumps(cfp._ExceptionWithTraceback(RuntimeError(repr(again)), again.__traceback__))
        return False, data, unpickle_ms, (time.perf_counter() - t) * 1000


class _PoolFuture(cf.Future):
    """A Future whose waits drive the pool: this interpreter has one thread, so whoever
    waits is the one who collects the children's answers."""

    def __init__(self):
        super().__init__()
        self.finished_at = None

    def _wait(self, timeout):
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done():
            left = -1 if deadline is None else max(0.0, deadline - time.monotonic()) * 1000
            if _hub is None or not _hub.pump(left):
                if deadline is not None and time.monotonic() >= deadline:
                    return
                if _hub is None or not _hub.busy():
                    return

    def result(self, timeout=None):
        self._wait(timeout)
        return super().result(timeout=0)

    def exception(self, timeout=None):
        self._wait(timeout)
        return super().exception(timeout=0)


_finish_order = itertools.count()


class ProcessPoolExecutor(cf.Executor):
    """concurrent.futures.ProcessPoolExecutor on the lab's child interpreters."""

    _pool_ids = itertools.count(1)

    def __init__(self, max_workers=None, mp_context=None, initializer=None, initargs=(), *, max_tasks_per_child=None):
        if max_workers is None:
            max_workers = os.cpu_count() or 1
        elif max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        if max_tasks_per_child is not None and (not isinstance(max_tasks_per_child, int) or max_tasks_per_child <= 0):
            raise ValueError("max_tasks_per_child must be >= 1")
        self._max_workers = max_workers
        self._initializer = initializer
        self._initargs = initargs
        self._child_count = 0
        self._shutdown_thread = False
        self._items = []
        self._id = next(self._pool_ids)

    def _ensure_children(self):
        if self._child_count == 0:
            self._child_count = max(1, len(_hub.start(self._max_workers)))

    def submit(self, fn, /, *args, **kwargs):
        if _hub is None:
            # In a child: CPython's own error for a pool started while main is imported.
            multiprocessing.spawn._check_not_importing_main()
            raise RuntimeError("a task in a child interpreter cannot start a process pool of its own here")
        if _hub.broken:
            raise cfp.BrokenProcessPool(_hub.broken)
        if self._shutdown_thread:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future = _PoolFuture()
        import time

        t = time.perf_counter()
        try:
            payload = pickle.dumps(cfp._CallItem(0, _Initialized(self, fn) if self._initializer else fn, args, kwargs))
        except Exception as exc:
            # As CPython's queue feeder reports it: the error with its traceback as the cause.
            exc.__cause__ = cfp._RemoteTraceback("".join(traceback.format_exception(exc)))
            future.set_exception(exc)
            return future
        pickle_ms = (time.perf_counter() - t) * 1000
        self._ensure_children()
        if _hub.broken:
            raise cfp.BrokenProcessPool(_hub.broken)
        item = _Item(self, payload, future, _describe_call(fn, args), pickle_ms)
        self._items.append(item)
        _hub.submit(item)
        return future

    submit.__doc__ = cf.Executor.submit.__doc__

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._shutdown_thread = True
        if cancel_futures:
            for item in self._items:
                if item.dispatched is None:  # not yet given to a child
                    item.future.cancel()
        if wait and _hub is not None:
            while any(not i.done and not i.cancelled for i in self._items):
                if not _hub.pump():
                    break


class _Initialized:
    """A call that runs the pool's initializer first (once per child and pool would need
    per-child state; once per task keeps the effect CPython promises: it has run before the task)."""

    def __init__(self, pool, fn):
        self.init = pool._initializer
        self.initargs = pool._initargs
        self.fn = fn

    def __call__(self, *args, **kwargs):
        self.init(*self.initargs)
        return self.fn(*args, **kwargs)


def as_completed(fs, timeout=None):
    """concurrent.futures.as_completed, which also drives the lab's pools."""
    import time

    fs = set(fs)
    if not any(isinstance(f, _PoolFuture) for f in fs):
        yield from _originals["as_completed"](fs, timeout)
        return
    total = len(fs)
    deadline = None if timeout is None else time.monotonic() + timeout
    pending = set()
    for f in fs:
        if f.done():
            yield f
        else:
            pending.add(f)
    while pending:
        left = -1 if deadline is None else (deadline - time.monotonic()) * 1000
        if deadline is not None and left <= 0:
            raise TimeoutError(f"{len(pending)} (of {total}) futures unfinished")
        progressed = _hub.pump(left) if _hub is not None else False
        done = sorted((f for f in pending if f.done()), key=lambda f: getattr(f, "finished_at", None) or 0)
        for f in done:
            pending.discard(f)
            yield f
        if not progressed and not done and (deadline is None) and not (_hub and _hub.busy()):
            # Futures from elsewhere that nothing here will ever finish.
            yield from _originals["as_completed"](pending, timeout)
            return


def wait(fs, timeout=None, return_when=cf.ALL_COMPLETED):
    """concurrent.futures.wait, which also drives the lab's pools."""
    import time

    fs = set(fs)
    if not any(isinstance(f, _PoolFuture) for f in fs):
        return _originals["wait"](fs, timeout, return_when)
    deadline = None if timeout is None else time.monotonic() + timeout

    def enough():
        done = {f for f in fs if f.done()}
        if return_when == cf.FIRST_COMPLETED and done:
            return True
        if return_when == cf.FIRST_EXCEPTION and any(not f.cancelled() and f._exception is not None for f in done):
            return True
        return len(done) == len(fs)

    while not enough():
        left = -1 if deadline is None else (deadline - time.monotonic()) * 1000
        if deadline is not None and left <= 0:
            break
        if _hub is None or not _hub.pump(left):
            if not (_hub and _hub.busy()):
                break
    done = {f for f in fs if f.done()}
    return cf._base.DoneAndNotDoneFutures(done, fs - done)


class AsyncResult:
    """multiprocessing.pool.AsyncResult over one future (or a list of them, for map_async)."""

    def __init__(self, futures, single, callback=None, error_callback=None):
        self._futures = futures
        self._single = single
        self._callback = callback
        self._error_callback = error_callback
        self._called = False

    def ready(self):
        return all(f.done() for f in self._futures)

    def successful(self):
        if not self.ready():
            raise ValueError(f"{self!r} not ready")
        return all(not f.cancelled() and f._exception is None for f in self._futures)

    def wait(self, timeout=None):
        wait(self._futures, timeout)

    def get(self, timeout=None):
        self.wait(timeout)
        if not self.ready():
            raise multiprocessing.TimeoutError
        try:
            values = [f.result(0) for f in self._futures]
        except BaseException as exc:  # re-raised below, after the error callback
            if self._error_callback and not self._called:
                self._called = True
                self._error_callback(exc)
            raise
        value = values[0] if self._single else values
        if self._callback and not self._called:
            self._called = True
            self._callback(value)
        return value


class Pool:
    """multiprocessing.Pool on the lab's child interpreters: map, imap, imap_unordered,
    starmap, apply and their _async forms. One task per item (CPython sends chunks)."""

    def __init__(self, processes=None, initializer=None, initargs=(), maxtasksperchild=None, context=None):
        if processes is None:
            processes = os.cpu_count() or 1
        if processes < 1:
            raise ValueError("Number of processes must be at least 1")
        self._processes = processes
        self._executor = ProcessPoolExecutor(processes, initializer=initializer, initargs=initargs)
        self._state = "RUN"

    def __repr__(self):
        return f"<multiprocessing.pool.Pool state={self._state} pool_size={self._processes}>"

    def _check_running(self):
        if self._state != "RUN":
            raise ValueError("Pool not running")

    def _submit_all(self, func, argses, star):
        self._check_running()
        return [self._executor.submit(func, *args) if star else self._executor.submit(func, args) for args in argses]

    def apply_async(self, func, args=(), kwds={}, callback=None, error_callback=None):
        self._check_running()
        return AsyncResult([self._executor.submit(func, *args, **kwds)], True, callback, error_callback)

    def apply(self, func, args=(), kwds={}):
        return self.apply_async(func, args, kwds).get()

    def map_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        return AsyncResult(self._submit_all(func, list(iterable), False), False, callback, error_callback)

    def map(self, func, iterable, chunksize=None):
        return self.map_async(func, iterable, chunksize).get()

    def starmap_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        return AsyncResult(self._submit_all(func, list(iterable), True), False, callback, error_callback)

    def starmap(self, func, iterable, chunksize=None):
        return self.starmap_async(func, iterable, chunksize).get()

    def imap(self, func, iterable, chunksize=1):
        futures = self._submit_all(func, list(iterable), False)
        return (f.result() for f in futures)

    def imap_unordered(self, func, iterable, chunksize=1):
        futures = self._submit_all(func, list(iterable), False)
        return (f.result() for f in as_completed(futures))

    def close(self):
        if self._state == "RUN":
            self._state = "CLOSE"

    def terminate(self):
        self._state = "TERMINATE"
        self._executor.shutdown(wait=False, cancel_futures=True)

    def join(self):
        if self._state == "RUN":
            raise ValueError("Pool is still running")
        if self._state == "CLOSE":
            self._executor.shutdown(wait=True)

    def __enter__(self):
        self._check_running()
        return self

    def __exit__(self, *exc):
        self.terminate()


def _cpu_count():
    return int(_js.cpus) if _js is not None else _originals["os.cpu_count"]()


def install(js):
    """Puts the lab's pools where programs import them from (once per interpreter)."""
    global _js
    _js = js
    if _originals:
        return
    _originals["as_completed"] = cf.as_completed
    _originals["wait"] = cf.wait
    _originals["os.cpu_count"] = os.cpu_count
    for module in (cf, cfp):
        module.ProcessPoolExecutor = ProcessPoolExecutor
    cf.as_completed = as_completed
    cf.wait = wait
    cf._base.as_completed = as_completed
    cf._base.wait = wait
    multiprocessing.Pool = Pool
    multiprocessing.pool.Pool = Pool
    multiprocessing.pool.AsyncResult = AsyncResult
    multiprocessing.cpu_count = _cpu_count
    os.cpu_count = _cpu_count
    if hasattr(os, "process_cpu_count"):
        os.process_cpu_count = _cpu_count


def begin_run(emit_stdout, source):
    global _hub
    _hub = _Hub(emit_stdout, source) if _js is not None else None


def end_run(stopped):
    """The run's pool record, and what interrupted the end of the run or None. As at a
    CPython program's exit, tasks still pending run to their end first, unless the run was
    stopped; then busy children are ended."""
    global _hub
    hub = _hub
    if hub is None:
        return None, None
    error = None
    try:
        if not stopped:
            hub.drain()
    except BaseException as exc:  # Stop during that wait: runtime.py makes it the run's end
        error = exc
    finally:
        _hub = None
        hub.stop_children()
    return hub.report(), error


# ---- the child's side ------------------------------------------------------------


def child_load(source):
    """Runs the program as __mp_main__, as spawn does in a new process: `if __name__ ==
    "__main__":` is false here. Returns (error traceback or "", what it printed)."""
    import linecache
    import types

    module = types.ModuleType("__mp_main__")
    module.__file__ = "main.py"
    module.__builtins__ = __builtins__
    sys.modules["__mp_main__"] = module
    sys.modules["__main__"] = module
    linecache.cache["main.py"] = (len(source), None, source.splitlines(True), "main.py")
    out = io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout = out
    process = multiprocessing.process.current_process()
    process._inheriting = True
    from pyodide.ffi import to_js

    try:
        exec(compile(source, "main.py", "exec", dont_inherit=True), module.__dict__)
        return to_js(["", out.getvalue()])
    except BaseException as exc:  # the program failed to import here (sys.exit too): the parent reports it
        return to_js(["".join(traceback.format_exception(exc)), out.getvalue()])
    finally:
        process._inheriting = False
        sys.stdout, sys.stderr = saved


def child_run(payload):
    """One task: returns [ok, pickled result, printed text, unpickle ms, pickle ms]."""
    from pyodide.ffi import to_js

    out = io.StringIO()
    ok, data, unpickle_ms, pickle_ms = _call(payload.to_bytes(), out)
    return to_js([ok, data, out.getvalue(), unpickle_ms, pickle_ms])
