"""runtime.py under CPython: the run's record, output capture, how a program ends."""

import asyncio
import json
import sys
import unittest

import fakes

runtime, pool, threads = fakes.load()

# The record's fields, which page-runner.js's stoppedRecord() repeats for a run stopped
# before it started (web/tests/page-runner.test.mjs checks that side).
RECORD_FIELDS = {"status", "exception", "wallMs", "tasks", "ticks", "cut", "pool", "threadsStarted", "threads"}


def run(code):
    emitted = fakes.Emitted()
    record = json.loads(runtime.run(code, emitted))
    return record, emitted


def run_async(code, during=None):
    """run_async as the worker calls it without JSPI: awaited inside an event loop."""
    emitted = fakes.Emitted()

    async def main():
        if during is not None:
            asyncio.get_running_loop().call_later(0.05, during)
        return await runtime.run_async(code, emitted)

    return json.loads(asyncio.run(main())), emitted


class RuntimeTest(unittest.TestCase):
    def setUp(self):
        pool._js = None
        self.stdout, self.stderr = sys.stdout, sys.stderr
        # The loop Pyodide's worker always has (run_async's asyncio.run replaces it).
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)

    def tearDown(self):
        self.loop.close()
        asyncio.set_event_loop(None)
        self.assertIs(sys.stdout, self.stdout, "the run left its stdout behind")
        self.assertIs(sys.stderr, self.stderr)

    def test_output_goes_out_as_written_and_each_line_is_a_tick(self):
        record, emitted = run("import sys\nprint('one')\nprint('two', 'three', file=sys.stderr)\nsys.stdout.write('no newline')\n")
        self.assertEqual(record["status"], "done")
        self.assertIsNone(record["exception"])
        self.assertEqual(emitted.text("stdout"), "one\nno newline")
        self.assertEqual(emitted.text("stderr"), "two three\n")
        self.assertEqual([stream for _, _, stream in record["ticks"]], ["stdout", "stderr"])
        self.assertTrue(all(task is None for _, task, _ in record["ticks"]), "no task printed these")
        self.assertEqual(set(record), RECORD_FIELDS)
        self.assertGreaterEqual(record["wallMs"], 0)

    def test_stream_refuses_bytes_as_a_real_text_stream_does(self):
        record, _ = run("import sys\nsys.stdout.write(b'x')\n")
        self.assertEqual(record["exception"]["type"], "TypeError")
        self.assertIn("must be str, not bytes", record["exception"]["message"])

    def test_an_exception_is_the_result_with_a_traceback_cut_to_main_py(self):
        record, emitted = run("def f(x):\n    raise ValueError(f'bad {x}')\n\nf(3)\n")
        exc = record["exception"]
        self.assertEqual(record["status"], "error")
        self.assertEqual((exc["type"], exc["message"], exc["line"]), ("ValueError", "bad 3", 2))
        self.assertTrue(exc["traceback"].startswith("Traceback (most recent call last):\n  File \"main.py\", line 4, in <module>"), exc["traceback"])
        self.assertIn("raise ValueError(f'bad {x}')", exc["traceback"], "the source line is quoted from main.py")
        self.assertNotIn("runtime.py", exc["traceback"])
        self.assertEqual(emitted.text("stderr"), exc["traceback"], "an error's traceback goes to stderr")

    def test_a_chained_exception_keeps_its_cause_without_the_runner(self):
        record, _ = run("try:\n    {}['k']\nexcept KeyError as e:\n    raise RuntimeError('wrapped') from e\n")
        text = record["exception"]["traceback"]
        self.assertIn("KeyError: 'k'", text)
        self.assertIn("The above exception was the direct cause", text)
        self.assertEqual(record["exception"]["line"], 4)

    def test_a_syntax_error_points_at_its_line(self):
        record, _ = run("x = 1\ny = (\n")
        exc = record["exception"]
        self.assertEqual((record["status"], exc["type"], exc["line"]), ("error", "SyntaxError", 2))
        self.assertEqual(exc["message"], "'(' was never closed")
        self.assertIn('File "main.py", line 2', exc["traceback"])

    def test_sys_exit_zero_is_done_and_other_codes_are_errors(self):
        record, _ = run("import sys\nsys.exit()\n")
        self.assertEqual((record["status"], record["exception"]), ("done", None))
        record, _ = run("import sys\nsys.exit(3)\n")
        self.assertEqual((record["status"], record["exception"]["type"]), ("error", "SystemExit"))

    def test_keyboard_interrupt_is_a_stop(self):
        record, _ = run("print('before')\nraise KeyboardInterrupt\n")
        self.assertEqual((record["status"], record["exception"]["type"], record["exception"]["line"]), ("stopped", "KeyboardInterrupt", 2))

    def test_the_program_is_main_and_its_functions_pickle_by_name(self):
        record, emitted = run("import pickle, sys\ndef f(): pass\nprint(__name__, sys.modules['__main__'].f is f, pickle.loads(pickle.dumps(f)) is f)\n")
        self.assertEqual(record["status"], "done", record["exception"])
        self.assertEqual(emitted.text("stdout"), "__main__ True True\n")
        self.assertIsNot(sys.modules.get("__main__"), None)
        self.assertNotEqual(getattr(sys.modules["__main__"], "__file__", None), "main.py", "the runner's __main__ is put back")

    def test_tasks_are_numbered_from_one_in_every_run_without_the_runners_task(self):
        code = (
            "import asyncio\n"
            "async def work(n):\n"
            "    await asyncio.sleep(0)\n"
            "    print('work', n)\n"
            "async def main():\n"
            "    await asyncio.gather(work(1), work(2))\n"
            "asyncio.run(main())\n"
        )
        for _ in range(2):
            record, emitted = run_async(code)
            self.assertEqual(record["status"], "done", record["exception"])
            self.assertEqual([t["name"] for t in record["tasks"]], ["Task-1", "Task-2", "Task-3"])
            for task in record["tasks"]:
                self.assertTrue(task["segments"], task)
                for a, b in task["segments"]:
                    self.assertLessEqual(a, b)
            self.assertEqual(emitted.text("stdout"), "work 1\nwork 2\n")
            self.assertEqual(sorted(t for _, t, _ in record["ticks"]), [1, 2], "each line is on the lane of the task that printed it")

    def test_stop_while_the_program_waits_cancels_it_as_stopped(self):
        code = "import asyncio\nasync def main():\n    await asyncio.sleep(30)\nasyncio.run(main())\n"
        record, _ = run_async(code, during=runtime.stop)
        self.assertEqual(record["status"], "stopped", record)
        self.assertEqual(record["exception"]["type"], "CancelledError")

    def test_a_cancelled_error_without_stop_is_an_error(self):
        record, _ = run_async("import asyncio\nraise asyncio.CancelledError()\n")
        self.assertEqual(record["status"], "error")

    def test_asyncio_run_inside_a_function_is_left_alone(self):
        tree = runtime._AwaitRuns().visit(runtime.ast.parse("import asyncio\nasyncio.run(a())\ndef f():\n    asyncio.run(b())\n"))
        text = runtime.ast.unparse(tree)
        self.assertIn("await __playground_run__(a())", text)
        self.assertIn("asyncio.run(b())", text)

    def test_the_record_is_cut_at_its_limit(self):
        saved = runtime.MAX_TICKS
        runtime.MAX_TICKS = 3
        try:
            record, emitted = run("for i in range(10):\n    print(i)\n")
        finally:
            runtime.MAX_TICKS = saved
        self.assertEqual(len(record["ticks"]), 3)
        self.assertTrue(record["cut"])
        self.assertEqual(emitted.text("stdout").count("\n"), 10, "output is not cut with the record")


if __name__ == "__main__":
    unittest.main()
