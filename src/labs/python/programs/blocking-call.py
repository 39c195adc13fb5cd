# time.sleep inside a coroutine blocks the thread, and with it the event loop: while
# it sleeps, no other task runs. The ticker should print every 0.1 s; watch the gap.
import asyncio
import time


async def ticker():
    last = time.perf_counter()
    longest = 0.0
    for n in range(6):
        print(f"tick {n}")
        await asyncio.sleep(0.1)
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    print(f"the longest gap between ticks: {longest:.2f} s")


async def blocker():
    await asyncio.sleep(0.15)
    print("blocking the loop with time.sleep(1)")
    time.sleep(1)  # the mistake: await asyncio.sleep(1) would let the ticker run
    print("done blocking")


async def main():
    async with asyncio.TaskGroup() as group:
        group.create_task(ticker(), name="ticker")
        group.create_task(blocker(), name="blocker")


asyncio.run(main())
