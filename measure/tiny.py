# 1,000 trivial tasks: plain loop, ThreadPoolExecutor(2), ProcessPoolExecutor(2); parent vs child CPU.
import sys, time, os, resource, multiprocessing as mp
from concurrent.futures import ThreadPoolExecutor, ProcessPoolExecutor
def f(x): return x
if __name__ == "__main__":
    for rep in range(3):
        t0 = time.perf_counter(); r = [f(i) for i in range(1000)]; loop = time.perf_counter() - t0
        t0 = time.perf_counter()
        with ThreadPoolExecutor(2) as ex: r = list(ex.map(f, range(1000)))
        tpe = time.perf_counter() - t0
        c0 = time.process_time(); ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        with ProcessPoolExecutor(2, mp_context=mp.get_context("fork")) as ex:
            futs = [ex.submit(f, i) for i in range(1000)]; r = [x.result() for x in futs]
        ppe = time.perf_counter() - t0
        pc = time.process_time() - c0; ch1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        chc = (ch1.ru_utime + ch1.ru_stime) - (ch0.ru_utime + ch0.ru_stime)
        print(sys.version.split()[0], f"loop {loop*1e3:.3f} ms tpe {tpe*1e3:.2f} ms ppe {ppe*1e3:.1f} ms parent cpu {pc*1e3:.1f} ms children cpu {chc*1e3:.1f} ms")
    for m in ("fork", "forkserver", "spawn"):
        ts = []
        for rep in range(3):
            t0 = time.perf_counter()
            with ProcessPoolExecutor(2, mp_context=mp.get_context(m)) as ex:
                ex.submit(f, 1).result(); ts.append(time.perf_counter() - t0)
        print(sys.version.split()[0], m, "first result ms", [round(t*1e3, 1) for t in ts])
