# One of four requests fails. In a TaskGroup the failure cancels the siblings still
# running and comes out as an ExceptionGroup (caught here with except*). With
# gather(return_exceptions=True) the others finish and the error is one of the results.
import asyncio

cancelled = []  # sorted before printing: the order of cancellation differs between versions


async def fetch(name, seconds, fail=False):
    try:
        await asyncio.sleep(seconds)
        if fail:
            raise ValueError(f"request {name} failed")
        print(f"  {name} finished")
        return name
    except asyncio.CancelledError:
        cancelled.append(name)
        raise


async def with_taskgroup():
    print("TaskGroup:")
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(fetch("a", 0.1))
            group.create_task(fetch("b", 0.2, fail=True))
            group.create_task(fetch("c", 0.3))
            group.create_task(fetch("d", 0.4))
    except* ValueError as errors:
        print("  caught:", [str(e) for e in errors.exceptions])
    print("  cancelled:", sorted(cancelled))


async def with_gather():
    cancelled.clear()
    print("gather(return_exceptions=True):")
    results = await asyncio.gather(
        fetch("a", 0.1),
        fetch("b", 0.2, fail=True),
        fetch("c", 0.3),
        fetch("d", 0.4),
        return_exceptions=True,
    )
    print("  results:", [r if isinstance(r, str) else repr(r) for r in results])
    print("  cancelled:", sorted(cancelled))


async def main():
    await with_taskgroup()
    await with_gather()


asyncio.run(main())
