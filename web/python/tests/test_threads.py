"""threads.py under CPython 3.13: its locks, and threading built on its emulated threads.
Without JSPI a stack cannot be suspended, so fakes.Scheduler runs a started thread when
another waits for it; the tests keep to what that order can show."""

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
