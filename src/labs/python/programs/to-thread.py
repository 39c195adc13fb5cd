# The tutorial's fix for a blocking client: asyncio.to_thread runs the blocking call in
# a worker thread, so the event loop carries on. Five calls of 0.5 s each take about
# 0.5 s in CPython.
import asyncio
import time

IDS = [100, 200, 300, 400, 700]


def blocking_fetch(anime_id):
    # Stand-in for a blocking HTTP client such as requests.post: 0.5 s of waiting.
    time.sleep(0.5)
    return f"stand-in title #{anime_id}"


async def main():
    start = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(asyncio.to_thread(blocking_fetch, i)) for i in IDS]
    for anime_id, task in zip(IDS, tasks):
        print(anime_id, task.result())
    print(f"5 blocking calls through to_thread took {time.perf_counter() - start:.2f} s")


asyncio.run(main())
