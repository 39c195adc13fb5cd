# The tutorial's 15 AniList requests, all at once with asyncio.gather, timed by the
# tutorial's decorator. That decorator is synchronous: calling an async function only
# creates a coroutine, so it times the creation, a few microseconds. The run's true
# wall time is printed after it.
import asyncio
import json
import random
import time

LIVE = False  # True: real requests to the AniList API with pyodide.http.pyfetch
IDS = [100, 200, 300, 400, 700, 628, 524, 377, 826, 451, 280, 395, 399, 124, 626]
QUERY = "query ($id: Int) { Media(id: $id, type: ANIME) { id title { romaji english native } } }"
latency = random.Random(1)  # the stand-in's network delays, the same on every run


async def fetch_anime(anime_id):
    if LIVE:
        from pyodide.http import pyfetch

        response = await pyfetch(
            "https://graphql.anilist.co",
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            body=json.dumps({"query": QUERY, "variables": {"id": anime_id}}),
        )
        media = (await response.json())["data"]["Media"]
        return media["title"]["english"] or media["title"]["romaji"]
    # Stand-in for the HTTP request: a seeded delay, then a made-up title.
    await asyncio.sleep(latency.uniform(0.4, 0.9))
    return f"stand-in title #{anime_id}"


def timer(func):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = func(*args, **kwargs)
        print(f"{func.__name__} took {time.perf_counter() - start:.1e} s")
        return result

    return wrapper


@timer
async def main():
    titles = await asyncio.gather(*(fetch_anime(anime_id) for anime_id in IDS))
    for anime_id, title in zip(IDS, titles):
        print(anime_id, title)


start = time.perf_counter()
asyncio.run(main())
print(f"the whole asyncio.run(main()) took {time.perf_counter() - start:.2f} s")
