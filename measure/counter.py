# counter += 1 on 3 threads x 1,000,000; report lost updates per run.
import sys, threading
counter = 0
def inc(n):
    global counter
    for _ in range(n):
        counter += 1
res = []
for run in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
    counter = 0
    ts = [threading.Thread(target=inc, args=(1_000_000,)) for _ in range(3)]
    for t in ts: t.start()
    for t in ts: t.join()
    res.append(3_000_000 - counter)
print(sys.version.split()[0], "lost per run:", res)
