# One CPU-bound process alone vs two at once (same work each): per-process slowdown when both cores are busy.
import time, multiprocessing as mp, sys
def work(n=6_000_000):
    t0 = time.perf_counter(); x = 0
    for i in range(n): x += i
    return time.perf_counter() - t0
if __name__ == "__main__":
    ctx = mp.get_context("fork")
    for rep in range(4):
        with ctx.Pool(2) as p:
            a = p.apply(work)
            r = [p.apply_async(work) for _ in range(2)]; b = [x.get() for x in r]
        print(sys.version.split()[0], f"alone {a:.3f}s, two at once {b[0]:.3f}s {b[1]:.3f}s -> slowdown {(sum(b)/2)/a:.3f}")
