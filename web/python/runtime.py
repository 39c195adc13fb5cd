"""The Python lab's side of a run, inside Pyodide in the lab's Web Worker.

It runs the user's program as a script named main.py and records what asyncio did:
when each task's coroutine was running (sys.monitoring), which task printed each line,
and how the program ended. The worker (page-runner.js) sends the record to the page as one message.
Nothing here is shown to the user as their program: tracebacks are cut to main.py.
"""

import ast
import asyncio
import concurrent.futures
import inspect
import json
import linecache
import sys
import time
import traceback
import types
import weakref

import playground_pool
import playground_threads

FILENAME = "main.py"
CO_COROUTINE = inspect.CO_COROUTINE
# Enough for any timeline the page can draw; beyond it the record says it was cut.
MAX_SEGMENTS = 200_000
MAX_TICKS = 50_000

_mon = sys.monitoring
_E = _mon.events


class Record:
    def __init__(self):
        self.t0 = time.perf_counter()
        self.tasks = {}  # id(task) -> [task, segments, depth, open_start, order]
        self.ticks = []  # [ms, task id or None, stream]
        self.segments = 0
        self.cut = False

    def now(self):
        return (time.perf_counter() - self.t0) * 1000.0

    def entry(self, task):
        rec = self.tasks.get(id(task))
        if rec is None:
            rec = [task, [], 0, 0.0, len(self.tasks)]
            self.tasks[id(task)] = rec
        return rec


_record = None
_stop_requested = False
# Tasks Pyodide makes for itself: run_sync waits on an awaitable through a task of its
# own (an emulated thread's sleep, a pool starting its children); not the program's.
_internal_tasks = weakref.WeakSet()


def _is_internal(coro):
    code = getattr(coro, "cr_code", None)
    return code is not None and code.co_name == "_wrap_awaitable"


def _enter(code, offset, *rest):
    if not code.co_flags & CO_COROUTINE:
        return _mon.DISABLE if not rest else None
    task = asyncio.current_task() if asyncio._get_running_loop() is not None else None
    if task is None or _record is None or task in _internal_tasks:
        return None
    rec = _record.entry(task)
    if rec[2] == 0:
        rec[3] = _record.now()
    rec[2] += 1
    return None


def _leave(code, offset, value):
    if not code.co_flags & CO_COROUTINE:
        return None
    task = asyncio.current_task() if asyncio._get_running_loop() is not None else None
    if task is None or _record is None:
        return None
    rec = _record.tasks.get(id(task))
    if rec is None or rec[2] == 0:
        return None
    rec[2] -= 1
    if rec[2] == 0:
        if _record.segments < MAX_SEGMENTS:
            rec[1].append((rec[3], _record.now()))
            _record.segments += 1
        else:
            _record.cut = True
    return None


def _leave_local(code, offset, value):
    if not code.co_flags & CO_COROUTINE:
        return _mon.DISABLE
    _leave(code, offset, value)
    return None


def _install_monitoring():
    tool = _mon.PROFILER_ID
    if _mon.get_tool(tool) is not None:
        _mon.free_tool_id(tool)
    _mon.use_tool_id(tool, "concurrency-playground")
    _mon.register_callback(tool, _E.PY_START, _enter)
    _mon.register_callback(tool, _E.PY_RESUME, _enter)
    _mon.register_callback(tool, _E.PY_THROW, _enter)
    _mon.register_callback(tool, _E.PY_YIELD, _leave_local)
    _mon.register_callback(tool, _E.PY_RETURN, _leave_local)
    _mon.register_callback(tool, _E.PY_UNWIND, _leave)
    _mon.set_events(tool, _E.PY_START | _E.PY_RESUME | _E.PY_THROW | _E.PY_YIELD | _E.PY_RETURN | _E.PY_UNWIND)
    # A code object disabled in an earlier run would otherwise stay silent.
    _mon.restart_events()


def _remove_monitoring():
    tool = _mon.PROFILER_ID
    if _mon.get_tool(tool) is not None:
        _mon.set_events(tool, 0)
        _mon.free_tool_id(tool)


class _Stream:
    """sys.stdout or sys.stderr for the user's program: each write goes to the page as it
    happens, and each finished line is a tick on the timeline of the task that printed it."""

    def __init__(self, name, emit):
        self.name = name
        self._emit = emit
        self.encoding = "utf-8"
        self.errors = "strict"

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            self._emit(self.name, text)
            rec = _record
            if rec is not None and "\n" in text and len(rec.ticks) >= MAX_TICKS:
                rec.cut = True  # lines past the limit are lost: the record says so
            elif rec is not None and "\n" in text:
                task = None
                if asyncio._get_running_loop() is not None:
                    task = asyncio.current_task()
                if task is not None and task in _internal_tasks:
                    task = None
                if task is not None:
                    rec.entry(task)
                now = rec.now()
                for _ in range(text.count("\n")):
                    if len(rec.ticks) >= MAX_TICKS:
                        rec.cut = True
                        break
                    rec.ticks.append((now, id(task) if task is not None else None, self.name))
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def writable(self):
        return True

    def readable(self):
        return False

    def fileno(self):
        raise OSError("this stream has no file descriptor")


def _number_tasks(loop, created):
    """Names tasks as a fresh CPython process does (Task-1, Task-2, ...), counting from 1
    in every run, so a second run in the same interpreter names its tasks like the first.
    (Pyodide's loop cannot take a task factory in 3.14, so its create_task is wrapped.)"""
    original = loop.create_task
    count = 0

    def create_task(coro, *, name=None, **kwargs):
        nonlocal count
        if _is_internal(coro):
            task = original(coro, name=name, **kwargs)
            _internal_tasks.add(task)
            return task
        if name is None:
            count += 1
            name = f"Task-{count}"
        task = original(coro, name=name, **kwargs)
        created.append(task)
        return task

    loop.create_task = create_task


def _cpython_run(loop, created, executors):
    """asyncio.run as CPython's: Pyodide's version runs the main coroutine to its end but
    leaves other tasks running; CPython's cancels them and waits for them before returning,
    and shuts the default executor down."""
    pyodide_run = asyncio.run

    def run(main, *, debug=None, loop_factory=None):
        try:
            return pyodide_run(main, debug=debug, loop_factory=loop_factory)
        finally:
            leftovers = [t for t in created if not t.done()]
            for task in leftovers:
                task.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            executors.shutdown()

    return pyodide_run, run


class _Executors:
    """loop.run_in_executor (and so asyncio.to_thread) as CPython's: the call goes to the
    executor, by default a ThreadPoolExecutor named as CPython names it, on the lab's
    emulated threads. Pyodide's loop would call it there and then, on the loop's thread;
    it still does where no thread can start (no stack switching)."""

    def __init__(self, loop):
        self.loop = loop
        self.pyodide_run_in_executor = loop.run_in_executor
        self.default = None

    def run_in_executor(self, executor, func, *args):
        if executor is None:
            if not playground_threads.can_start():
                return self.pyodide_run_in_executor(executor, func, *args)
            if self.default is None:
                self.default = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="asyncio")
            executor = self.default
        return asyncio.wrap_future(executor.submit(func, *args), loop=self.loop)

    def shutdown(self):
        """Its threads end once their work is done, as after CPython's asyncio.run."""
        if self.default is not None:
            self.default.shutdown(wait=False)
            self.default = None


def _real_sleep():
    # With stack switching, Pyodide turns time.sleep into an asyncio sleep, so two
    # coroutines that call it would overlap. CPython's time.sleep blocks the thread.
    try:
        import pyodide.webloop as webloop
    except ImportError:
        return
    original = getattr(webloop, "_orig_sleep", None)
    if original is not None:
        time.sleep = original


def _user_frames(tb):
    """The traceback from the first frame of main.py on: the runner's frames are not the
    user's business."""
    while tb is not None and tb.tb_frame.f_code.co_filename != FILENAME:
        tb = tb.tb_next
    return tb


def _without_runtime(tb):
    """The traceback minus the runner's frames (this module's and the pools'): they are not the user's program."""
    kept = []
    while tb is not None:
        if tb.tb_frame.f_code.co_filename not in (__file__, playground_pool.__file__, playground_threads.__file__):
            kept.append(tb)
        tb = tb.tb_next
    clean = None
    for t in reversed(kept):
        clean = types.TracebackType(clean, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return clean


def _clean_chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc.__traceback__ = _without_runtime(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__


def _describe(exc):
    _clean_chain(exc)
    line = None
    if isinstance(exc, SyntaxError) and exc.filename == FILENAME:
        line = exc.lineno
    tb = _user_frames(exc.__traceback__)
    walk = tb
    while walk is not None:
        if walk.tb_frame.f_code.co_filename == FILENAME:
            line = walk.tb_lineno
        walk = walk.tb_next
    if isinstance(exc, SyntaxError):
        text = "".join(traceback.format_exception_only(exc))
    else:
        text = "".join(traceback.format_exception(type(exc), exc, tb))
    return {
        "type": type(exc).__name__,
        # A SyntaxError's str() repeats the file and line, which the page shows anyway.
        "message": exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc),
        "line": line,
        "traceback": text,
    }


def python_version():
    return sys.version.split()[0]


class _Run:
    """One run's set-up and tear-down, shared by the two ways of running."""

    def __init__(self, emit, code):
        global _record, _stop_requested
        _stop_requested = False
        _real_sleep()
        self.emit = emit
        # A real module in sys.modules, as a script's is: pickle finds the program's
        # functions there by name (process pools send them that way). multiprocessing
        # makes __mp_main__ the same module in a parent.
        self.module = types.ModuleType("__main__")
        self.module.__file__ = FILENAME
        self.module.__builtins__ = __builtins__
        self.namespace = self.module.__dict__
        self.saved_mains = sys.modules.get("__main__"), sys.modules.get("__mp_main__")
        sys.modules["__main__"] = sys.modules["__mp_main__"] = self.module
        self.saved_streams = sys.stdout, sys.stderr
        self.loop = asyncio.get_event_loop()
        self.created = []
        _number_tasks(self.loop, self.created)
        self.executors = _Executors(self.loop)
        self.loop.run_in_executor = self.executors.run_in_executor
        self.pyodide_run, asyncio.run = _cpython_run(self.loop, self.created, self.executors)
        _record = Record()
        self.exception = None
        self.status = "done"
        sys.stdout = _Stream("stdout", emit)
        sys.stderr = _Stream("stderr", emit)
        playground_pool.begin_run(lambda text: sys.stdout.write(text), code)
        playground_threads.begin_run(_record.t0)
        _install_monitoring()

    def failed(self, exc):
        if isinstance(exc, SystemExit):
            if exc.code not in (None, 0):
                self.status = "error"
                self.exception = _describe(exc)
            return
        self.exception = _describe(exc)
        # The Stop button raises KeyboardInterrupt through the interrupt buffer while
        # Python runs, or cancels the tasks while the program waits in the loop.
        stopped = isinstance(exc, KeyboardInterrupt) or (_stop_requested and isinstance(exc, asyncio.CancelledError))
        self.status = "stopped" if stopped else "error"

    def finish(self):
        global _record
        threads = 0
        self.executors.shutdown()
        try:
            threads = playground_threads.end_run(stopped=self.status == "stopped")
        except BaseException as exc:  # Stop while joining the program's threads: the run's end, as a result
            if self.status == "done":
                self.failed(exc)
        try:
            thread_record = playground_threads.report()
        except Exception:  # the record is the runner's, not the program's: the run's result matters more
            thread_record = None
        try:
            pool, interrupted = playground_pool.end_run(stopped=self.status == "stopped")
        except Exception:  # the runner's own failure: the run's result and the clean-up below matter more than the pool's record
            pool, interrupted = None, None
        # Stop while the pools' last tasks ran: the run's end too, as the threads' above.
        if interrupted is not None and self.status == "done":
            self.failed(interrupted)
        _remove_monitoring()
        sys.stdout, sys.stderr = self.saved_streams
        for name, module in zip(("__main__", "__mp_main__"), self.saved_mains):
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        del self.loop.create_task
        del self.loop.run_in_executor
        asyncio.run = self.pyodide_run
        if self.exception is not None and self.status == "error":
            self.emit("stderr", self.exception["traceback"])
        record, _record = _record, None
        return _report(record, self.status, self.exception, pool, threads, thread_record)


def _report(record, status, exception, pool=None, threads=0, thread_record=None):
    wall = record.now()
    order = sorted(record.tasks.values(), key=lambda r: r[4])
    index = {id(r[0]): i for i, r in enumerate(order)}
    tasks = []
    for task, segments, depth, open_start, _ in order:
        if depth > 0:  # still running when the program ended (it raised out of the loop)
            segments.append((open_start, wall))
        tasks.append({"name": task.get_name(), "segments": [[round(a, 3), round(b, 3)] for a, b in segments]})
    ticks = [[round(t, 3), index.get(task_id), stream] for t, task_id, stream in record.ticks]
    return json.dumps({
        "status": status,
        "exception": exception,
        "wallMs": round(wall, 3),
        "tasks": tasks,
        "ticks": ticks,
        "cut": record.cut,
        "pool": pool,
        "threadsStarted": threads,
        "threads": thread_record,
    })


def _register_source(code):
    # Tracebacks quote the program's lines, as they would from a file.
    linecache.cache[FILENAME] = (len(code), None, code.splitlines(True), FILENAME)


def run(code, emit):
    """Runs `code` as the script main.py and returns the run's record as JSON. Called from
    JavaScript with stack switching, so the program's asyncio.run() can wait for timers."""
    current = _Run(emit, code)
    try:
        _register_source(code)
        exec(compile(code, FILENAME, "exec", dont_inherit=True), current.namespace)
    except BaseException as exc:  # the program's end, whatever it raised (Stop's KeyboardInterrupt, SystemExit): its result
        current.failed(exc)
    finally:
        result = current.finish()
    return result


class _AwaitRuns(ast.NodeTransformer):
    """`asyncio.run(X)` as a statement of the module (or of an if/with/try at its top)
    becomes `await __playground_run__(X)`."""

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_Expr(self, node):
        call = node.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "run"
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "asyncio"
            and len(call.args) == 1
        ):
            runner = ast.Call(func=ast.Name("__playground_run__", ast.Load()), args=call.args, keywords=[])
            node.value = ast.copy_location(ast.Await(ast.copy_location(runner, call)), call)
        return node


async def run_async(code, emit):
    """`run` for browsers without stack switching, where asyncio.run() cannot wait: the
    program's top-level asyncio.run(main()) calls become awaits of a runner that does what
    asyncio.run does (main as a task, leftover tasks cancelled). Any other program runs
    as it is."""
    current = _Run(emit, code)
    # This coroutine runs as a task of Pyodide's, and so does the program's top level
    # (awaited here): neither is the program's task. Under asyncio.run (the stack-switching
    # path) the top level runs outside any task, so counting this one would add a lane,
    # named like main's, and its run time as time the loop was blocked.
    outer = asyncio.current_task()
    if outer is not None:
        _internal_tasks.add(outer)

    async def playground_run(main):
        task = current.loop.create_task(main)
        try:
            return await task
        finally:
            leftovers = [t for t in current.created if not t.done() and t is not task]
            for t in leftovers:
                t.cancel()
            if leftovers:
                await asyncio.gather(*leftovers, return_exceptions=True)

    current.namespace["__playground_run__"] = playground_run
    try:
        _register_source(code)
        tree = ast.fix_missing_locations(_AwaitRuns().visit(ast.parse(code, FILENAME)))
        compiled = compile(tree, FILENAME, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        result = eval(compiled, current.namespace)
        if inspect.iscoroutine(result):
            await result
    except BaseException as exc:  # as in run(): whatever the program raised is its result
        current.failed(exc)
    finally:
        result = current.finish()
    return result


# The threads' switches never happen inside the runner; a stack that starts at run() is
# the program's main thread.
playground_threads.no_switch_in(__file__, playground_pool.__file__)
playground_threads.add_root(run.__code__)
playground_threads.program_files(FILENAME)


def stop():
    """Stop pressed while the program waits in the event loop (no Python is running, so
    the interrupt buffer is not looked at): cancel its tasks, as Ctrl-C makes asyncio.run do."""
    global _stop_requested
    _stop_requested = True
    if playground_threads.active():
        # The program waits in emulated threads (run_sync, which waits through asyncio
        # tasks of its own: cancelling those would break the suspended stacks). Each
        # thread unwinds when woken, and the main thread gets KeyboardInterrupt.
        playground_threads.abort()
        return
    try:
        loop = asyncio.get_event_loop()
        for task in asyncio.all_tasks(loop):
            task.cancel()
    except RuntimeError:
        pass


def interrupted():
    """Stop pressed while Python runs: the interrupt buffer raises KeyboardInterrupt."""
    global _stop_requested
    _stop_requested = True
