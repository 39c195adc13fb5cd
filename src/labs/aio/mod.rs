//! The async lab: asyncio's analogue. Coroutines on one thread, here Rust futures on the
//! browser's event loop, doing simulated or real HTTP requests.

pub mod config;
pub mod model;
pub mod state;
#[cfg(target_arch = "wasm32")]
pub mod view;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use super::{LabMeta, Preset};
use crate::core::models::PythonModel;

pub static META: LabMeta = LabMeta {
    id: "async",
    title: "Async lab",
    model: PythonModel::Asyncio,
    summary: "Requests as coroutines on one event loop: sequential awaits, gather, a semaphore, \
              TaskGroup, timeouts, a blocked loop, and a queue pipeline.",
    presets: &[
        Preset {
            id: "sequential",
            title: "15 requests, one after another",
            blurb: "Each request is awaited before the next starts: about 10 s, close to the tutorial's 10.3 s.",
            query: "net=sim&n=15&lat=690&jitter=150&seed=1&mode=seq&k=0",
        },
        Preset {
            id: "pool-of-5",
            title: "15 requests, 5 at a time",
            blurb: "A semaphore of 5, like the tutorial's pool of 5 workers (3.0 s there against 10.3 s one at a time, \
                    over a real network). With these simulated latencies: three waves, about 2 s.",
            query: "net=sim&n=15&lat=690&jitter=150&seed=1&mode=gather&k=5",
        },
        Preset {
            id: "gather",
            title: "asyncio.gather of all 15",
            blurb: "All at once: as long as the slowest request, under 1 s. Also shows the timing pitfall: creating \
                    the coroutines takes well under a millisecond; running them does not.",
            query: "net=sim&n=15&lat=690&jitter=150&seed=1&mode=gather&k=0",
        },
        Preset {
            id: "semaphore-2",
            title: "Semaphore(2) over 4 requests",
            blurb: "At most two in flight: the third starts only when one releases. Watch the event log.",
            query: "net=sim&n=4&lat=1000&jitter=0&seed=1&mode=gather&k=2",
        },
        Preset {
            id: "taskgroup",
            title: "TaskGroup: first failure cancels the rest",
            blurb: "With a 25% failure rate, the first error cancels every sibling still running.",
            query: "net=sim&n=15&lat=690&jitter=400&fail=25&seed=3&mode=taskgroup&k=0",
        },
        Preset {
            id: "gather-errors",
            title: "gather(return_exceptions=True)",
            blurb: "The same failures, but errors are collected as results and the other requests complete.",
            query: "net=sim&n=15&lat=690&jitter=400&fail=25&seed=3&mode=gather&k=0",
        },
        Preset {
            id: "timeouts",
            title: "wait_for timeouts and a deadline",
            blurb: "Each request gets 800 ms (wait_for); the whole run gets 2 s (asyncio.timeout).",
            query: "net=sim&n=15&lat=690&jitter=400&seed=1&mode=gather&k=5&timeout=800&deadline=2000",
        },
        Preset {
            id: "blocking",
            title: "A blocking call freezes the loop",
            blurb: "One coroutine computes for 1.5 s without awaiting: every other request and the animation stall.",
            query: "net=sim&n=15&lat=690&jitter=150&seed=1&mode=gather&k=0&block=1500",
        },
        Preset {
            id: "to-thread",
            title: "The fix: asyncio.to_thread",
            blurb: "The same work sent to a worker thread with to_thread, inside a TaskGroup: the other requests \
                    carry on. (Without the page's worker threads the work has nowhere to go and blocks the loop.)",
            query: "net=sim&n=15&lat=690&jitter=150&seed=1&mode=taskgroup&k=0&block=1500&offload=1",
        },
        Preset {
            id: "pipeline",
            title: "Producer, transformer, saver",
            blurb: "Three stages joined by queues of size 2: a slow saver holds the producer back.",
            query: "exp=pipeline&q1=2&q2=2&pms=50&tms=100&sms=150",
        },
        Preset {
            id: "pipeline-unbounded",
            title: "The pipeline with unbounded queues",
            blurb: "Nothing holds the producer back, so the queues grow while the saver catches up.",
            query: "exp=pipeline&q1=0&q2=0&pms=50&tms=100&sms=150",
        },
        Preset {
            id: "live-anilist",
            title: "Live: the AniList API",
            blurb: "The real 15 GraphQL requests, 5 at a time, each given 10 s (wait_for). Needs the network.",
            query: "net=live&n=15&mode=gather&k=5&timeout=10000",
        },
        Preset {
            id: "live-sequential",
            title: "Live: AniList, one after another",
            blurb: "The same 15 requests awaited one by one, each given 10 s. Compare the wall time with 5 at a time \
                    (the tutorial: 10.3 s against 3.0 s).",
            query: "net=live&n=15&mode=seq&k=0&timeout=10000",
        },
    ],
};
