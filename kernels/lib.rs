//! The hot kernels: exhaustive counting and the race lab's machine, the GIL simulator and
//! the real GIL-style lock, the CPU lab's workloads. Their files stay in their labs'
//! folders and are compiled here, as a crate of their own, because a crate is what a
//! Cargo profile can optimize differently: the browser build (`wasm-release`) is
//! optimized for size, this crate and the generic code it instantiates for speed. The
//! main crate re-exports each module where the files live (`labs::race::explore`, ...).

/// The two helpers of the main crate's `core` that the kernels use (re-exported there).
pub mod core {
    /// Milliseconds rounded to the microsecond: browsers' clocks give no finer truth, and
    /// results documents stay readable. `+ 0.0` turns a `-0.0` (an empty sum) into `0`.
    pub fn round_to_micros(ms: f64) -> f64 {
        (ms * 1000.0).round() / 1000.0 + 0.0
    }

    pub mod link {
        /// Formats an integer with thin separators for messages: 1000000 -> "1,000,000".
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
}

pub mod race;
pub mod threads;
pub mod cpu;
