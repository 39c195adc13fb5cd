//! asyncio's tools, written once as async Rust over an [`Env`]: natively they run on a
//! virtual clock (tests), in the browser on the real event loop with real timers and
//! real fetches. Cancellation is Rust's: dropping a future cancels it, and each request
//! carries a guard that records "cancelled" if it is dropped before it finished.

use futures::future::{select, Either, LocalBoxFuture};
use futures::stream::{FuturesUnordered, StreamExt};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;

/// What the orchestration needs from the world.
pub trait Env {
    /// Milliseconds on this run's clock.
    fn now(&self) -> f64;
    fn sleep(&self, ms: f64) -> LocalBoxFuture<'static, ()>;
    /// Performs request `index`: its title, or why it failed.
    fn fetch(&self, index: usize) -> LocalBoxFuture<'static, Result<String, String>>;
    /// Computes for `ms` on the event loop's own thread: nothing else runs meanwhile.
    fn block(&self, ms: f64);
    /// Computes for `ms` on another thread (`asyncio.to_thread`), awaiting the result.
    /// Only called when [`Env::has_workers`] says there is another thread.
    fn offload(&self, ms: f64) -> LocalBoxFuture<'static, ()>;
    /// Whether there is a thread besides the loop's to offload to.
    fn has_workers(&self) -> bool;
}

/// The AniList IDs of the classic demo.
pub const CLASSIC_IDS: [u32; 15] = [100, 200, 300, 400, 700, 628, 524, 377, 826, 451, 280, 395, 399, 124, 626];

/// One simulated request, decided up front from the seed so runs are repeatable.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Planned {
    pub id: u32,
    pub latency_ms: f64,
    pub fails: bool,
}

/// Latency `mean ± jitter` (uniform) and failures with probability `fail_rate`.
pub fn plan(ids: &[u32], mean_ms: f64, jitter_ms: f64, fail_rate: f64, seed: u64) -> Vec<Planned> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    ids.iter()
        .map(|&id| {
            let jitter = if jitter_ms > 0.0 { rng.random_range(-jitter_ms..=jitter_ms) } else { 0.0 };
            let fails = fail_rate > 0.0 && rng.random_bool(fail_rate.clamp(0.0, 1.0));
            Planned { id, latency_ms: (mean_ms + jitter).max(0.0), fails }
        })
        .collect()
}

/// The ids of `n` requests: the classic 15 first, then 1, 2, 3... skipping those already
/// used, so every id is asked for once.
pub fn ids_for(n: usize) -> Vec<u32> {
    CLASSIC_IDS.iter().copied().chain((1..=u32::MAX).filter(|id| !CLASSIC_IDS.contains(id))).take(n).collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Pending,
    /// Waiting for a semaphore permit.
    Waiting,
    InFlight,
    Done,
    Failed,
    Cancelled,
    TimedOut,
}

impl Phase {
    pub fn is_final(self) -> bool {
        matches!(self, Phase::Done | Phase::Failed | Phase::Cancelled | Phase::TimedOut)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub index: usize,
    pub id: u32,
    pub phase: Phase,
    /// When it started waiting for a permit (if it had to).
    pub wait_ms: Option<f64>,
    pub start_ms: Option<f64>,
    pub end_ms: Option<f64>,
    /// The title (live) or "ok" (simulated), or the error.
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub t: f64,
    pub index: usize,
    pub text: String,
}

/// What CPython prints for the Semaphore(2) demo over 4 equally long requests: the first two
/// timers fall due in one pass of the loop, so both requests finish and release before the
/// waiting two acquire.
pub const PYTHON_SEMAPHORE_DEMO_LOG: [&str; 12] = [
    "0 acquired", "1 acquired", "0 completed", "0 released", "1 completed", "1 released", "2 acquired", "3 acquired",
    "2 completed", "2 released", "3 completed", "3 released",
];

/// Everything a run did, in run-relative milliseconds.
#[derive(Debug, Default)]
pub struct Recorder {
    pub origin: f64,
    pub requests: Vec<RequestRecord>,
    pub events: Vec<Event>,
    /// (time, requests in flight) after every change.
    pub in_flight: Vec<(f64, usize)>,
    pub finished_at: Option<f64>,
    /// Requests in flight right now (kept as a count: recounting is O(n) per event).
    pub in_flight_now: usize,
    /// How long creating the coroutines took, before any of them ran.
    pub creation_ms: Option<f64>,
    pub note: Option<String>,
    /// When the loop's thread was held by synchronous work (from, to).
    pub blocked: Option<(f64, f64)>,
}

pub type Rec = Rc<RefCell<Recorder>>;

impl Recorder {
    pub fn new(ids: &[u32], origin: f64) -> Rec {
        Rc::new(RefCell::new(Recorder {
            origin,
            requests: ids
                .iter()
                .enumerate()
                .map(|(index, &id)| RequestRecord { index, id, phase: Phase::Pending, wait_ms: None, start_ms: None, end_ms: None, detail: None })
                .collect(),
            ..Recorder::default()
        }))
    }

    /// The permit lines of the event log ("0 acquired", "0 completed", "0 released", ...),
    /// in the form Python's Semaphore demo prints them.
    pub fn semaphore_log(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| ["completed", "released", "acquired"].contains(&e.text.as_str()))
            .map(|e| format!("{} {}", e.index, e.text))
            .collect()
    }

    fn event(&mut self, t: f64, index: usize, text: impl Into<String>) {
        self.events.push(Event { t, index, text: text.into() });
    }

    fn record_in_flight(&mut self, t: f64) {
        self.in_flight.push((t, self.in_flight_now));
    }

    /// Sum of the time finished requests spent in flight: what awaiting them one after
    /// another would take. Cancelled requests never finished, so they do not count.
    pub fn sum_of_latencies(&self) -> f64 {
        self.requests
            .iter()
            .filter(|r| matches!(r.phase, Phase::Done | Phase::Failed | Phase::TimedOut))
            .filter_map(|r| Some(r.end_ms? - r.start_ms?))
            .sum()
    }

    /// Requests in phase `p`.
    pub fn count(&self, p: Phase) -> usize {
        self.requests.iter().filter(|q| q.phase == p).count()
    }

    /// Requests that have ended, one way or another.
    pub fn finished(&self) -> usize {
        self.requests.iter().filter(|q| q.phase.is_final()).count()
    }

    pub fn max_in_flight(&self) -> usize {
        self.in_flight.iter().map(|x| x.1).max().unwrap_or(0)
    }

    /// Sum of latencies over wall time, once the run has ended in some time.
    pub fn speedup(&self) -> Option<f64> {
        self.finished_at.filter(|w| *w > 0.0).map(|w| self.sum_of_latencies() / w)
    }
}

/// Records the end of a request, once: later calls (a guard after a timeout) do nothing.
fn finish(rec: &Rec, env: &dyn Env, index: usize, phase: Phase, detail: Option<String>) {
    let mut r = rec.borrow_mut();
    let t = env.now() - r.origin;
    let Some(req) = r.requests.get_mut(index) else { return };
    if req.phase.is_final() {
        return;
    }
    let was_in_flight = req.phase == Phase::InFlight;
    req.phase = phase;
    req.end_ms = Some(t);
    req.detail = detail;
    let text = match phase {
        Phase::Done => "completed".to_string(),
        Phase::Failed => format!("failed: {}", req.detail.clone().unwrap_or_default()),
        Phase::Cancelled => "cancelled".to_string(),
        Phase::TimedOut => "timed out".to_string(),
        _ => String::new(),
    };
    r.event(t, index, text);
    if was_in_flight {
        r.in_flight_now = r.in_flight_now.saturating_sub(1);
        r.record_in_flight(t);
    }
}

/// Marks every request that never finished as cancelled: in a sequential run the later
/// requests were never even started when the run was stopped.
fn cancel_unfinished(rec: &Rec, env: &dyn Env) {
    let n = rec.borrow().requests.len();
    for i in 0..n {
        finish(rec, env, i, Phase::Cancelled, None);
    }
}

/// Ends the run when it is dropped, whether it finished or was cancelled (the Cancel
/// button drops it): what is left is cancelled, and the wall time is taken then, so a
/// cancelled run has one too.
struct RunGuard {
    rec: Rec,
    env: Rc<dyn Env>,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        cancel_unfinished(&self.rec, &*self.env);
        let t = self.env.now() - self.rec.borrow().origin;
        self.rec.borrow_mut().finished_at.get_or_insert(t);
    }
}

/// Marks its request cancelled if dropped before the request finished.
struct Guard {
    rec: Rec,
    env: Rc<dyn Env>,
    index: usize,
}

impl Drop for Guard {
    fn drop(&mut self) {
        finish(&self.rec, &*self.env, self.index, Phase::Cancelled, None);
    }
}

/// How the requests are awaited. Its name in links and in the results JSON is
/// [`crate::labs::aio::config::strategy_key`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// `for id in ids: await fetch(id)`
    Sequential,
    /// `asyncio.gather(*tasks, return_exceptions=True)`: errors are collected, the rest finish.
    Gather,
    /// `async with asyncio.TaskGroup()`: the first failure cancels the siblings.
    TaskGroup,
}

/// How one run is organised.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    pub strategy: Strategy,
    /// Semaphore size; `None` for no limit.
    pub limit: Option<usize>,
    /// `asyncio.wait_for(fetch, timeout)` per request.
    pub timeout_ms: Option<f64>,
    /// `async with asyncio.timeout(deadline)` around everything.
    pub deadline_ms: Option<f64>,
    /// The first coroutine computes this long before its request...
    pub block_ms: f64,
    /// ...on the loop's thread (false) or via `asyncio.to_thread` (true).
    pub offload: bool,
}

async fn one_request(env: Rc<dyn Env>, rec: Rec, index: usize, spec: Rc<RunSpec>, sem: Option<Rc<async_lock::Semaphore>>) -> Result<(), ()> {
    let _guard = Guard { rec: Rc::clone(&rec), env: Rc::clone(&env), index };
    let now = |env: &Rc<dyn Env>, rec: &Rec| env.now() - rec.borrow().origin;
    let permit = match &sem {
        Some(sem) => {
            {
                let t = now(&env, &rec);
                let mut r = rec.borrow_mut();
                r.requests[index].phase = Phase::Waiting;
                r.requests[index].wait_ms = Some(t);
                r.event(t, index, "waiting for semaphore");
            }
            let permit = sem.acquire().await;
            let t = now(&env, &rec);
            rec.borrow_mut().event(t, index, "acquired");
            Some(permit)
        }
        None => None,
    };
    if index == 0 && spec.block_ms > 0.0 {
        let t = now(&env, &rec);
        let ms = spec.block_ms;
        if spec.offload && env.has_workers() {
            rec.borrow_mut().event(t, index, format!("to_thread: {ms:.0} ms of CPU work on a worker"));
            env.offload(ms).await;
        } else {
            let text = if spec.offload {
                format!("to_thread has no worker on this page, so {ms:.0} ms of CPU work blocks the event loop")
            } else {
                format!("blocks the event loop with {ms:.0} ms of CPU work")
            };
            rec.borrow_mut().event(t, index, text);
            env.block(ms);
            let to = now(&env, &rec);
            rec.borrow_mut().blocked = Some((t, to));
        }
    }
    {
        let t = now(&env, &rec);
        let mut r = rec.borrow_mut();
        r.requests[index].phase = Phase::InFlight;
        r.requests[index].start_ms = Some(t);
        r.event(t, index, "started");
        r.in_flight_now += 1;
        r.record_in_flight(t);
    }
    let outcome = match spec.timeout_ms {
        Some(limit) => match select(env.fetch(index), env.sleep(limit)).await {
            Either::Left((result, _)) => Some(result),
            Either::Right(_) => None,
        },
        None => Some(env.fetch(index).await),
    };
    let ok = match outcome {
        Some(Ok(detail)) => {
            finish(&rec, &*env, index, Phase::Done, Some(detail));
            true
        }
        Some(Err(e)) => {
            finish(&rec, &*env, index, Phase::Failed, Some(e));
            false
        }
        None => {
            finish(&rec, &*env, index, Phase::TimedOut, Some(format!("no answer within {:.0} ms", spec.timeout_ms.unwrap_or(0.0))));
            false
        }
    };
    if permit.is_some() {
        drop(permit);
        let t = now(&env, &rec);
        rec.borrow_mut().event(t, index, "released");
    }
    if ok { Ok(()) } else { Err(()) }
}

/// Runs every request of `rec` as `spec` says. Dropping the returned future cancels the
/// run: unfinished requests are recorded as cancelled.
pub fn run(env: Rc<dyn Env>, rec: Rec, spec: RunSpec) -> LocalBoxFuture<'static, ()> {
    let deadline_ms = spec.deadline_ms;
    let spec = Rc::new(spec);
    let n = rec.borrow().requests.len();
    let sem = spec.limit.map(|k| Rc::new(async_lock::Semaphore::new(k.max(1))));
    // Like calling the coroutine functions: creating these does not run them.
    let created_at = env.now();
    let tasks: Vec<LocalBoxFuture<'static, Result<(), ()>>> = (0..n)
        .map(|i| Box::pin(one_request(Rc::clone(&env), Rc::clone(&rec), i, Rc::clone(&spec), sem.clone())) as LocalBoxFuture<'static, _>)
        .collect();
    rec.borrow_mut().creation_ms = Some(env.now() - created_at);
    let rec2 = Rc::clone(&rec);
    let body: LocalBoxFuture<'static, ()> = Box::pin(async move {
        match spec.strategy {
            Strategy::Sequential => {
                for task in tasks {
                    let _ = task.await;
                }
            }
            Strategy::Gather => {
                futures::future::join_all(tasks).await;
            }
            Strategy::TaskGroup => {
                let mut group: FuturesUnordered<_> = tasks.into_iter().collect();
                while let Some(result) = group.next().await {
                    if result.is_err() {
                        rec2.borrow_mut().note = Some("A task failed, so the TaskGroup cancelled the others.".into());
                        break;
                    }
                }
                // Dropping the group cancels whatever is still running.
            }
        }
    });
    Box::pin(async move {
        // Times count from when the loop first runs this, not from when it was created.
        let origin = env.now();
        rec.borrow_mut().origin = origin;
        let _guard = RunGuard { rec: Rc::clone(&rec), env: Rc::clone(&env) };
        match deadline_ms {
            Some(ms) => {
                if let Either::Right(_) = select(body, env.sleep(ms)).await {
                    rec.borrow_mut().note = Some(format!("The {ms:.0} ms deadline passed; everything unfinished was cancelled."));
                }
            }
            None => body.await,
        }
        // `_guard` ends the run here.
    })
}

// ---------------------------------------------------------------------------------------
// The three-stage pipeline: producer -> transformer (x 0.2) -> saver, with a sentinel.

#[derive(Clone, Debug, PartialEq)]
pub struct PipelineSpec {
    pub items: Vec<f64>,
    /// Queue capacities; 0 means unbounded.
    pub q1: usize,
    pub q2: usize,
    /// Milliseconds each stage spends per item.
    pub produce_ms: f64,
    pub transform_ms: f64,
    pub save_ms: f64,
}

impl Default for PipelineSpec {
    fn default() -> Self {
        PipelineSpec { items: vec![2.0, 4.0, 6.0, 3.0, 5.0, 7.0, 9.0], q1: 2, q2: 2, produce_ms: 50.0, transform_ms: 100.0, save_ms: 150.0 }
    }
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineRecord {
    /// (time, depth of queue 1, depth of queue 2)
    pub depths: Vec<(f64, usize, usize)>,
    /// Intervals the producer spent blocked on a full queue.
    pub producer_blocked: Vec<(f64, f64)>,
    pub events: Vec<Event>,
    pub output: Vec<f64>,
    pub finished_at: Option<f64>,
}

/// Python's repr of a float: the shortest digits that read back as the same number
/// (`0.4`, `1.2000000000000002`), plain with at least one decimal (`1.0`, `0.0001`) when
/// the decimal exponent is from -4 to 15, otherwise in exponent form (`2e-05`, `1e+16`).
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `{:e}` also gives the shortest round-trip digits: `-1.2345e20`, `5e-324`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if !(-4..16).contains(&exp) {
        let sign_e = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{mantissa}e{sign_e}{:02}", exp.unsigned_abs());
    }
    // Plain form: place the point `exp + 1` digits in, padding with zeros either side.
    let point = exp + 1;
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else {
        let point = point as usize;
        if digits.len() > point {
            format!("{}.{}", &digits[..point], &digits[point..])
        } else {
            format!("{digits}{}.0", "0".repeat(point - digits.len()))
        }
    };
    format!("{sign}{body}")
}

pub fn py_list(xs: &[f64]) -> String {
    format!("[{}]", xs.iter().map(|x| py_float(*x)).collect::<Vec<_>>().join(", "))
}

fn channel<T>(cap: usize) -> (async_channel::Sender<T>, async_channel::Receiver<T>) {
    if cap == 0 { async_channel::unbounded() } else { async_channel::bounded(cap) }
}

pub fn pipeline(env: Rc<dyn Env>, spec: PipelineSpec) -> (Rc<RefCell<PipelineRecord>>, LocalBoxFuture<'static, ()>) {
    let rec = Rc::new(RefCell::new(PipelineRecord::default()));
    let origin = env.now();
    let (tx1, rx1) = channel::<Option<f64>>(spec.q1);
    let (tx2, rx2) = channel::<Option<f64>>(spec.q2);
    let depth = {
        let (rec, env, tx1, tx2) = (Rc::clone(&rec), Rc::clone(&env), tx1.clone(), tx2.clone());
        move || {
            let t = env.now() - origin;
            rec.borrow_mut().depths.push((t, tx1.len(), tx2.len()));
        }
    };
    let log = {
        let (rec, env) = (Rc::clone(&rec), Rc::clone(&env));
        move |stage: usize, text: String| {
            let t = env.now() - origin;
            rec.borrow_mut().events.push(Event { t, index: stage, text });
        }
    };
    let producer = {
        let (env, rec, depth, log) = (Rc::clone(&env), Rc::clone(&rec), depth.clone(), log.clone());
        let items = spec.items.clone();
        async move {
            for x in items.into_iter().map(Some).chain([None]) {
                if x.is_some() {
                    env.sleep(spec.produce_ms).await;
                }
                // Only a full queue makes put() wait; an unbounded one never does.
                let full = tx1.is_full();
                let asked = env.now() - origin;
                let _ = tx1.send(x).await;
                let got = env.now() - origin;
                if full {
                    rec.borrow_mut().producer_blocked.push((asked, got));
                }
                log(0, match x { Some(v) => format!("put {}", py_float(v)), None => "put None (done)".into() });
                depth();
            }
        }
    };
    let transformer = {
        let (env, depth, log) = (Rc::clone(&env), depth.clone(), log.clone());
        async move {
            while let Ok(item) = rx1.recv().await {
                depth();
                match item {
                    Some(v) => {
                        env.sleep(spec.transform_ms).await;
                        let y = v * 0.2;
                        let _ = tx2.send(Some(y)).await;
                        log(1, format!("{} \u{2192} {}", py_float(v), py_float(y)));
                        depth();
                    }
                    None => {
                        let _ = tx2.send(None).await;
                        log(1, "passed None on".into());
                        depth();
                        break;
                    }
                }
            }
        }
    };
    let saver = {
        let (env, rec, depth, log) = (Rc::clone(&env), Rc::clone(&rec), depth.clone(), log.clone());
        async move {
            while let Ok(item) = rx2.recv().await {
                depth();
                match item {
                    Some(v) => {
                        env.sleep(spec.save_ms).await;
                        rec.borrow_mut().output.push(v);
                        log(2, format!("saved {}", py_float(v)));
                    }
                    None => {
                        let out = py_list(&rec.borrow().output);
                        log(2, format!("writes {out}"));
                        break;
                    }
                }
            }
        }
    };
    let end = PipelineEnd { rec: Rc::clone(&rec), env, origin };
    let fut = Box::pin(async move {
        let _end = end;
        futures::join!(producer, transformer, saver);
    });
    (rec, fut)
}

/// Takes the pipeline's wall time when it is dropped: finished, or cancelled midway.
struct PipelineEnd {
    rec: Rc<RefCell<PipelineRecord>>,
    env: Rc<dyn Env>,
    origin: f64,
}

impl Drop for PipelineEnd {
    fn drop(&mut self) {
        let t = self.env.now() - self.origin;
        self.rec.borrow_mut().finished_at.get_or_insert(t);
    }
}

// ---------------------------------------------------------------------------------------
// A virtual clock and executor, so the same code runs natively in simulated time.

pub mod virtual_time {
    use super::*;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use std::cell::Cell;
    use std::collections::BTreeMap;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    #[derive(Default)]
    pub struct Clock {
        now: Cell<f64>,
        seq: Cell<u64>,
        /// (deadline in µs, sequence) -> waker
        timers: RefCell<BTreeMap<(u64, u64), Waker>>,
    }

    impl Clock {
        pub fn now(&self) -> f64 {
            self.now.get()
        }
        pub fn advance(&self, ms: f64) {
            self.now.set(self.now.get() + ms.max(0.0));
        }
        fn fire_due(&self) {
            let now_us = (self.now.get() * 1000.0).round() as u64;
            let due: Vec<(u64, u64)> = self.timers.borrow().range(..=(now_us, u64::MAX)).map(|(k, _)| *k).collect();
            for k in due {
                if let Some(w) = self.timers.borrow_mut().remove(&k) {
                    w.wake();
                }
            }
        }
        /// Jumps to the next timer; false when none is left.
        fn jump(&self) -> bool {
            let next = self.timers.borrow().keys().next().copied();
            match next {
                Some((us, _)) => {
                    let t = us as f64 / 1000.0;
                    if t > self.now.get() {
                        self.now.set(t);
                    }
                    self.fire_due();
                    true
                }
                None => false,
            }
        }
    }

    pub struct Sleep {
        clock: Rc<Clock>,
        deadline_us: u64,
        key: Option<(u64, u64)>,
    }

    impl Future for Sleep {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let now_us = (self.clock.now() * 1000.0).round() as u64;
            if now_us >= self.deadline_us {
                return Poll::Ready(());
            }
            let key = match self.key {
                Some(k) => k,
                None => {
                    let seq = self.clock.seq.get() + 1;
                    self.clock.seq.set(seq);
                    let k = (self.deadline_us, seq);
                    self.key = Some(k);
                    k
                }
            };
            self.clock.timers.borrow_mut().insert(key, cx.waker().clone());
            Poll::Pending
        }
    }

    impl Drop for Sleep {
        fn drop(&mut self) {
            if let Some(k) = self.key {
                self.clock.timers.borrow_mut().remove(&k);
            }
        }
    }

    pub fn sleep(clock: &Rc<Clock>, ms: f64) -> Sleep {
        let deadline_us = ((clock.now() + ms.max(0.0)) * 1000.0).round() as u64;
        Sleep { clock: Rc::clone(clock), deadline_us, key: None }
    }

    /// The simulated network and CPU, in virtual time.
    pub struct SimEnv {
        pub clock: Rc<Clock>,
        pub plan: Vec<Planned>,
        /// Whether `to_thread` has a worker thread (the browser's pool may not start).
        pub workers: bool,
    }

    impl Env for SimEnv {
        fn now(&self) -> f64 {
            self.clock.now()
        }
        fn sleep(&self, ms: f64) -> LocalBoxFuture<'static, ()> {
            Box::pin(sleep(&self.clock, ms))
        }
        fn fetch(&self, index: usize) -> LocalBoxFuture<'static, Result<String, String>> {
            let p = self.plan.get(index).cloned();
            let clock = Rc::clone(&self.clock);
            Box::pin(async move {
                let Some(p) = p else { return Err("no such request".into()) };
                sleep(&clock, p.latency_ms).await;
                if p.fails { Err("simulated failure (HTTP 500)".into()) } else { Ok("ok".into()) }
            })
        }
        fn block(&self, ms: f64) {
            self.clock.advance(ms);
        }
        fn offload(&self, ms: f64) -> LocalBoxFuture<'static, ()> {
            Box::pin(sleep(&self.clock, ms))
        }
        fn has_workers(&self) -> bool {
            self.workers
        }
    }

    /// Runs `fut` to completion, moving the clock to the next timer whenever every task
    /// is waiting. Returns false if it stalled with no timer left (a hang).
    pub fn block_on(clock: &Rc<Clock>, fut: LocalBoxFuture<'static, ()>) -> bool {
        let mut pool = LocalPool::new();
        let done = Rc::new(Cell::new(false));
        let flag = Rc::clone(&done);
        if pool.spawner().spawn_local(async move {
            fut.await;
            flag.set(true);
        }).is_err() {
            return false;
        }
        loop {
            pool.run_until_stalled();
            if done.get() {
                return true;
            }
            if !clock.jump() {
                return false;
            }
        }
    }

    /// Runs `fut` but drops it (cancels) at virtual time `at_ms`.
    pub fn block_on_cancelled_at(clock: &Rc<Clock>, fut: LocalBoxFuture<'static, ()>, at_ms: f64) -> bool {
        let c = Rc::clone(clock);
        let stop = Box::pin(async move {
            let _ = select(fut, Box::pin(sleep(&c, at_ms))).await;
        });
        block_on(clock, stop)
    }
}
