# The tutorial's CPU-bound tasks, one after another: for each (start, end), the product
# of start..end, then two million rounds of (result % 1000000007) * 2. Pure Python work:
# compare the time with the CPU lab's Rust version and with CPython on your machine.
import time

TASKS = [(2, 38), (5, 50), (68, 83), (14, 57), (3, 38), (6, 50), (69, 83), (15, 57), (4, 38), (7, 50),
         (70, 83), (16, 57), (5, 38), (8, 50), (25, 83), (17, 57), (6, 38), (9, 50), (26, 83), (18, 57)]


def calculate_factorial(start, end):
    result = 1
    for n in range(start, end + 1):
        result *= n
    for _ in range(2_000_000):
        result = (result % 1000000007) * 2
    return result


start = time.perf_counter()
results = [calculate_factorial(a, b) for a, b in TASKS]
elapsed = time.perf_counter() - start
for (a, b), result in zip(TASKS, results):
    print(f"({a}, {b}) -> {result}")
print(f"20 tasks, one after another: {elapsed:.2f} s")
