# counter += 1 from four threads, 100,000 times each. Since CPython 3.10 the GIL is only
# handed over at a loop's jump back, a function's start or a call's return, never
# between the load of counter and the store of counter + 1: no update is lost.
# (3.9 could switch in between and lost updates; free-threaded 3.13t loses them too.)
import threading

counter = 0


def add(times):
    global counter
    for _ in range(times):
        counter += 1


threads = [threading.Thread(target=add, args=(100_000,)) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"counter = {counter} (expected 400000)")
