//! What the app says about Python's three models: the home page's comparison table.
//! Plain data, so it can be checked natively and rendered by a thin view.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PythonModel {
    Threading,
    Multiprocessing,
    Asyncio,
}

impl PythonModel {
    pub const ALL: [PythonModel; 3] =
        [PythonModel::Threading, PythonModel::Multiprocessing, PythonModel::Asyncio];

    pub fn name(self) -> &'static str {
        match self {
            PythonModel::Threading => "Threading",
            PythonModel::Multiprocessing => "Multiprocessing",
            PythonModel::Asyncio => "Asyncio",
        }
    }

    /// The Python modules a reader will recognise.
    pub fn modules(self) -> &'static str {
        match self {
            PythonModel::Threading => "threading, ThreadPoolExecutor",
            PythonModel::Multiprocessing => "multiprocessing, ProcessPoolExecutor",
            PythonModel::Asyncio => "asyncio",
        }
    }

    /// A few plain sentences for the home page.
    pub fn explanation(self) -> &'static str {
        match self {
            PythonModel::Threading => {
                "Several OS threads in one process, all sharing the same memory. In CPython the \
                 global interpreter lock (GIL) lets only one of them run Python bytecode at a time: \
                 a thread hands it over when it blocks on I/O or sleeps, or when the 5 ms switch \
                 interval asks it to. Threads help while waiting on I/O, not with Python \
                 computation, and shared data needs a Lock or updates get lost."
            }
            PythonModel::Multiprocessing => {
                "Separate processes, each with its own interpreter and its own GIL, so CPU-bound \
                 Python code really runs on several cores at once. Arguments and results are \
                 pickled and copied between processes, memory is not shared unless you ask, and \
                 starting a process is expensive, so tiny tasks cost more than they gain."
            }
            PythonModel::Asyncio => {
                "One thread runs an event loop that switches between coroutines only where they \
                 say await. Thousands of network requests can wait at once for the price of one \
                 thread, but nothing runs in parallel, and one blocking call inside a coroutine \
                 stalls every other coroutine until it returns."
            }
        }
    }
}

/// One column of the comparison table: an aspect and each model's answer.
pub struct Aspect {
    pub name: &'static str,
    pub threading: &'static str,
    pub multiprocessing: &'static str,
    pub asyncio: &'static str,
}

impl Aspect {
    pub fn for_model(&self, model: PythonModel) -> &'static str {
        match model {
            PythonModel::Threading => self.threading,
            PythonModel::Multiprocessing => self.multiprocessing,
            PythonModel::Asyncio => self.asyncio,
        }
    }
}

pub static ASPECTS: &[Aspect] = &[
    Aspect {
        name: "Best for",
        threading: "Blocking I/O with modest concurrency",
        multiprocessing: "CPU-bound Python code",
        asyncio: "Very many concurrent I/O operations",
    },
    Aspect {
        name: "Runs as",
        threading: "OS threads in one process",
        multiprocessing: "Several processes",
        asyncio: "Coroutines on one thread's event loop",
    },
    Aspect {
        name: "GIL",
        threading: "One thread runs bytecode at a time",
        multiprocessing: "One GIL per process: no contention",
        asyncio: "Irrelevant: one thread",
    },
    Aspect {
        name: "Parallel CPU work",
        threading: "No",
        multiprocessing: "Yes, one core per process",
        asyncio: "No",
    },
    Aspect {
        name: "Waiting on I/O",
        threading: "Blocking calls release the GIL",
        multiprocessing: "Possible, but heavy for it",
        asyncio: "Non-blocking, awaited in the loop",
    },
    Aspect {
        name: "Scales to",
        threading: "Tens to hundreds of threads",
        multiprocessing: "About one process per core",
        asyncio: "Thousands of tasks",
    },
    Aspect {
        name: "Memory",
        threading: "Shared; a stack per thread",
        multiprocessing: "Separate; data copied by pickling",
        asyncio: "Shared; a small object per task",
    },
    Aspect {
        name: "Complexity",
        threading: "Races and locks",
        multiprocessing: "Pickling, start-up cost, IPC",
        asyncio: "async all the way down",
    },
    Aspect {
        name: "Good use",
        threading: "Downloading a few dozen files with requests",
        multiprocessing: "Crunching numbers or images on every core",
        asyncio: "A crawler or server with many open connections",
    },
    Aspect {
        name: "Poor use",
        threading: "Speeding up pure-Python loops",
        multiprocessing: "Thousands of tiny tasks",
        asyncio: "CPU-heavy work, or libraries that block",
    },
    Aspect {
        name: "When misused",
        threading: "Lost updates, deadlocks",
        multiprocessing: "Slower than a plain loop; memory blow-up",
        asyncio: "One blocking call freezes every task",
    },
];

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn every_aspect_answers_for_every_model() {
        for aspect in ASPECTS {
            for model in PythonModel::ALL {
                assert!(!aspect.for_model(model).is_empty(), "{} / {:?}", aspect.name, model);
            }
        }
    }
}
