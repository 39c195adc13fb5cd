# 200 blocking ops of time.sleep(0.0001) alone and beside one CPU-bound thread.
import sys, time, threading, statistics
def io_thread(out):
    lat = []
    t0 = time.perf_counter()
    for _ in range(200):
        a = time.perf_counter(); time.sleep(0.0001); lat.append(time.perf_counter() - a)
    out.append((time.perf_counter() - t0, lat))
stop = False
def cpu():
    x = 0
    while not stop:
        x += 1
def run(with_cpu, interval):
    global stop
    sys.setswitchinterval(interval)
    stop = False
    out = []
    c = threading.Thread(target=cpu) if with_cpu else None
    if c: c.start(); time.sleep(0.05)
    t = threading.Thread(target=io_thread, args=(out,)); t.start(); t.join()
    stop = True
    if c: c.join()
    tot, lat = out[0]
    lat.sort()
    return tot, statistics.median(lat), lat[int(0.99 * len(lat))]
for rep in range(2):
    a = run(False, 0.005); b = run(True, 0.005); c = run(True, 0.001); d = run(True, 0.0005)
    print(sys.version.split()[0], "alone tot %.1f ms p50 %.3f" % (a[0]*1e3, a[1]*1e3),
          "| 5ms tot %.1f ms p50 %.3f p99 %.3f (%.1fx)" % (b[0]*1e3, b[1]*1e3, b[2]*1e3, b[0]/a[0]),
          "| 1ms p50 %.3f (%.1fx)" % (c[1]*1e3, c[1]/a[1]), "| 0.5ms p50 %.3f" % (d[1]*1e3))
