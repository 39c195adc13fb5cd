# The tutorial's race on a bank balance: four threads each withdraw 50 by reading the
# balance, sleeping 1 ms (so another thread runs), then writing what they read minus 50.
# Expected 800; CPython prints 950 or 900, as threads read before others write.
import threading
import time

balance = 1000


def withdraw(amount):
    global balance
    current = balance
    time.sleep(0.001)
    balance = current - amount


threads = [threading.Thread(target=withdraw, args=(50,)) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"Final balance: {balance}")
