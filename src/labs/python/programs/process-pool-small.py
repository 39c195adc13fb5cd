# The tutorial's CPU-bound program with a tenth of the work (200,000 rounds a task), for
# a quick look: 20 tasks on a process pool of cpu_count // 2 workers, results as they
# finish. Each worker is its own CPython in its own Web Worker, started as spawn does.
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

TASKS = [(2, 38), (5, 50), (68, 83), (14, 57), (3, 38), (6, 50), (69, 83), (15, 57), (4, 38), (7, 50),
         (70, 83), (16, 57), (5, 38), (8, 50), (25, 83), (17, 57), (6, 38), (9, 50), (26, 83), (18, 57)]
ITERATIONS = 200_000


def calculate_factorial(start, end):
    result = 1
    for n in range(start, end + 1):
        result *= n
    for _ in range(ITERATIONS):
        result = (result % 1000000007) * 2
    return result


if __name__ == "__main__":
    workers = max(1, multiprocessing.cpu_count() // 2)
    start_time = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as executor:
        futures = {executor.submit(calculate_factorial, start, end): (start, end) for start, end in TASKS}
        for future in as_completed(futures):
            start, end = futures[future]
            print(f"Factorial of range ({start}, {end}): {future.result()}")
    elapsed = time.perf_counter() - start_time
    print(f"{len(TASKS)} tasks, max_workers={workers}: {elapsed:.2f} s")
