# Two CPU-bound threads under the GIL: the same counting done one call after the other,
# then in two threads at once. Only one thread runs Python at a time, so the threads are
# no faster; but they do take turns (every switch interval, 5 ms), so both finish near
# the end instead of one after the other.
import threading
import time


def count(n):
    while n > 0:
        n -= 1


N = 3_000_000

start = time.perf_counter()
count(N)
count(N)
one_after_another = time.perf_counter() - start

finished = {}


def timed_count(name):
    count(N)
    finished[name] = time.perf_counter()


start = time.perf_counter()
threads = [threading.Thread(target=timed_count, args=(name,)) for name in ("A", "B")]
for t in threads:
    t.start()
for t in threads:
    t.join()
in_threads = time.perf_counter() - start

print(f"One after another: {one_after_another:.2f} s")
print(f"Two threads:       {in_threads:.2f} s")
print("Faster in threads:", in_threads < 0.8 * one_after_another)
# Taking turns, the first to finish is done late too; one after another, at half time.
print("They took turns:", abs(finished["A"] - finished["B"]) < 0.25 * in_threads)
