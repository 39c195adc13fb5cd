"""Threads for the Python lab, emulated inside its one interpreter.

Pyodide's CPython has no threads. With stack switching (JSPI), though, a Python call can
be suspended and resumed later, and several can be suspended at once. So each
threading.Thread here runs as its own suspended stack: started with callPromising,
switched away from at blocking calls (time.sleep, a contended Lock, join, Event.wait).
One stack runs at a time, as one thread holds the GIL.

A busy thread is switched out as CPython 3.10+ switches it: once another thread has
waited for the interpreter for sys.getswitchinterval() without a switch, the holder
gives way at its next eval-breaker check (a loop's jump back, a function's start, the
return from a call), never between a load and a store. The check comes from a signal:
a ticker worker raises SIGUSR1 through Pyodide's interrupt buffer every millisecond
while threads are alive, and CPython runs its handler, _tick, at exactly those checks.
Without shared memory there is no ticker, and a busy thread runs until it blocks.

What is emulated is threading's bottom layer: get_ident, locks, thread handles and
start_joinable_thread, which threading.py builds Thread, Condition, Event, Semaphore,
RLock and Barrier on, and queue.SimpleQueue (whose C version would block the one real
thread). threading.local keys on get_ident (the pure-Python _threading_local).

Each thread's stretches (running, waiting for the interpreter, forced out, asleep,
blocked) are recorded for the lab's timeline (report()).
"""

import queue
import signal
import sys
import threading
import time
from collections import deque

_js = None
_main_ident = threading.get_ident()
_next_ident = _main_ident + 1
# The root frame of each emulated thread's stack (its bootstrap's), and its ident: which
# thread runs is read from the running stack (get_ident), since a stack can come back
# without passing through here (the main thread's asyncio loop, woken by JavaScript).
_stack_roots = {}
_alive = {}  # ident -> handle, started and not done
_started = 0
_generation = 0
_original = {}

# The interpreter is switched only where none of these is on the interrupted stack:
# asyncio's loop and Pyodide's own code break if re-entered from another stack, and this
# module's locks are atomic only because nothing switches inside them.
_NO_SWITCH_DIRS = ("/asyncio/", "/pyodide/", "/_pyodide/")
_NO_SWITCH_FILES = {__file__}  # and runtime.py's and pool.py's: see no_switch_in()
_ROOTS = set()  # code objects at the bottom of a stack: bootstrap, and the runtime's run
_PROGRAM_FILES = set()  # the program's own file names (program_files())
# A record grows with every switch; a run that switches more than this is cut.
MAX_STRETCHES = 100_000


class Aborted(BaseException):
    """Unwinds an emulated thread whose run has ended (Stop, or the program returned)."""


_pending = {}  # every resolver not yet called, so that abort() can wake every stack
_promises_made = 0


def _promise():
    """A promise the current thread will wait on, and what wakes it: the waking marks the
    thread ready, so that the running thread knows someone waits for the interpreter."""
    global _promises_made
    made = _js.Promise.withResolvers()
    owner = get_ident()
    _promises_made += 1
    key = _promises_made
    _pending[key] = made.resolve

    def resolve(*_):
        _record.ready(owner, time.perf_counter())
        _pending.pop(key, None)
        made.resolve()

    return made.promise, resolve


def _suspend(promise, kind, ready_at=None, queue_as=None):
    """Lets the other stacks run until `promise` settles, then carries on as this thread.
    `kind` is what the thread does meanwhile (sleep, block, forced); `ready_at` when it
    will want the interpreter back if nothing wakes it sooner (a sleep's end)."""
    from pyodide.ffi import run_sync

    me, generation = get_ident(), _generation
    _record.stop_running(me, kind, ready_at, time.perf_counter())
    _hand_over()
    if queue_as is not None:
        _forced_out.append(queue_as)
        _js.playgroundWhenIdle(_resume_parked_proxy)
    run_sync(promise)
    _record.start_running(me, time.perf_counter())
    if generation != _generation:
        raise KeyboardInterrupt if me == _main_ident else Aborted()


# Threads switched out by _tick, first out first back, as they wait for the interpreter.
_forced_out = deque()
_parked_look_since = None  # when _resume_parked first found a thread switched out
# How long _resume_parked leaves a switched-out thread for a woken one whose wake-up
# (a timer's, say) JavaScript has not run yet: a few timer delays.
WAKE_GRACE = 0.05
_resume_parked_proxy = None  # _resume_parked as JavaScript calls it (install())
_javascript_runs_proxy = None  # and _javascript_runs
_watching_idle = False


def _hand_over():
    """The running thread lets go of the interpreter: the longest-waiting thread that was
    switched out gets it (others, woken by a timer or a release, may get it first)."""
    global _parked_look_since
    _parked_look_since = None
    if _forced_out:
        _forced_out.popleft()()


def _javascript_runs():
    """Called every few milliseconds that JavaScript runs while threads are alive: then no
    stack holds the interpreter, so one the record has running let JavaScript run by some
    other way than _suspend (asyncio's loop waiting), and is drawn blocked from now."""
    _record.blocked_in_javascript(time.perf_counter())


def _watch_idle(on):
    global _watching_idle
    if on != _watching_idle and _js is not None:
        _js.playgroundWhileIdle(_javascript_runs_proxy if on else None)
        _watching_idle = on


def _resume_parked():
    """JavaScript calls this once it runs after a thread was switched out, so no stack
    holds the interpreter now. The thread that took over usually lets go through
    _suspend, which hands over. But a stack can also let JavaScript run without that:
    the main thread's asyncio loop waiting for a timer or a future, or a pool's wait. A
    CPython thread waiting there has released the GIL, so the switched-out thread goes
    on now, unless another woken thread's wake-up is still to come (it hands over when it
    lets go; this looks again after it, and gives up waiting after WAKE_GRACE)."""
    global _parked_look_since
    if not _forced_out:
        return
    now = time.perf_counter()
    _record.blocked_in_javascript(now)
    if _parked_look_since is None:
        _parked_look_since = now
    if _record.another_woken(now) and now - _parked_look_since < WAKE_GRACE:
        _js.playgroundWhenIdle(_resume_parked_proxy)
        return
    _hand_over()


class ThreadRecord:
    """What each thread did when, for the timeline: stretches of running ("run"), waiting
    for the interpreter after a wake-up ("wait") or after being switched out ("forced"),
    sleeping ("sleep") and blocking on a lock, join or queue ("block")."""

    def __init__(self, t0=None):
        self.t0 = time.perf_counter() if t0 is None else t0
        self.threads = {}  # ident -> entry
        self.order = []
        self.running = None
        self.held_since = self.t0  # when the running thread got the interpreter
        self.switches = 0
        self.forced = 0
        self.stretches = 0
        self.cut = False

    def add(self, ident, name_of, now):
        entry = {"name_of": name_of, "stretches": [], "state": "new", "since": now, "ready_at": now}
        self.threads[ident] = entry
        self.order.append(ident)
        return entry

    def _stretch(self, entry, kind, start, end):
        if end <= start:
            return
        if self.stretches >= MAX_STRETCHES:
            self.cut = True
            return
        self.stretches += 1
        entry["stretches"].append((kind, start - self.t0, end - self.t0))

    def _close(self, entry, now):
        """The stretch a thread is in, up to `now`: a sleep or block that has ended is
        followed by waiting for the interpreter; a new thread waits from its start."""
        state, since, ready_at = entry["state"], entry["since"], entry["ready_at"]
        if state == "run":
            self._stretch(entry, "run", since, now)
        elif state in ("sleep", "block") and ready_at is not None and ready_at < now:
            self._stretch(entry, state, since, max(since, ready_at))
            self._stretch(entry, "wait", max(since, ready_at), now)
        elif state == "new":
            self._stretch(entry, "wait", since, now)
        elif state != "done":
            self._stretch(entry, state, since, now)

    def start_running(self, ident, now):
        entry = self.threads.get(ident)
        if entry is None or (self.running == ident and entry["state"] == "run"):
            return
        if entry["state"] != "run":
            self._close(entry, now)
        if self.running is not None and self.running != ident:
            self.switches += 1
            # One that still runs as far as the record knows let JavaScript run without
            # _suspend (asyncio's loop waiting): it has been blocked since about now.
            self.blocked_in_javascript(now)
        self.running = ident
        self.held_since = now
        entry.update(state="run", since=now, ready_at=None)

    def stop_running(self, ident, kind, ready_at, now):
        entry = self.threads.get(ident)
        if entry is None:
            return
        if entry["state"] == "run":
            self._stretch(entry, "run", entry["since"], now)
        if kind == "forced":
            self.forced += 1
            ready_at = now
        entry.update(state=kind, since=now, ready_at=ready_at)

    def blocked_in_javascript(self, now):
        """JavaScript runs, so the thread the record has running let it: without _suspend
        (asyncio's loop waiting), hence it blocks from now."""
        entry = self.threads.get(self.running)
        if entry is not None and entry["state"] == "run":
            self.stop_running(self.running, "block", None, now)

    def ready(self, ident, now):
        """`ident` was woken: from now it waits for the interpreter."""
        entry = self.threads.get(ident)
        if entry is not None and entry["state"] not in ("run", "done"):
            if entry["ready_at"] is None or entry["ready_at"] > now:
                entry["ready_at"] = now

    def done(self, ident, now):
        entry = self.threads.get(ident)
        if entry is None:
            return
        if entry["state"] == "run":
            self._stretch(entry, "run", entry["since"], now)
        entry.update(state="done", since=now, ready_at=None)
        if self.running == ident:
            self.running = None

    def another_woken(self, now):
        """Whether a thread that is not running, and was not switched out, has been woken
        (or has started) and waits to run."""
        return any(
            entry["state"] in ("new", "sleep", "block") and entry["ready_at"] is not None and entry["ready_at"] <= now
            for entry in self.threads.values()
        )

    def longest_wait(self, now):
        """Since when some thread other than the running one has waited for the
        interpreter without a switch (None if none waits), as CPython's waiter counts."""
        earliest = None
        for ident, entry in self.threads.items():
            if ident == self.running or entry["state"] in ("run", "done"):
                continue
            ready_at = entry["ready_at"]
            if ready_at is not None and ready_at <= now and (earliest is None or ready_at < earliest):
                earliest = ready_at
        return None if earliest is None else max(earliest, self.held_since)

    def report(self, now, preemptive):
        threads = []
        for ident in self.order:
            entry = self.threads[ident]
            self._close(entry, now)
            entry["since"] = now
            threads.append({
                "name": entry["name_of"](),
                "ident": ident,
                "stretches": [[kind, round(a * 1000.0, 3), round(b * 1000.0, 3)] for kind, a, b in entry["stretches"]],
            })
        return {
            "preemptive": preemptive,
            "switchIntervalMs": round(sys.getswitchinterval() * 1000.0, 3),
            "switches": self.switches,
            "forcedSwitches": self.forced,
            "threads": threads,
            "cut": self.cut,
        }


_record = ThreadRecord()
_ticking = False  # whether the ticker raises SIGUSR1 now


def _set_ticking(on):
    global _ticking
    if on != _ticking and preemptive():
        _ticking = bool(_js.playgroundTicking(on, int(signal.SIGUSR1)))


def preemptive():
    """Whether busy threads are switched out here (the page has shared memory)."""
    return _js is not None and bool(getattr(_js, "playgroundCanTick", False))


def _switchable(frame):
    """Whether the interrupted stack may be suspended here (see _NO_SWITCH_DIRS)."""
    while frame is not None:
        code = frame.f_code
        if code in _ROOTS:
            return True
        name = code.co_filename
        if name in _NO_SWITCH_FILES or any(part in name for part in _NO_SWITCH_DIRS):
            return False
        frame = frame.f_back
    return False


def _programs_stack(frame):
    """Whether the interrupted stack is the program's: a thread's, the main one, or an
    asyncio callback that runs the program's code (the main thread's loop), rather than
    a callback JavaScript called for the runtime (_resume_parked, a pool's results) or
    for Pyodide's own waiting (run_sync's futures)."""
    programs = False
    while frame is not None:
        code = frame.f_code
        if code in _ROOTS:
            return True
        if code.co_filename in _NO_SWITCH_FILES:
            return False
        programs = programs or code.co_filename in _PROGRAM_FILES
        frame = frame.f_back
    return programs


def _tick(signum, frame):
    """SIGUSR1 from the ticker, run by CPython at an eval-breaker check: switch this
    thread out if another has waited for the interpreter a whole switch interval."""
    if not _alive:
        _set_ticking(False)
        return
    now = time.perf_counter()
    # A stack that came back without _suspend (asyncio's loop, woken by JavaScript) runs
    # from here as far as the record knows; the runtime's own callbacks are no thread's.
    if _programs_stack(frame):
        _record.start_running(get_ident(), now)
    since = _record.longest_wait(now)
    if since is None or now - since < sys.getswitchinterval():
        return
    from pyodide.ffi import can_run_sync

    if not _switchable(frame) or not can_run_sync():
        return
    promise, resolve = _promise()
    _suspend(promise, "forced", queue_as=resolve)


def _timer(seconds, other=None):
    """What a sleep waits for: the time, or abort(), or `other` (a JS promise), whichever
    comes first. (A promise a JS function returns reaches Python as a future, which
    cannot be handed back to JS; so the race is run in JS.)"""
    if other is None:
        other, _ = _promise()
    return _js.playgroundRace(max(0.0, seconds) * 1000.0, other)


def active():
    return bool(_alive)


def can_start():
    """Whether a thread can be started here and now (stack switching, on a stack that can
    be suspended)."""
    from pyodide.ffi import can_run_sync

    return _js is not None and bool(_js.playgroundStackSwitching) and can_run_sync()


def get_ident():
    """The running thread: the one whose bootstrap is at the bottom of this stack, else
    the main thread."""
    frame = sys._getframe()
    while frame is not None:
        ident = _stack_roots.get(frame)
        if ident is not None:
            return ident
        frame = frame.f_back
    return _main_ident


class _Lock:
    """threading.Lock: a contended acquire suspends this stack until a release."""

    def __init__(self):
        self._locked = False
        self._waiters = deque()

    def acquire(self, blocking=True, timeout=-1):
        if not blocking and timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        if timeout < 0 and timeout != -1:
            raise ValueError("timeout value must be a non-negative number")
        if not self._locked:
            self._locked = True
            return True
        if not blocking:
            return False
        deadline = None if timeout == -1 else time.perf_counter() + timeout
        while self._locked:
            if not _alive and get_ident() == _main_ident:
                if deadline is None:
                    # Nothing else can ever release it: CPython would hang here for good.
                    raise RuntimeError("deadlock: this lock is held and no other thread is running to release it")
                time.sleep(max(0.0, deadline - time.perf_counter()))
                return self.acquire(False)
            promise, resolve = _promise()
            waiter = [resolve]
            self._waiters.append(waiter)
            if deadline is not None:
                left = deadline - time.perf_counter()
                if left <= 0:
                    self._waiters.remove(waiter)
                    return False
                promise = _timer(left, promise)
            try:
                _suspend(promise, "block", ready_at=deadline)
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            if deadline is not None and self._locked and time.perf_counter() >= deadline:
                return False
        self._locked = True
        return True

    def release(self):
        if not self._locked:
            raise RuntimeError("release unlocked lock")
        self._locked = False
        if self._waiters:
            self._waiters.popleft()[0]()

    def locked(self):
        return self._locked

    def _at_fork_reinit(self):
        self._locked = False
        self._waiters.clear()

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked
    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()

    def __repr__(self):
        return f"<{'locked' if self._locked else 'unlocked'} _thread.lock object at {id(self):#x}>"


class _Handle:
    """threading's _ThreadHandle: an emulated thread's ident, and joining it."""

    def __init__(self, ident=None):
        self.ident = ident
        self._done = False
        self._joiners = []

    def is_done(self):
        return self._done

    def _set_done(self):
        self._done = True
        _alive.pop(self.ident, None)
        for resolve in self._joiners:
            resolve()
        self._joiners.clear()

    def join(self, timeout=None):
        if self.ident == get_ident():
            raise RuntimeError("Cannot join current thread")
        deadline = None if timeout is None else time.perf_counter() + timeout
        while not self._done:
            promise, resolve = _promise()
            self._joiners.append(resolve)
            if deadline is not None:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return
                promise = _timer(left, promise)
            _suspend(promise, "block", ready_at=deadline)


def _start_joinable_thread(function, handle=None, daemon=True):
    global _next_ident, _started
    from pyodide.ffi import create_proxy

    if not can_start():
        raise RuntimeError("can't start new thread")
    handle = handle if handle is not None else _Handle()
    ident = _next_ident
    _next_ident += 1
    handle.ident = ident
    _alive[ident] = handle
    _started += 1
    generation = _generation

    # threading's Thread passes its bound _bootstrap: the name is read when the record is,
    # as a program may rename a thread while it runs.
    owner = getattr(function, "__self__", None)
    _record.add(ident, lambda: getattr(owner, "name", None) or f"thread {ident}", time.perf_counter())

    def bootstrap():
        root = sys._getframe()
        _stack_roots[root] = ident
        _record.start_running(ident, time.perf_counter())
        try:
            if generation == _generation:
                function()
        except Aborted:
            pass
        finally:
            del _stack_roots[root]
            handle._set_done()
            _record.done(ident, time.perf_counter())
            _hand_over()

    _ROOTS.add(bootstrap.__code__)
    # threads-host.js destroys the proxy once the stack has returned, not from inside it.
    _js.playgroundSpawn(create_proxy(bootstrap))
    _set_ticking(True)
    _watch_idle(True)
    return handle


def _start_new_thread(function, args, kwargs=None):
    handle = _start_joinable_thread(lambda: function(*args, **(kwargs or {})))
    return handle.ident


def _excepthook(args):
    """CPython delivers Ctrl-C to the main thread only. Here Stop's KeyboardInterrupt lands
    in whichever stack runs; in a thread it ends the run instead (the main thread gets
    KeyboardInterrupt when it resumes), and a thread unwound by the run's end is silent."""
    if issubclass(args.exc_type, KeyboardInterrupt):
        abort()
        return
    if issubclass(args.exc_type, Aborted):
        return
    _original["excepthook"](args)


def _sleep(seconds):
    if not _alive and get_ident() == _main_ident:
        return _original["sleep"](seconds)
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    _suspend(_timer(seconds), "sleep", ready_at=time.perf_counter() + seconds)


def install(js):
    """Puts the emulation under threading (once per interpreter)."""
    global _js, _resume_parked_proxy, _javascript_runs_proxy
    _js = js
    if _original.get("installed"):
        return
    import _thread
    from pyodide.ffi import create_proxy

    _resume_parked_proxy = create_proxy(_resume_parked)
    _javascript_runs_proxy = create_proxy(_javascript_runs)

    _original["installed"] = True
    threading._start_joinable_thread = _start_joinable_thread
    threading._allocate_lock = _Lock
    threading.Lock = _Lock
    threading._LockType = _Lock
    threading._CRLock = None  # RLock() is then threading's pure-Python RLock, on _Lock
    threading._ThreadHandle = _Handle
    threading._make_thread_handle = _Handle
    threading.get_ident = get_ident
    threading.get_native_id = get_ident
    threading._set_name = lambda name: None
    from _threading_local import local

    threading.local = local
    _original["excepthook"] = threading.excepthook
    threading.excepthook = _excepthook
    _thread.start_new_thread = _start_new_thread
    _thread.start_joinable_thread = _start_joinable_thread
    _thread.allocate_lock = _Lock
    _thread.get_ident = get_ident
    queue.SimpleQueue = queue._PySimpleQueue
    if preemptive():
        signal.signal(signal.SIGUSR1, _tick)


def no_switch_in(*files):
    """Stacks are never switched inside these files (the runtime's own)."""
    _NO_SWITCH_FILES.update(files)


def program_files(*names):
    """The file names the program's code runs under (the runtime's main.py)."""
    _PROGRAM_FILES.update(names)


def add_root(code):
    """Frames of `code` start a stack (the runtime's run): what calls them is not looked at."""
    _ROOTS.add(code)


def begin_run(t0=None):
    """A run starts (at perf_counter() `t0`, the runtime's zero): time.sleep suspends this
    stack whenever threads are alive (and is the run's blocking sleep otherwise)."""
    global _started, _record
    _started = 0
    _record = ThreadRecord(t0)
    _record.add(_main_ident, lambda: threading.main_thread().name, _record.t0)
    _record.start_running(_main_ident, _record.t0)
    _forced_out.clear()
    # Unless a run that ended without end_run left ours in place: its original is kept.
    if time.sleep is not _sleep:
        _original["sleep"] = time.sleep
    time.sleep = _sleep
    # Threads are named Thread-1, Thread-2, ... from 1 in every run, as in a new process.
    import itertools

    threading._counter = itertools.count(1).__next__


def end_run(stopped):
    """CPython joins the program's non-daemon threads before it exits; daemon threads
    (and after Stop, all of them) are ended. Returns how many threads the run started."""
    _record.start_running(_main_ident, time.perf_counter())
    try:
        if not stopped:
            for thread in list(threading.enumerate()):
                if thread is not threading.main_thread() and not thread.daemon and thread.is_alive():
                    thread.join()
    finally:
        abort()
        # The rest unwind now, before this stack ends: a suspended stack resumed after the
        # run's own has returned crashed Pyodide ("memory access out of bounds").
        for handle in list(_alive.values()):
            handle.join()
        time.sleep = _original["sleep"]
        _set_ticking(False)
        _watch_idle(False)
    return _started


def report():
    """The run's threads and their stretches (see ThreadRecord), or None if it started none."""
    if _started == 0:
        return None
    return _record.report(time.perf_counter(), preemptive())


def abort():
    """Every suspended thread unwinds when it next resumes, and each is woken now (those
    asleep wake with their timers)."""
    global _generation
    _generation += 1
    waking = list(_pending.values())
    _pending.clear()
    _forced_out.clear()
    for resolve in waking:
        resolve()
