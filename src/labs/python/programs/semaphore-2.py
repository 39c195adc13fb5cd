# The tutorial's Semaphore(2) over 4 requests: at most two are in flight, and the third
# starts only when one of the first two releases its slot.
import asyncio
import json
import random

LIVE = False  # True: real requests to the AniList API with pyodide.http.pyfetch
IDS = [100, 200, 300, 400]
QUERY = "query ($id: Int) { Media(id: $id, type: ANIME) { id title { romaji english native } } }"
latency = random.Random(15)  # the stand-in's network delays, the same on every run


async def fetch_anime(anime_id):
    if LIVE:
        from pyodide.http import pyfetch

        response = await pyfetch(
            "https://graphql.anilist.co",
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            body=json.dumps({"query": QUERY, "variables": {"id": anime_id}}),
        )
        return (await response.json())["data"]["Media"]["title"]["romaji"]
    # Stand-in for the HTTP request: a seeded delay, then a made-up title.
    await asyncio.sleep(latency.uniform(0.5, 1.0))
    return f"stand-in title #{anime_id}"


async def limited_fetch(semaphore, anime_id):
    print(f"Task {anime_id}: waiting for the semaphore")
    async with semaphore:
        print(f"Task {anime_id}: acquired the semaphore")
        await fetch_anime(anime_id)
        print(f"Task {anime_id}: completed")
    print(f"Task {anime_id}: released the semaphore")


async def main():
    semaphore = asyncio.Semaphore(2)
    await asyncio.gather(*(limited_fetch(semaphore, anime_id) for anime_id in IDS))


asyncio.run(main())
