//! The hot kernels: exhaustive counting and the race lab's machine, the GIL simulator and
//! the real GIL-style lock, the CPU lab's workloads. They are a crate of their own because
//! a crate is what a Cargo profile can optimize differently: the browser build
//! (`wasm-release`) is optimized for size, this crate and the generic code it instantiates
//! for speed. It depends on nothing of the main crate, which re-exports each module in its
//! lab (`labs::race::explore`, ...) and the two helpers below in its `core`.

/// Number formatting the kernels' messages and records share with the rest of the app.
pub mod units {
    /// Milliseconds rounded to the microsecond: browsers' clocks give no finer truth, and
    /// results documents stay readable. `+ 0.0` turns a `-0.0` (an empty sum) into `0`.
    pub fn round_to_micros(ms: f64) -> f64 {
        (ms * 1000.0).round() / 1000.0 + 0.0
    }

    /// Formats an integer with separators for messages: 1000000 -> "1,000,000".
    pub fn group(n: u64) -> String {
        let digits = n.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

/// The race lab: its little language, the machine that steps it, the schedulers and the
/// exhaustive count of interleavings.
pub mod race {
    pub mod explore;
    pub mod lang;
    pub mod machine;
    pub mod sched;
}

/// The threads lab: the GIL simulator (after CPython's ceval_gil.c), its workloads, and
/// the real GIL-style lock on Web Workers.
pub mod threads {
    pub mod gil;
    pub mod model;
    pub mod real_gil;
}

/// The CPU lab's workloads: exact products reduced many times.
pub mod cpu {
    pub mod model;
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
