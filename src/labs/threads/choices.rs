//! The threads lab's choices: how the tasks run, which CPython runs them and how a process
//! pool starts its workers; each with the key a link or a `<select>` gives it, and the
//! parsing of that key (an unknown one is refused with a message, never guessed at).

use super::model::{Interpreter, StartMethod};
use crate::core::link::quote;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExecKind {
    Sequential,
    Threads,
    ThreadPool,
    ProcessPool,
}

impl ExecKind {
    pub const ALL: [(&'static str, ExecKind); 4] =
        [("seq", ExecKind::Sequential), ("threads", ExecKind::Threads), ("pool", ExecKind::ThreadPool), ("procs", ExecKind::ProcessPool)];

    pub fn key(self) -> &'static str {
        ExecKind::ALL.iter().find(|(_, k)| *k == self).map_or("threads", |(n, _)| *n)
    }
}

pub const STARTS: [(&str, StartMethod); 3] =
    [("fork", StartMethod::Fork), ("forkserver", StartMethod::Forkserver), ("spawn", StartMethod::Spawn)];

pub fn start_key(s: StartMethod) -> &'static str {
    STARTS.iter().find(|(_, m)| *m == s).map_or("fork", |(n, _)| *n)
}

/// Which CPython runs the threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Interp {
    /// CPython 3.11-3.13 with the GIL.
    #[serde(rename = "gil")]
    Gil,
    #[serde(rename = "3.13t")]
    Ft313,
    #[serde(rename = "3.14t")]
    Ft314,
}

impl Interp {
    pub const ALL: [(&'static str, Interp); 3] = [("gil", Interp::Gil), ("3.13t", Interp::Ft313), ("3.14t", Interp::Ft314)];

    pub fn key(self) -> &'static str {
        Interp::ALL.iter().find(|(_, k)| *k == self).map_or("gil", |(n, _)| *n)
    }

    /// The published single-thread slowdown of the build, in percent (CPython's
    /// free-threading HOWTO for 3.13t; What's New in 3.14 gives 5-10% for 3.14t).
    pub fn default_slowdown_pct(self) -> f64 {
        match self {
            Interp::Gil => 0.0,
            Interp::Ft313 => Interpreter::FT_313_SLOWDOWN * 100.0,
            Interp::Ft314 => Interpreter::FT_314_SLOWDOWN * 100.0,
        }
    }

    pub fn is_free_threaded(self) -> bool {
        self != Interp::Gil
    }
}

/// The start method a `<select>` (or anything else giving a key of [`STARTS`]) names.
pub fn parse_start(raw: &str) -> Result<StartMethod, String> {
    pick("start method", &STARTS, raw)
}

/// The interpreter a `<select>` (or anything else giving a key of [`Interp::ALL`]) names.
pub fn parse_interp(raw: &str) -> Result<Interp, String> {
    pick("interpreter", &Interp::ALL, raw)
}

fn pick<T: Copy>(what: &str, options: &[(&str, T)], raw: &str) -> Result<T, String> {
    match options.iter().find(|(key, _)| *key == raw) {
        Some((_, v)) => Ok(*v),
        None => {
            let keys: Vec<&str> = options.iter().map(|(key, _)| *key).collect();
            Err(format!("{what}: {} is not one of {}", quote(raw), keys.join(", ")))
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn every_key_parses_back_to_its_choice_and_others_are_refused() {
        for (key, m) in STARTS {
            assert_eq!(parse_start(key), Ok(m));
            assert_eq!(start_key(m), key);
        }
        for (key, i) in Interp::ALL {
            assert_eq!(parse_interp(key), Ok(i));
            assert_eq!(i.key(), key);
        }
        for (key, e) in ExecKind::ALL {
            assert_eq!(e.key(), key);
        }
        // No silent fall-back to fork or to the GIL build.
        assert_eq!(parse_start("Spawn"), Err("start method: Spawn is not one of fork, forkserver, spawn".into()));
        assert!(parse_start("").is_err());
        assert!(parse_start(" fork").is_err());
        assert_eq!(parse_interp("3.15t"), Err("interpreter: 3.15t is not one of gil, 3.13t, 3.14t".into()));
    }
}
