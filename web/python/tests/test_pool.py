"""pool.py under CPython: tasks pickled both ways, errors as CPython reports them, and a
dead child surfacing as BrokenProcessPool. The parent's JavaScript (pool-parent.js) and
the children are played by FakeParent, which runs each task with pool.py's own child side."""

import concurrent.futures as cf
import concurrent.futures.process as cfp
import multiprocessing
import os
import pickle
import sys
import types
import unittest

import fakes

runtime, pool, threads = fakes.load()


def square(x):
    return x * x


def boom(x):
    raise ValueError(f"bad {x}")


# A lambda pickles by its name too, which is <lambda>: found nowhere.
identity = lambda x: x  # noqa: E731


def shout(word):
    print(word.upper())
    return len(word)


class FakeParent:
    """pool-parent.js's api() with children that answer in order. `crash` makes a child's
    next answer a crash (as pool-child.js reports a failure outside Python); `die` reports a
    child dead (as a worker error event does) at the next wait; `stop` answers the next wait
    as Stop does (None)."""

    def __init__(self, parallel=True, limit=8):
        self.parallel = parallel
        self.reason = None if parallel else "one interpreter"
        self.cpus = 3
        self.limit = limit
        self.clock = 0.0
        self.dispatched = []  # (child, payload bytes) not yet answered
        self.crash = {}
        self.die = []
        self.stop = False
        self.stopped_busy = 0
        self.ensured = []

    def now(self):
        self.clock += 1.0
        return self.clock

    def ensure(self, count, source):
        self.ensured.append(count)
        return [types.SimpleNamespace(child=i, asked=self.now(), loaded=self.now(), cold=True, output="", error="") for i in range(count)]

    def dispatch(self, child, payload):
        self.dispatched.append((child, bytes(payload)))

    def _answer(self, child, ok, data=b"", output="", crashed=""):
        return types.SimpleNamespace(child=child, ok=ok, crashed=crashed, data=fakes.JsBytes(data), output=output,
                                     started=self.now(), ended=self.now(), unpickleMs=0.1, pickleMs=0.1)

    def wait(self, timeout_ms):
        if self.stop:
            self.stop = False
            return None
        answers = [self._answer(child, False, crashed=message) for child, message in self.die]
        self.die = []
        for child, payload in self.dispatched:
            if child in self.crash:
                answers.append(self._answer(child, False, crashed=self.crash.pop(child)))
                continue
            ok, data, output, _, _ = pool.child_run(fakes.JsBytes(payload))
            answers.append(self._answer(child, ok, data, output))
        self.dispatched = []
        return answers

    def stop_busy(self):
        self.stopped_busy += 1


class PoolTestCase(unittest.TestCase):
    parallel = True

    def setUp(self):
        self.js = FakeParent(parallel=self.parallel)
        pool.install(self.js)
        self.printed = []
        self.stderr = sys.stderr
        pool.begin_run(self.printed.append, "")

    def tearDown(self):
        pool.end_run(stopped=True)
        pool._js = None
        sys.stderr = self.stderr

    def quiet_stderr(self):
        import io

        sys.stderr = io.StringIO()
        return sys.stderr


class OneInterpreterTest(PoolTestCase):
    """No isolation or no JSPI: tasks run here, still pickled both ways."""

    parallel = False

    def test_results_errors_and_the_record(self):
        with cf.ProcessPoolExecutor(max_workers=2) as executor:
            self.assertEqual(executor.submit(square, 7).result(), 49)
            error = executor.submit(boom, 3).exception()
        self.assertIsInstance(error, ValueError)
        self.assertEqual(str(error), "bad 3")
        # As CPython shows it: the child's traceback as the cause.
        self.assertIsInstance(error.__cause__, cfp._RemoteTraceback)
        self.assertIn("in boom", str(error.__cause__))
        record, interrupted = pool.end_run(stopped=False)
        self.assertIsNone(interrupted)
        self.assertEqual((record["parallel"], record["reason"], record["asked"]), (False, "one interpreter", 2))
        self.assertEqual([t["ok"] for t in record["tasks"]], [True, False])
        self.assertEqual(record["tasks"][0]["label"], "square(7)")

    def test_a_lambda_fails_to_pickle_in_the_future_not_at_submit(self):
        with cf.ProcessPoolExecutor(max_workers=1) as executor:
            future = executor.submit(identity, 1)
        self.assertIsInstance(future.exception(), pickle.PicklingError)
        self.assertIsInstance(future.exception().__cause__, cfp._RemoteTraceback)

    def test_what_a_task_prints_comes_back_to_stdout(self):
        with cf.ProcessPoolExecutor() as executor:
            self.assertEqual(list(executor.map(shout, ["ab", "cde"])), [2, 3])
        self.assertEqual("".join(self.printed), "AB\nCDE\n")

    def test_multiprocessing_pool_and_cpu_count(self):
        self.assertEqual(os.cpu_count(), 3)
        self.assertEqual(multiprocessing.cpu_count(), 3)
        with multiprocessing.Pool(2) as p:
            self.assertEqual(p.map(square, range(4)), [0, 1, 4, 9])
            self.assertEqual(p.starmap(pow, [(2, 3), (3, 2)]), [8, 9])
            self.assertEqual(sorted(p.imap_unordered(square, [3, 2])), [4, 9])
            self.assertEqual(p.apply(square, (5,)), 25)

    def test_submit_after_shutdown_is_refused(self):
        executor = cf.ProcessPoolExecutor(1)
        executor.shutdown()
        with self.assertRaisesRegex(RuntimeError, "after shutdown"):
            executor.submit(square, 1)


class ChildPoolTest(PoolTestCase):
    """Child interpreters (FakeParent), as in a cross-origin isolated page with JSPI."""

    def test_tasks_spread_over_the_children_and_are_recorded(self):
        with cf.ProcessPoolExecutor(max_workers=2) as executor:
            futures = [executor.submit(square, n) for n in range(5)]
            self.assertEqual([f.result() for f in futures], [n * n for n in range(5)])
        record, _ = pool.end_run(stopped=False)
        self.assertTrue(record["parallel"])
        self.assertEqual(len(record["startups"]), 2)
        self.assertEqual(sorted({t["child"] for t in record["tasks"]}), [0, 1])
        self.assertEqual(len(record["tasks"]), 5)

    def test_the_pool_limit_is_the_parents(self):
        self.js.limit = 3
        with cf.ProcessPoolExecutor(max_workers=12) as executor:
            executor.submit(square, 1).result()
        self.assertEqual(self.js.ensured, [3])

    def test_a_child_that_crashes_breaks_the_pool_for_every_waiting_future(self):
        err = self.quiet_stderr()
        executor = cf.ProcessPoolExecutor(max_workers=2)
        futures = [executor.submit(square, n) for n in range(5)]
        self.js.crash[0] = "memory access out of bounds"
        # Child 0's task fails; child 1's answer in the same batch is lost with the pool,
        # and the tasks still queued fail too, as CPython fails every pending future.
        for future in futures:
            self.assertIsInstance(future.exception(), cfp.BrokenProcessPool)
            self.assertIn("terminated abruptly", str(future.exception()))
        with self.assertRaises(cfp.BrokenProcessPool):
            executor.submit(square, 9)
        self.assertIn("child interpreter 1 failed: memory access out of bounds", err.getvalue())
        self.assertEqual(self.js.stopped_busy, 1, "busy children are ended with the pool")

    def test_a_child_that_dies_idle_breaks_the_pool_too(self):
        self.quiet_stderr()
        executor = cf.ProcessPoolExecutor(max_workers=2)
        first = executor.submit(square, 2)
        self.assertEqual(first.result(), 4)
        waiting = executor.submit(square, 3)
        self.js.die.append((1, "its port closed"))
        self.assertIsInstance(waiting.exception(), cfp.BrokenProcessPool)
        self.assertEqual(first.result(), 4, "a finished future keeps its result")

    def test_as_completed_and_wait_see_the_broken_pool(self):
        self.quiet_stderr()
        executor = cf.ProcessPoolExecutor(max_workers=1)
        futures = [executor.submit(square, n) for n in range(3)]
        self.js.crash[0] = "gone"
        done = list(cf.as_completed(futures, timeout=5))
        self.assertEqual(len(done), 3)
        self.assertTrue(all(isinstance(f.exception(), cfp.BrokenProcessPool) for f in done))

    def test_stop_while_waiting_is_a_keyboard_interrupt_and_ends_the_children(self):
        executor = cf.ProcessPoolExecutor(max_workers=2)
        futures = [executor.submit(square, n) for n in range(3)]
        self.js.stop = True
        with self.assertRaises(KeyboardInterrupt):
            futures[0].result()
        self.assertIsInstance(futures[2].exception(), cfp.BrokenProcessPool)
        self.assertEqual(self.js.stopped_busy, 1)

    def test_the_end_of_the_run_drains_pending_tasks_and_reports_a_stop_there(self):
        executor = cf.ProcessPoolExecutor(max_workers=1)
        future = executor.submit(square, 6)
        record, interrupted = pool.end_run(stopped=False)
        self.assertIsNone(interrupted)
        self.assertEqual(future.result(), 36, "pending tasks run to their end, as at CPython's exit")
        self.assertEqual(len(record["tasks"]), 1)

        pool.begin_run(self.printed.append, "")
        executor = cf.ProcessPoolExecutor(max_workers=1)
        executor.submit(square, 6)
        self.js.stop = True
        record, interrupted = pool.end_run(stopped=False)
        self.assertIsInstance(interrupted, KeyboardInterrupt, "Stop during the drain is the run's end")
        self.assertIsNotNone(record)

    def test_a_result_that_does_not_unpickle_fails_its_future_only(self):
        original = self.js.wait

        def corrupt(timeout_ms):
            answers = original(timeout_ms)
            for a in answers or []:
                a.data = fakes.JsBytes(b"not a pickle")
            return answers

        self.js.wait = corrupt
        with cf.ProcessPoolExecutor(max_workers=1) as executor:
            error = executor.submit(square, 2).exception()
            self.assertIsInstance(error, pickle.UnpicklingError)
            self.js.wait = original
            self.assertEqual(executor.submit(square, 3).result(), 9)


class ChildSideTest(unittest.TestCase):
    """What a child interpreter runs: the program as __mp_main__, then pickled calls."""

    def setUp(self):
        self.saved = sys.modules.get("__main__"), sys.modules.get("__mp_main__")
        self.stdout = sys.stdout

    def tearDown(self):
        for name, module in zip(("__main__", "__mp_main__"), self.saved):
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module

    def call(self, fn, *args):
        return pickle.dumps(cfp._CallItem(0, fn, args, {}))

    def test_the_program_is_imported_as_mp_main_and_its_functions_run_by_name(self):
        source = "print('imported as', __name__)\ndef double(x):\n    print('doubling', x)\n    return 2 * x\nif __name__ == '__main__':\n    print('main block')\n"
        error, output = pool.child_load(source)
        self.assertEqual((error, output), ("", "imported as __mp_main__\n"))
        self.assertIs(sys.stdout, self.stdout)
        double = sys.modules["__main__"].double
        ok, data, output, unpickle_ms, pickle_ms = pool.child_run(fakes.JsBytes(self.call(double, 21)))
        self.assertTrue(ok)
        self.assertEqual(pickle.loads(data), 42)
        self.assertEqual(output, "doubling 21\n")
        self.assertGreaterEqual(unpickle_ms, 0)

    def test_a_failing_task_comes_back_as_its_exception_with_the_child_traceback(self):
        ok, data, _, _, _ = pool.child_run(fakes.JsBytes(self.call(boom, 5)))
        self.assertFalse(ok)
        error = pickle.loads(data)
        self.assertIsInstance(error, ValueError)
        self.assertIn('in boom\n    raise ValueError(f"bad {x}")', str(error.__cause__))

    def test_sys_exit_in_a_task_is_its_result_as_in_cpython(self):
        ok, data, _, _, _ = pool.child_run(fakes.JsBytes(self.call(sys.exit, 4)))
        self.assertFalse(ok)
        self.assertIsInstance(pickle.loads(data), SystemExit)

    def test_a_program_that_fails_to_import_reports_its_traceback(self):
        error, output = pool.child_load("print('partial')\nraise ImportError('no such thing')\n")
        self.assertIn("ImportError: no such thing", error)
        self.assertIn('File "main.py", line 2', error)
        self.assertEqual(output, "partial\n")

    def test_a_task_in_a_child_cannot_start_a_pool(self):
        pool._js = None
        pool.begin_run(print, "")
        with self.assertRaisesRegex(RuntimeError, "cannot start a process pool"):
            cf.ProcessPoolExecutor(1).submit(square, 1)


if __name__ == "__main__":
    unittest.main()
