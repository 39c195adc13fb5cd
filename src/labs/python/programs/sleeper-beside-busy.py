# A thread that sleeps 5 ms at a time beside a busy main thread. Sleeping releases the
# GIL; waking, the thread needs it back, and the busy thread hands it over after one
# switch interval (5 ms). So the heartbeat keeps beating, about every 10 ms.
import threading
import time

beats = 0
done = False


def heartbeat():
    global beats
    while not done:
        time.sleep(0.005)
        beats += 1


def busy(seconds):
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


beating = threading.Thread(target=heartbeat, name="heartbeat")
beating.start()
busy(0.5)
done = True
beating.join()
print("The heartbeat kept beating:", beats > 20)
print(f"One beat every {0.5 / max(beats, 1):.3f} s")
