//! The threads lab's results document: the JSON the page shows, exports and the tests
//! read, built from the page state (what was run, its figures, the comparison, the real
//! runs). Its fields and their names are fixed: the e2e tests and exported files read them.

use super::choices::{ExecKind, Interp};
use super::presets::Headline;
use super::state::ThreadsState;
use crate::core::lab::{absolute_link, results_document};
use crate::core::round_to_micros;
use serde::Serialize;
use std::rc::Rc;

impl ThreadsState {
    pub fn results_doc(&self) -> Rc<str> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct ThreadDoc<'a> {
            name: &'a str,
            interpreter: usize,
            running_ms: f64,
            gil_wait_ms: f64,
            forced_switch_wait_ms: f64,
            io_ms: f64,
            c_release_ms: f64,
        }
        #[derive(Serialize)]
        struct Latency {
            p50: f64,
            p99: f64,
            count: usize,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct CompareDoc {
            label: String,
            wall_ms: Option<f64>,
            error: Option<String>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            preset: Option<&'static str>,
            interpreter: &'static str,
            build: Interp,
            executor: ExecKind,
            workers: u32,
            cores: u32,
            switch_interval_ms: f64,
            wall_ms: Option<f64>,
            sequential_wall_ms: Option<f64>,
            speedup: Option<f64>,
            cpu_ms: Option<f64>,
            gil_switches: Option<u64>,
            drop_requests: Option<u64>,
            events: Option<u64>,
            /// How long the simulation took here (this machine's speed, not CPython's).
            simulated_in_ms: Option<f64>,
            threads: Vec<ThreadDoc<'a>>,
            io_latency_ms: Option<Latency>,
            headlines: Option<&'a [Headline]>,
            compare: Option<Vec<CompareDoc>>,
            real: Vec<RealDoc>,
            error: Option<&'a str>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct RealDoc {
            lock: bool,
            k: usize,
            slices_per_thread: u64,
            wall_ms: f64,
            simulated_wall_ms: Option<f64>,
            switches: u64,
            drop_requests: u64,
            violations: u64,
            cancelled: bool,
        }
        let real: Vec<RealDoc> = self
            .real
            .iter()
            .map(|r| RealDoc {
                lock: r.report.use_lock,
                k: r.report.k,
                slices_per_thread: r.report.slices_per_thread,
                wall_ms: round_to_micros(r.report.wall_ms),
                simulated_wall_ms: r.simulated_wall_ms().map(round_to_micros),
                switches: r.report.lock.switches,
                drop_requests: r.report.lock.drop_requests,
                violations: r.report.lock.violations,
                cancelled: r.report.cancelled,
            })
            .collect();
        let c = &self.config;
        let interp_name = |i: Interp| if i.is_free_threaded() { "free-threaded" } else { "gil" };
        let compare = self.compare.as_ref().map(|rows| {
            rows.iter()
                .map(|(label, o)| CompareDoc {
                    label: label.clone(),
                    wall_ms: o.as_ref().ok().map(|o| round_to_micros(o.wall_ms)),
                    error: o.as_ref().err().cloned(),
                })
                .collect()
        });
        let (body, query) = match &self.run {
            Some(r) => {
                let o = &r.outcome;
                let latency = (!o.io_latencies_ns.is_empty()).then(|| Latency {
                    p50: o.io_latency_p50_ms().map_or(0.0, round_to_micros),
                    p99: o.io_latency_p99_ms().map_or(0.0, round_to_micros),
                    count: o.io_latencies_ns.len(),
                });
                (
                    Body {
                        preset: r.preset,
                        interpreter: interp_name(r.interp),
                        build: r.interp,
                        executor: r.exec,
                        workers: r.workers,
                        cores: r.cores,
                        switch_interval_ms: r.switch_ms,
                        wall_ms: Some(round_to_micros(o.wall_ms)),
                        sequential_wall_ms: r.sequential.as_ref().map(|s| round_to_micros(s.wall_ms)),
                        speedup: r.speedup().map(round_to_micros),
                        cpu_ms: Some(round_to_micros(o.cpu_ms)),
                        gil_switches: Some(o.gil_switches),
                        drop_requests: Some(o.drop_requests),
                        events: Some(o.events),
                        simulated_in_ms: Some(round_to_micros(r.simulated_ms)),
                        threads: o
                            .threads
                            .iter()
                            .map(|t| ThreadDoc {
                                name: &t.name,
                                interpreter: t.interpreter,
                                running_ms: round_to_micros(t.running_ms),
                                gil_wait_ms: round_to_micros(t.gil_wait_ms),
                                forced_switch_wait_ms: round_to_micros(t.forced_switch_wait_ms),
                                io_ms: round_to_micros(t.io_ms),
                                c_release_ms: round_to_micros(t.c_release_ms),
                            })
                            .collect(),
                        io_latency_ms: latency,
                        headlines: r.check.as_ref().and_then(|c| c.as_ref().ok()).map(Vec::as_slice),
                        compare,
                        real,
                        error: self.error.as_deref(),
                    },
                    r.query.clone(),
                )
            }
            None => {
                let cores = self.cores();
                (
                    Body {
                        preset: c.is_preset().then_some(c.base),
                        interpreter: interp_name(c.interp),
                        build: c.interp,
                        executor: c.exec,
                        workers: c.workers_for(cores),
                        cores,
                        switch_interval_ms: c.switch_ms,
                        wall_ms: None,
                        sequential_wall_ms: None,
                        speedup: None,
                        cpu_ms: None,
                        gil_switches: None,
                        drop_requests: None,
                        events: None,
                        simulated_in_ms: None,
                        threads: Vec::new(),
                        io_latency_ms: None,
                        headlines: None,
                        compare,
                        real,
                        error: self.error.as_deref(),
                    },
                    self.query(),
                )
            }
        };
        Rc::from(results_document("threads", self.status, &absolute_link(&self.site_root, "/threads", &query), &body))
    }
}
