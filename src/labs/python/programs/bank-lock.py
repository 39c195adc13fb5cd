# The same withdrawals with a Lock around read, sleep and write: one thread at a time
# holds it, so each reads what the last one wrote, and the balance ends at 800.
import threading
import time

balance = 1000
lock = threading.Lock()


def withdraw(amount):
    global balance
    with lock:
        current = balance
        time.sleep(0.001)
        balance = current - amount


threads = [threading.Thread(target=withdraw, args=(50,)) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"Final balance: {balance}")
