"""Threads for the Python lab, emulated inside its one interpreter.

Pyodide's CPython has no threads. With stack switching (JSPI), though, a Python call can
be suspended and resumed later, and several can be suspended at once. So each
threading.Thread here runs as its own suspended stack: started with callPromising,
switched away from at blocking calls (time.sleep, a contended Lock, join, Event.wait).
One stack runs at a time, as one thread holds the GIL. Unlike the GIL, nothing switches
a busy thread out every switch interval: suspending from inside a sys.monitoring
callback (a backward jump) did switch, but crashed Pyodide now and then ("null
function"), so a CPU-bound thread runs until it blocks (see ARCHITECTURE.md).

What is emulated is threading's bottom layer: get_ident, locks, thread handles and
start_joinable_thread, which threading.py builds Thread, Condition, Event, Semaphore,
RLock and Barrier on, and queue.SimpleQueue (whose C version would block the one real
thread). threading.local keys on get_ident (the pure-Python _threading_local).
"""

import queue
import sys
import threading
import time
from collections import deque

_js = None
_main_ident = threading.get_ident()
_current = _main_ident
_next_ident = _main_ident + 1
_alive = {}  # ident -> handle, started and not done
_started = 0
_generation = 0
_original = {}


class Aborted(BaseException):
    """Unwinds an emulated thread whose run has ended (Stop, or the program returned)."""


_pending = []  # every resolver not yet called, so that abort() can wake every stack


def _promise():
    made = _js.Promise.withResolvers()
    _pending.append(made.resolve)
    return made.promise, made.resolve


def _suspend(promise):
    """Lets the other stacks run until `promise` settles, then carries on as this thread."""
    global _current
    from pyodide.ffi import run_sync

    me, generation = _current, _generation
    run_sync(promise)
    _current = me
    if generation != _generation:
        raise KeyboardInterrupt if me == _main_ident else Aborted()


def _timer(seconds, other=None):
    """What a sleep waits for: the time, or abort(), or `other` (a JS promise), whichever
    comes first. (A promise a JS function returns reaches Python as a future, which
    cannot be handed back to JS; so the race is run in JS.)"""
    if other is None:
        other, _ = _promise()
    return _js.playgroundRace(max(0.0, seconds) * 1000.0, other)


def active():
    return bool(_alive)


def get_ident():
    return _current


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
        deadline = None if timeout == -1 else time.monotonic() + timeout
        while self._locked:
            if not _alive and _current == _main_ident:
                if deadline is None:
                    # Nothing else can ever release it: CPython would hang here for good.
                    raise RuntimeError("deadlock: this lock is held and no other thread is running to release it")
                time.sleep(max(0.0, deadline - time.monotonic()))
                return self.acquire(False)
            promise, resolve = _promise()
            waiter = [resolve]
            self._waiters.append(waiter)
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._waiters.remove(waiter)
                    return False
                promise = _timer(left, promise)
            try:
                _suspend(promise)
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            if deadline is not None and self._locked and time.monotonic() >= deadline:
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
        if self.ident == _current:
            raise RuntimeError("Cannot join current thread")
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._done:
            promise, resolve = _promise()
            self._joiners.append(resolve)
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                promise = _timer(left, promise)
            _suspend(promise)


def _start_joinable_thread(function, handle=None, daemon=True):
    global _next_ident, _started
    from pyodide.ffi import can_run_sync, create_proxy

    if _js is None or not _js.playgroundStackSwitching or not can_run_sync():
        raise RuntimeError("can't start new thread")
    handle = handle if handle is not None else _Handle()
    ident = _next_ident
    _next_ident += 1
    handle.ident = ident
    _alive[ident] = handle
    _started += 1
    generation = _generation

    def bootstrap():
        global _current
        _current = ident
        try:
            if generation == _generation:
                function()
        except Aborted:
            pass
        finally:
            handle._set_done()

    # threads-host.js destroys the proxy once the stack has returned, not from inside it.
    _js.playgroundSpawn(create_proxy(bootstrap))
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
    if not _alive and _current == _main_ident:
        return _original["sleep"](seconds)
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    _suspend(_timer(seconds))


def install(js):
    """Puts the emulation under threading (once per interpreter)."""
    global _js
    _js = js
    if _original.get("installed"):
        return
    import _thread

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


def begin_run():
    """A run starts: time.sleep suspends this stack whenever threads are alive (and is
    the run's blocking sleep otherwise)."""
    global _current, _started
    _current = _main_ident
    _started = 0
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
    return _started


def abort():
    """Every suspended thread unwinds when it next resumes, and each is woken now (those
    asleep wake with their timers)."""
    global _generation
    _generation += 1
    waking = _pending[:]
    _pending.clear()
    for resolve in waking:
        resolve()
