//! The race lab: threading's analogue. A deterministic simulator of threads (or asyncio
//! tasks) sharing memory, with step-through, schedulers and exhaustive outcome counts.

pub mod config;
pub mod state;
// In the kernels crate (kernels/src/), compiled for speed in a size-optimized build.
pub use concurrency_kernels::race::{explore, lang, machine, sched};
#[cfg(target_arch = "wasm32")]
pub mod view;

use super::{LabMeta, Preset};
use crate::core::models::PythonModel;

/// A preset's scenario text, by preset id.
pub struct Scenario {
    pub id: &'static str,
    pub source: &'static str,
}

pub const BANK: &str = "\
# Four threads each withdraw 50 from one account.
shared balance = 1000

thread withdraw * 4:
    local = balance          # read the balance
    time.sleep(0.001)        # sleeping lets the other threads run
    balance = local - 50     # write back what it computed
";

pub const BANK_LOCKED: &str = "\
# The same withdrawals, each holding a Lock from read to write.
shared balance = 1000
lock account

thread withdraw * 4:
    with account:
        local = balance
        time.sleep(0.001)
        balance = local - 50
";

pub const COUNTER: &str = "\
# counter += 1 is two steps for the interpreter: a load and a store.
shared counter = 0

thread worker * 3:
    for _ in range(2):
        counter += 1         # LOAD counter, then STORE counter + 1
";

pub const CHECK_THEN_ACT: &str = "\
# Both withdrawals can pass the check before either one acts on it.
shared balance = 100

thread withdraw * 2:
    if balance >= 80:
        time.sleep(0.001)
        balance -= 80
";

pub const DEADLOCK: &str = "\
# Two threads take the same two locks in opposite orders.
shared transfers = 0
lock a
lock b

thread left:
    with a:
        with b:
            transfers += 1

thread right:
    with b:
        with a:
            transfers += 1
";

pub const ASYNC_BANK: &str = "\
# asyncio: one thread, but each task pauses at await between its read and its write.
shared balance = 1000

async task withdraw * 4:
    local = balance
    await asyncio.sleep(0.001)
    balance = local - 50
";

pub static SCENARIOS: &[Scenario] = &[
    Scenario { id: "bank", source: BANK },
    Scenario { id: "bank-lock", source: BANK_LOCKED },
    Scenario { id: "counter", source: COUNTER },
    Scenario { id: "check-then-act", source: CHECK_THEN_ACT },
    Scenario { id: "deadlock", source: DEADLOCK },
    Scenario { id: "async-bank", source: ASYNC_BANK },
];

pub fn scenario(id: &str) -> Option<&'static str> {
    SCENARIOS.iter().find(|s| s.id == id).map(|s| s.source)
}

pub static META: LabMeta = LabMeta {
    id: "race",
    title: "Race lab",
    model: PythonModel::Threading,
    summary: "Threads sharing memory, simulated step by step: watch an update get lost, \
              count every possible interleaving, and see a Lock fix it.",
    presets: &[
        Preset {
            id: "bank",
            title: "Bank withdrawal race",
            blurb: "Four threads each withdraw 50 from 1000. Expected 800; CPython usually prints 900 or 950.",
            query: "preset=bank&mode=exhaustive",
        },
        Preset {
            id: "bank-lock",
            title: "The same with a Lock",
            blurb: "A Lock around read-sleep-write: the threads take turns and the balance always ends at 800.",
            query: "preset=bank-lock&mode=exhaustive",
        },
        Preset {
            id: "counter",
            title: "counter += 1",
            blurb: "Three threads increment a counter twice each, with the load and the store shown as separate steps.",
            query: "preset=counter&mode=exhaustive",
        },
        Preset {
            id: "check-then-act",
            title: "Check, then act",
            blurb: "Two withdrawals of 80 from 100 both pass `if balance >= 80` and overdraw the account.",
            query: "preset=check-then-act&mode=exhaustive",
        },
        Preset {
            id: "deadlock",
            title: "Deadlock",
            blurb: "Two locks taken in opposite orders: some interleavings leave both threads waiting forever.",
            query: "preset=deadlock&mode=exhaustive",
        },
        Preset {
            id: "async-bank",
            title: "asyncio bank race",
            blurb: "One thread, four coroutines, an await between read and write: races happen without threads too.",
            query: "preset=async-bank&mode=exhaustive",
        },
    ],
};

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
