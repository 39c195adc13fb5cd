# What a process pool pays to move data: every argument is pickled, copied into the
# child and unpickled there, and the result comes back the same way. Summing a million
# numbers is quick; sending them to another interpreter is not.
import time
from concurrent.futures import ProcessPoolExecutor


def total(numbers):
    return sum(numbers)


if __name__ == "__main__":
    numbers = list(range(1_000_000))
    start = time.perf_counter()
    here = total(numbers)
    local_ms = (time.perf_counter() - start) * 1000

    with ProcessPoolExecutor(max_workers=1) as executor:
        executor.submit(total, [1, 2, 3]).result()  # the worker starts first: start-up is not counted
        start = time.perf_counter()
        there = executor.submit(total, numbers).result()
        pool_ms = (time.perf_counter() - start) * 1000

    print(f"sum here:      {here} in {local_ms:.1f} ms")
    print(f"sum in a pool: {there} in {pool_ms:.1f} ms")
    print(f"the pool took {pool_ms / local_ms:.1f} times as long: most of it pickling and copying")
