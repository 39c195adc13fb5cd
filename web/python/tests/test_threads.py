"""threads.py under CPython 3.13: its locks, and threading built on its emulated threads.
Without JSPI a stack cannot be suspended, so fakes.Scheduler runs a started thread when
another waits for it; the tests keep to what that order can show."""

import json
import threading
import time
import unittest

import fakes

runtime, pool, threads = fakes.load()


def setUpModule():
    threads.install(fakes.threads_host())


class ThreadsTestCase(unittest.TestCase):
    def setUp(self):
        fakes.SCHEDULER.can_run_sync = True
        threads.begin_run()

    def tearDown(self):
        threads.end_run(stopped=True)
        fakes.SCHEDULER.ready.clear()
        fakes.SCHEDULER.can_run_sync = True


class LockTest(ThreadsTestCase):
    def test_an_uncontended_lock_works_as_threading_lock(self):
        lock = threading.Lock()
        self.assertIsInstance(lock, threads._Lock)
        self.assertTrue(lock.acquire())
        self.assertTrue(lock.locked())
        self.assertFalse(lock.acquire(blocking=False))
        lock.release()
        self.assertFalse(lock.locked())
        with lock:
            self.assertIn("locked", repr(lock))
        with self.assertRaisesRegex(RuntimeError, "release unlocked lock"):
            lock.release()

    def test_arguments_are_checked_as_cpython_checks_them(self):
        lock = threading.Lock()
        with self.assertRaisesRegex(ValueError, "can't specify a timeout"):
            lock.acquire(False, 1)
        with self.assertRaisesRegex(ValueError, "non-negative"):
            lock.acquire(True, -2)

    def test_a_lock_no_other_thread_can_release_is_a_deadlock_not_a_hang(self):
        lock = threading.Lock()
        lock.acquire()
        with self.assertRaisesRegex(RuntimeError, "deadlock"):
            lock.acquire()

    def test_a_timed_acquire_of_a_held_lock_gives_up_at_its_time(self):
        lock = threading.Lock()
        lock.acquire()
        began = time.monotonic()
        self.assertFalse(lock.acquire(timeout=0.02))
        self.assertGreaterEqual(time.monotonic() - began, 0.015)

    def test_rlock_and_event_are_threadings_own_on_this_lock(self):
        rlock = threading.RLock()
        with rlock:
            with rlock:
                pass
        event = threading.Event()
        event.set()
        self.assertTrue(event.wait(0))


class ThreadTest(ThreadsTestCase):
    def test_threads_run_with_their_own_ident_name_and_locals(self):
        seen = []
        local = threading.local()
        local.value = "main"

        def work(n):
            local.value = n
            seen.append((threading.current_thread().name, threading.get_ident(), local.value))

        started = [threading.Thread(target=work, args=(n,)) for n in (1, 2)]
        for t in started:
            t.start()
        for t in started:
            t.join()
        self.assertEqual([name for name, _, _ in seen], ["Thread-1 (work)", "Thread-2 (work)"])
        idents = {ident for _, ident, _ in seen}
        self.assertEqual(len(idents), 2)
        self.assertNotIn(threading.main_thread().ident, idents)
        self.assertEqual([value for _, _, value in seen], [1, 2])
        self.assertEqual(local.value, "main", "each thread has its own threading.local")
        self.assertEqual(threading.get_ident(), threading.main_thread().ident, "the main thread is itself again")
        self.assertFalse(threads.active())
        self.assertEqual(threads.end_run(stopped=False), 2)

    def test_names_count_from_one_in_every_run(self):
        for _ in range(2):
            threads.begin_run()
            t = threading.Thread(target=lambda: None)
            self.assertEqual(t.name, "Thread-1 (<lambda>)")

    def test_a_thread_can_wait_for_one_it_started(self):
        out = []

        def outer():
            inner = threading.Thread(target=lambda: out.append("inner"))
            inner.start()
            inner.join()
            out.append("outer")

        t = threading.Thread(target=outer)
        t.start()
        t.join()
        self.assertEqual(out, ["inner", "outer"])

    def test_a_sleeping_thread_wakes_at_its_time(self):
        woke = []
        t = threading.Thread(target=lambda: (time.sleep(0.02), woke.append(time.monotonic())))
        began = time.monotonic()
        t.start()
        t.join()
        self.assertGreaterEqual(woke[0] - began, 0.015)

    def test_without_stack_switching_no_thread_starts(self):
        fakes.SCHEDULER.can_run_sync = False
        with self.assertRaisesRegex(RuntimeError, "can't start new thread"):
            threading.Thread(target=lambda: None).start()

    def test_joining_the_current_thread_is_refused(self):
        with self.assertRaisesRegex(RuntimeError, "Cannot join current thread"):
            threads._Handle(threading.get_ident()).join()

    def test_stop_unwinds_the_threads_and_interrupts_the_main_thread(self):
        after = []

        def stop_from_a_thread():
            threads.abort()  # what Stop does while the program waits in threads
            after.append("thread went on until it next waited")

        t = threading.Thread(target=stop_from_a_thread)
        with self.assertRaises(KeyboardInterrupt):
            t.start()  # the main thread waits here for the thread to begin
        self.assertEqual(after, ["thread went on until it next waited"])

    def test_a_keyboard_interrupt_in_a_thread_ends_the_run_and_others_are_reported(self):
        generation = threads._generation
        reported = []
        threads._original["excepthook"], saved = reported.append, threads._original["excepthook"]
        try:
            args = lambda kind: threading.ExceptHookArgs((kind, kind(), None, None))  # noqa: E731
            threads._excepthook(args(KeyboardInterrupt))
            self.assertEqual(threads._generation, generation + 1)
            threads._excepthook(args(threads.Aborted))
            self.assertEqual(reported, [])
            threads._excepthook(args(ValueError))
            self.assertEqual(len(reported), 1)
        finally:
            threads._original["excepthook"] = saved

    def test_time_sleep_is_the_runs_only_while_it_lasts(self):
        self.assertIs(time.sleep, threads._sleep)
        threads.begin_run()  # a run whose end was never reached, then the next one
        threads.end_run(stopped=False)
        self.assertIs(time.sleep, fakes.REAL_SLEEP)


if __name__ == "__main__":
    unittest.main()


class ThreadRecordTest(unittest.TestCase):
    """The record the timeline draws, on a clock the test sets (seconds from 100)."""

    def setUp(self):
        self.record = threads.ThreadRecord(t0=100.0)
        self.record.add(1, lambda: "MainThread", 100.0)
        self.record.start_running(1, 100.0)
        self.record.add(2, lambda: "Thread-1", 100.001)

    def kinds(self, name):
        report = self.record.report(100.1, preemptive=True)
        return {t["name"]: [s[0] for s in t["stretches"]] for t in report["threads"]}[name]

    def test_a_new_thread_waits_for_the_interpreter_until_it_first_runs(self):
        self.assertEqual(self.record.longest_wait(100.004), 100.001)
        self.record.stop_running(1, "forced", None, 100.006)
        self.record.start_running(2, 100.006)
        self.assertEqual(self.kinds("Thread-1"), ["wait", "run"])
        self.assertEqual(self.kinds("MainThread"), ["run", "forced"])
        report = self.record.report(100.1, preemptive=True)
        self.assertEqual((report["switches"], report["forcedSwitches"]), (1, 1))
        self.assertEqual(report["threads"][1]["stretches"][0], ["wait", 1.0, 6.0])

    def test_a_sleep_that_ended_while_another_ran_becomes_a_wait(self):
        self.record.start_running(2, 100.002)
        self.record.stop_running(2, "sleep", 100.005, 100.003)  # sleeps 2 ms from 3 ms
        self.record.start_running(1, 100.003)
        # Before its end the sleeper waits for nothing; after it, for the interpreter.
        self.assertIsNone(self.record.longest_wait(100.004))
        self.assertEqual(self.record.longest_wait(100.006), 100.005)
        self.record.stop_running(1, "forced", None, 100.010)
        self.record.start_running(2, 100.010)
        stretches = self.record.report(100.1, preemptive=True)["threads"][1]["stretches"]
        self.assertEqual([s[0] for s in stretches], ["wait", "run", "sleep", "wait", "run"])
        self.assertEqual(stretches[2][1:], [3.0, 5.0])
        self.assertEqual(stretches[3][1:], [5.0, 10.0])

    def test_a_wait_counts_from_the_last_switch_as_cpythons_waiter_does(self):
        self.record.add(3, lambda: "Thread-2", 100.0)
        self.record.stop_running(1, "block", None, 100.002)
        self.record.start_running(3, 100.003)
        # Thread-1 has waited since 1 ms, but the interpreter changed hands at 3 ms.
        self.assertEqual(self.record.longest_wait(100.004), 100.003)

    def test_a_blocked_thread_waits_only_once_woken(self):
        self.record.start_running(2, 100.002)
        self.record.stop_running(2, "block", None, 100.003)
        self.record.start_running(1, 100.003)
        self.assertIsNone(self.record.longest_wait(100.050))
        self.record.ready(2, 100.060)
        self.assertEqual(self.record.longest_wait(100.070), 100.060)

    def test_a_finished_thread_neither_waits_nor_is_drawn_past_its_end(self):
        self.record.start_running(2, 100.002)
        self.record.done(2, 100.004)
        self.assertIsNone(self.record.longest_wait(100.050))
        self.assertEqual(self.kinds("Thread-1"), ["wait", "run"])

    def test_a_stack_that_let_javascript_run_without_suspending_is_drawn_blocked(self):
        # The main thread waits in asyncio's loop (no _suspend); Thread-1 is woken and runs.
        self.record.start_running(2, 100.010)
        self.assertEqual(self.kinds("MainThread"), ["run", "block"])
        self.assertEqual(self.record.report(100.1, preemptive=True)["threads"][0]["stretches"][0], ["run", 0.0, 10.0])
        # The loop wakes the main thread, which a tick finds running.
        self.record.start_running(1, 100.020)
        self.assertEqual(self.record.switches, 2)
        self.assertEqual(self.kinds("Thread-1"), ["wait", "run", "block"])

    def test_a_tick_on_the_running_thread_changes_nothing(self):
        self.record.start_running(1, 100.005)
        self.assertEqual(self.record.held_since, 100.0, "the last switch was at the start")
        self.assertEqual(self.kinds("MainThread"), ["run"])
        self.assertEqual(self.record.switches, 0)

    def test_javascript_running_means_the_runner_let_go(self):
        self.record.blocked_in_javascript(100.004)
        self.assertEqual(self.kinds("MainThread"), ["run", "block"])
        # One that let go through _suspend keeps its own kind.
        self.record.start_running(2, 100.005)
        self.record.stop_running(2, "sleep", 100.050, 100.006)
        self.record.blocked_in_javascript(100.007)
        self.assertEqual(self.kinds("Thread-1")[-2:], ["sleep", "wait"])

    def test_the_record_is_cut_at_its_limit_and_says_so(self):
        record = threads.ThreadRecord(t0=0.0)
        record.add(1, lambda: "MainThread", 0.0)
        record.add(2, lambda: "Thread-1", 0.0)
        t = 0.0
        for _ in range(threads.MAX_STRETCHES):
            record.start_running(1, t)
            record.stop_running(1, "forced", None, t + 0.001)
            record.start_running(2, t + 0.001)
            record.stop_running(2, "forced", None, t + 0.002)
            t += 0.002
        report = record.report(t, preemptive=True)
        self.assertTrue(report["cut"])
        self.assertEqual(sum(len(x["stretches"]) for x in report["threads"]), threads.MAX_STRETCHES)


class ParkedThreadTest(ThreadsTestCase):
    """A thread switched out waits in _forced_out for the next to let go; _resume_parked,
    called once JavaScript runs, makes sure it is not left there when the stack that took
    over let JavaScript run some other way (asyncio's loop waiting)."""

    def park(self):
        woken = []
        threads._forced_out.append(lambda: woken.append(True))
        fakes.IDLE.clear()
        return woken

    def woken_thread(self, ready_at):
        threads._record.add(99, lambda: "Thread-9", ready_at)

    def test_a_parked_thread_goes_on_once_javascript_runs_and_no_one_else_was_woken(self):
        woken = self.park()
        threads._resume_parked()
        self.assertEqual(woken, [True])
        self.assertEqual(len(threads._forced_out), 0)
        self.assertEqual(fakes.IDLE, [], "nothing is left to look at again")

    def test_a_woken_thread_goes_first_and_the_parked_one_is_looked_at_again(self):
        woken = self.park()
        self.woken_thread(time.perf_counter() - 0.001)
        threads._resume_parked()
        self.assertEqual(woken, [], "the woken thread's wake-up is still to come: it hands over itself")
        self.assertEqual(fakes.IDLE, [threads._resume_parked_proxy])
        # It ran and let go through _suspend, which handed over.
        threads._hand_over()
        self.assertEqual(woken, [True])
        threads._resume_parked()  # the look again finds no one parked
        self.assertEqual(len(fakes.IDLE), 1)

    def test_a_woken_thread_whose_wake_up_never_comes_holds_up_the_parked_one_only_briefly(self):
        woken = self.park()
        self.woken_thread(time.perf_counter() - 0.001)
        threads._resume_parked()
        self.assertEqual(woken, [])
        time.sleep(threads.WAKE_GRACE + 0.01)
        threads._resume_parked()
        self.assertEqual(woken, [True])

    def test_a_thread_still_asleep_does_not_hold_up_the_parked_one(self):
        woken = self.park()
        self.woken_thread(time.perf_counter() + 10.0)  # "ready" only in ten seconds
        threads._resume_parked()
        self.assertEqual(woken, [True])


class SwitchPointTest(unittest.TestCase):
    def test_no_switch_inside_the_runtime_or_asyncio_but_in_the_programs_code(self):
        import asyncio
        import sys

        here = sys._getframe()
        # This test's stack starts at unittest's runner, which is no root: not switchable.
        self.assertFalse(threads._switchable(here))
        threads.add_root(SwitchPointTest.test_no_switch_inside_the_runtime_or_asyncio_but_in_the_programs_code.__code__)
        self.assertTrue(threads._switchable(here))

        async def inside_the_loop():
            return threads._switchable(sys._getframe())

        loop = asyncio.new_event_loop()
        try:
            self.assertFalse(loop.run_until_complete(inside_the_loop()))
        finally:
            loop.close()

    def test_ticks_count_only_stacks_that_run_the_programs_code(self):
        import sys

        # An asyncio callback that runs the program's coroutine: the main thread's loop.
        namespace = {"sys": sys}
        exec(compile("def step():\n    return sys._getframe()\n", "main.py", "exec"), namespace)
        self.assertTrue(threads._programs_stack(namespace["step"]()))
        # Pyodide's own waiting, called from JavaScript with none of the program's code.
        self.assertFalse(threads._programs_stack(sys._getframe()))
        # A callback of the runtime's own (a file of threads.py's) is nobody's thread, even
        # where it calls the program's code.
        exec(compile("def callback(inner):\n    return inner()\n", threads.__file__, "exec"), namespace)
        self.assertFalse(threads._programs_stack(namespace["callback"](namespace["step"])))

    def test_the_program_runs_its_threads_and_the_record_names_them(self):
        import asyncio

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.addCleanup(loop.close)
        self.addCleanup(asyncio.set_event_loop, None)
        emitted = fakes.Emitted()
        code = (
            "import threading, time\n"
            "def work():\n"
            "    time.sleep(0.002)\n"
            "t = threading.Thread(target=work, name='worker')\n"
            "t.start(); t.join()\n"
        )
        record = json.loads(runtime.run(code, emitted))
        self.assertEqual(record["status"], "done", record)
        names = [t["name"] for t in record["threads"]["threads"]]
        self.assertEqual(names, ["MainThread", "worker"])
        self.assertFalse(record["threads"]["preemptive"], "the fake host has no ticker")
        kinds = {s[0] for t in record["threads"]["threads"] for s in t["stretches"]}
        self.assertLessEqual(kinds, {"run", "wait", "forced", "sleep", "block"})
        self.assertIn("sleep", kinds)
        # No thread, no record.
        self.assertIsNone(json.loads(runtime.run("print(1)\n", fakes.Emitted()))["threads"])
