//! The lab's preset programs: Python files next to this one, written after the tutorial's
//! programs (see ../shared/python-models.md in the brief). The e2e tests run each one in
//! the page and under CPython 3.11 and compare what they print.

/// A link to another lab that shows what this interpreter cannot.
#[derive(Debug)]
pub struct SeeAlso {
    pub text: &'static str,
    pub href: &'static str,
}

#[derive(Debug)]
pub struct Program {
    pub id: &'static str,
    pub title: &'static str,
    pub blurb: &'static str,
    pub source: &'static str,
    /// A sentence the page shows beside this program's results.
    pub note: Option<&'static str>,
    pub see_also: &'static [SeeAlso],
}

pub static ALL: &[Program] = &[
    Program {
        id: "gather-pitfall",
        title: "gather and the timing pitfall",
        blurb: "The 15 requests at once with asyncio.gather, timed by a synchronous decorator: it reports \
                microseconds, because it timed only the coroutine's creation. The true wall time follows.",
        source: include_str!("programs/gather-pitfall.py"),
        note: Some("The decorator's figure is the time to create the coroutine object; the requests ran later, \
                    inside asyncio.run, which is what the last line times."),
        see_also: &[SeeAlso { text: "the async lab's gather", href: "async?preset=gather" }],
    },
    Program {
        id: "taskgroup-vs-gather",
        title: "TaskGroup against gather",
        blurb: "One of four requests fails. The TaskGroup cancels the others and raises an ExceptionGroup; \
                gather(return_exceptions=True) lets them finish.",
        source: include_str!("programs/taskgroup-vs-gather.py"),
        note: None,
        see_also: &[SeeAlso { text: "the async lab's TaskGroup", href: "async?preset=taskgroup" }],
    },
    Program {
        id: "semaphore-2",
        title: "Semaphore(2) over 4 requests",
        blurb: "The tutorial's log of waiting, acquired, completed and released: never more than two in flight.",
        source: include_str!("programs/semaphore-2.py"),
        note: None,
        see_also: &[SeeAlso { text: "the async lab's semaphore", href: "async?preset=semaphore-2" }],
    },
    Program {
        id: "queue-pipeline",
        title: "A queue pipeline",
        blurb: "Producer, transformer and saver joined by asyncio.Queues, with None as the sentinel: the list \
                comes out in order.",
        source: include_str!("programs/queue-pipeline.py"),
        note: None,
        see_also: &[SeeAlso { text: "the async lab's pipeline", href: "async?preset=pipeline" }],
    },
    Program {
        id: "blocking-call",
        title: "A blocking call in a coroutine",
        blurb: "time.sleep inside a coroutine stops the event loop: the ticker task falls silent for a second.",
        source: include_str!("programs/blocking-call.py"),
        note: None,
        see_also: &[SeeAlso { text: "the async lab's blocked loop", href: "async?preset=blocking" }],
    },
    Program {
        id: "to-thread",
        title: "asyncio.to_thread in a TaskGroup",
        blurb: "The tutorial's fix for a blocking client: five 0.5 s calls sent to worker threads, about 0.5 s \
                in CPython.",
        source: include_str!("programs/to-thread.py"),
        note: Some("Here the calls go to the lab's emulated threads, in a ThreadPoolExecutor named as CPython's \
                    default executor is (asyncio_0, asyncio_1, ...), so the five sleeps overlap as in CPython. A \
                    browser without WebAssembly stack switching has no threads to give them: there the loop runs \
                    each call itself, one after another, 2.5 s in all."),
        see_also: &[
            SeeAlso { text: "to_thread in the async lab", href: "async?preset=to-thread" },
            SeeAlso { text: "I/O threads in the threads lab", href: "threads?preset=seed-io-pool" },
        ],
    },
    Program {
        id: "cpu-seq",
        title: "20 CPU-bound tasks, one after another",
        blurb: "The tutorial's calculate_factorial over its 20 tasks, sequentially: the speed of real Python \
                in this page.",
        source: include_str!("programs/cpu-seq.py"),
        note: Some("CPython on WebAssembly runs pure-Python loops slower than a native CPython; the benchmark \
                    (scripts/bench.sh) sets this run beside python3 on the same machine."),
        see_also: &[SeeAlso { text: "the same tasks in the CPU lab", href: "cpu" }],
    },
    Program {
        id: "process-pool",
        title: "20 tasks on a process pool",
        blurb: "The tutorial's multiprocessing program as written: ProcessPoolExecutor(cpu_count // 2) and \
                as_completed, each worker its own CPython in its own Web Worker.",
        source: include_str!("programs/process-pool.py"),
        note: Some(POOL_NOTE),
        see_also: &[
            SeeAlso { text: "the same tasks in the CPU lab", href: "cpu" },
            SeeAlso { text: "processes against threads in the threads lab", href: "threads?preset=cpu-processes" },
        ],
    },
    Program {
        id: "process-pool-small",
        title: "The process pool, a tenth of the work",
        blurb: "The same program with 200,000 rounds a task: a quick look at the pool, its start-up and its lanes.",
        source: include_str!("programs/process-pool-small.py"),
        note: Some(POOL_NOTE),
        see_also: &[SeeAlso { text: "tiny tasks in the threads lab", href: "threads?preset=tiny-tasks" }],
    },
    Program {
        id: "pickling-cost",
        title: "What pickling costs",
        blurb: "One task whose argument is a list of a million numbers: copying it to the worker and back \
                takes longer than summing it.",
        source: include_str!("programs/pickling-cost.py"),
        note: Some(POOL_NOTE),
        see_also: &[SeeAlso { text: "processes in the threads lab", href: "threads?preset=cpu-processes" }],
    },
    Program {
        id: "bank-race",
        title: "The bank race, with threads",
        blurb: "The tutorial's four threads withdrawing 50 each: read, sleep 1 ms, write. Expected 800; \
                the threads read before the others write, and it ends at 950 or 900, as in CPython.",
        source: include_str!("programs/bank-race.py"),
        note: None,
        see_also: &[SeeAlso { text: "every interleaving of it in the race lab", href: "race?preset=bank&mode=exhaustive" }],
    },
    Program {
        id: "bank-lock",
        title: "The bank race fixed with a Lock",
        blurb: "The same withdrawals with a threading.Lock around read, sleep and write: always 800.",
        source: include_str!("programs/bank-lock.py"),
        note: None,
        see_also: &[SeeAlso { text: "the locked version in the race lab", href: "race?preset=bank-lock&mode=exhaustive" }],
    },
    Program {
        id: "two-cpu-threads",
        title: "Two CPU-bound threads",
        blurb: "The same counting one call after another, then in two threads: no faster, because one thread runs \
                Python at a time; but they take turns every 5 ms, so both finish near the end.",
        source: include_str!("programs/two-cpu-threads.py"),
        note: Some("CPython 3.9 to 3.13 on a 2-core laptop-class machine print the same four lines: 0.19 to 0.25 s \
                    both ways, not faster, and the turns taken. Free-threaded 3.13t would run the two at once; \
                    the threads lab's free-threaded preset shows that."),
        see_also: &[
            SeeAlso { text: "the same rules simulated in the threads lab", href: "threads?preset=cpu-threads" },
            SeeAlso { text: "processes, which do run at once", href: "threads?preset=cpu-processes" },
        ],
    },
    Program {
        id: "sleeper-beside-busy",
        title: "A sleeping thread beside a busy one",
        blurb: "A heartbeat thread sleeps 5 ms at a time while the main thread computes for half a second: it keeps \
                beating, about every 10 ms (its sleep, then a switch interval waiting for the GIL).",
        source: include_str!("programs/sleeper-beside-busy.py"),
        note: Some("CPython 3.9 to 3.13 here print a beat every 0.010 s: 5 ms asleep, then up to 5 ms until the busy \
                    thread is made to hand the GIL over. This page prints about 0.011 to 0.013 s: each handover between \
                    its emulated threads costs about a millisecond more."),
        see_also: &[SeeAlso { text: "the I/O convoy in the threads lab", href: "threads?preset=convoy" }],
    },
    Program {
        id: "counter-threads",
        title: "counter += 1 on four threads",
        blurb: "Four threads add 1 to a global 100,000 times each: 400000 on CPython 3.10 and later, because the GIL \
                is never handed over between the load and the store.",
        source: include_str!("programs/counter-threads.py"),
        note: Some("Measured here: 3.10 and 3.13 print 400000 in every run; 3.9, which could switch between the load \
                    and the store, lost updates in two runs of three (365920, 373634)."),
        see_also: &[SeeAlso { text: "the counter across interpreters in the threads lab", href: "threads?preset=counter" }],
    },
];

/// Under the thread lanes: the lab that simulates the same rules.
pub const THREADS_LAB_LINK: SeeAlso =
    SeeAlso { text: "This is your program; the threads lab simulates the same rules", href: "threads?preset=cpu-threads" };

/// Said beside every thread program: what is emulated. (The page adds a sentence when it
/// cannot switch a busy thread.)
pub const THREADS_NOTE: &str = "Threads here are emulated: they take turns in this one interpreter, switched by the \
                                lab at CPython's own check points (at blocking calls, and after a switch interval while \
                                another thread waits); the browser has no free-threaded build.";

/// Said when the page could not switch a busy thread (no shared memory for the ticker).
pub const NOT_PREEMPTIVE: &str = "This page has no shared memory, so a busy thread is not switched out here: it runs \
                                  until it blocks. Served with the isolation headers, the lab switches it as CPython does.";

/// Said beside every pool program: where a Web Worker differs from a process.
const POOL_NOTE: &str = "Each pool worker here is a Web Worker running its own CPython, as a spawned process runs \
                         its own: the program is imported there as __mp_main__ and tasks cross pickled. Unlike \
                         processes, Web Workers could share memory; this pool does not let them.";

/// What the editor holds when a link names no program.
pub static DEFAULT: &Program = &ALL[0];

/// CPython 3.11's log for the semaphore-2 program with its stand-in latencies, printed on
/// the build machine (`python3.11 programs/semaphore-2.py`); the page compares runs with it.
pub const SEMAPHORE_EXPECTED: &str = include_str!("programs/semaphore-2.expected");

pub fn find(id: &str) -> Option<&'static Program> {
    ALL.iter().find(|p| p.id == id)
}

/// The preset whose program `code` is, ignoring trailing white space and line endings.
pub fn matching(code: &str) -> Option<&'static Program> {
    let normal = |s: &str| s.replace("\r\n", "\n").trim_end().to_string();
    let code = normal(code);
    ALL.iter().find(|p| normal(p.source) == code)
}
