# CPU-bound pure Python: sequential vs 2 and 4 threads (same total work).
import sys, time, threading
def work(n):
    x = 0
    for i in range(n):
        x += i
    return x
N = 12_000_000
def run(k):
    ts = [threading.Thread(target=work, args=(N // k,)) for _ in range(k)]
    t0 = time.perf_counter()
    for t in ts: t.start()
    for t in ts: t.join()
    return time.perf_counter() - t0
def seq():
    t0 = time.perf_counter(); work(N); return time.perf_counter() - t0
for rep in range(3):
    s = seq(); t2 = run(2); t4 = run(4)
    print(sys.version.split()[0], f"seq {s:.3f} t2 {t2:.3f} ({s/t2:.3f}x) t4 {t4:.3f} ({s/t4:.3f}x)")
