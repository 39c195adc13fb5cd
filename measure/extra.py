# Convoy at a 50 ms interval (40 ops), hashlib on 2 threads vs sequential, a long GIL-holding C call beside a heartbeat.
import sys, time, threading, statistics, hashlib
stop = False
def cpu():
    x = 0
    while not stop: x += 1
def convoy50():
    global stop
    sys.setswitchinterval(0.05); stop = False
    c = threading.Thread(target=cpu); c.start(); time.sleep(0.1)
    lat = []
    def io():
        for _ in range(40):
            a = time.perf_counter(); time.sleep(0.0001); lat.append(time.perf_counter() - a)
    t = threading.Thread(target=io); t.start(); t.join(); stop = True; c.join()
    sys.setswitchinterval(0.005)
    return statistics.median(lat) * 1e3
def hashing():
    buf = b"x" * (64 << 20)
    def h():
        for _ in range(4): hashlib.sha256(buf).digest()
    t0 = time.perf_counter(); h(); h(); seq = time.perf_counter() - t0
    ts = [threading.Thread(target=h) for _ in range(2)]
    t0 = time.perf_counter(); [t.start() for t in ts]; [t.join() for t in ts]; par = time.perf_counter() - t0
    return seq, par
def chold():
    lat = []
    done = False
    def hb():
        while not done:
            a = time.perf_counter(); time.sleep(0.01); lat.append(time.perf_counter() - a)
    t = threading.Thread(target=hb); t.start(); time.sleep(0.05)
    t0 = time.perf_counter(); sum(range(10**8)); call = time.perf_counter() - t0
    time.sleep(0.05); done = True; t.join()
    return call * 1e3, max(lat) * 1e3
print(sys.version.split()[0], "convoy p50 at 50 ms interval: %.2f ms" % convoy50())
s, p = hashing(); print(sys.version.split()[0], "sha256 8 x 64 MiB: sequential %.3f s, 2 threads %.3f s, %.2fx" % (s, p, s / p))
c, m = chold(); print(sys.version.split()[0], "sum(range(10**8)) %.0f ms; heartbeat max latency %.0f ms" % (c, m))
