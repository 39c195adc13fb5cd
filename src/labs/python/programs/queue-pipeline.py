# Three stages joined by asyncio.Queues: the producer puts numbers and then None, the
# sentinel that says "no more"; the transformer multiplies each by 0.2 and passes the
# sentinel on; the saver collects until the sentinel and prints the list, in order.
import asyncio


async def producer(outbox):
    for item in [2, 4, 6, 3, 5, 7, 9]:
        await asyncio.sleep(0.05)  # stands in for reading the next item
        await outbox.put(item)
    await outbox.put(None)


async def transformer(inbox, outbox):
    while (item := await inbox.get()) is not None:
        await asyncio.sleep(0.02)  # stands in for the work
        await outbox.put(item * 0.2)
    await outbox.put(None)


async def saver(inbox):
    saved = []
    while (item := await inbox.get()) is not None:
        saved.append(item)
    print(saved)


async def main():
    raw, transformed = asyncio.Queue(), asyncio.Queue()
    async with asyncio.TaskGroup() as group:
        group.create_task(producer(raw), name="producer")
        group.create_task(transformer(raw, transformed), name="transformer")
        group.create_task(saver(transformed), name="saver")


asyncio.run(main())
