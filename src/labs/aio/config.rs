//! The async lab's configuration and its share-link form (see README for the table).

use super::model::{PipelineSpec, RunSpec, Strategy};
use crate::core::link::{self, quote, LinkError, Query};
use serde::Serialize;

pub const MAX_SIMULATED: u64 = 10_000;
pub const MAX_LIVE: u64 = 1_000;
pub const MAX_LATENCY_MS: u64 = 60_000;
pub const MAX_TIMEOUT_MS: u64 = 600_000;
pub const MAX_BLOCK_MS: u64 = 10_000;
pub const MAX_ITEMS: usize = 200;
pub const MAX_STAGE_MS: u64 = 5_000;
/// Largest pipeline queue (`maxsize`); 0 means unbounded, as in Python.
pub const MAX_QUEUE: u64 = 100;
pub const MAX_URL_LEN: usize = 2_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// Timers with seeded latencies: offline and repeatable.
    Sim,
    /// Real HTTP requests.
    Live,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Experiment {
    Requests,
    Pipeline,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AioConfig {
    pub experiment: Experiment,
    pub network: Network,
    pub n: usize,
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub fail_pct: u64,
    pub seed: u64,
    pub strategy: Strategy,
    /// Semaphore size; 0 for none.
    pub limit: usize,
    pub timeout_ms: u64,
    pub deadline_ms: u64,
    pub block_ms: u64,
    pub offload: bool,
    /// Live mode: a URL with `{id}`; `None` for the AniList GraphQL query.
    pub url: Option<String>,
    pub pipeline: PipelineSpec,
}

impl Default for AioConfig {
    fn default() -> Self {
        AioConfig {
            experiment: Experiment::Requests,
            network: Network::Sim,
            n: 15,
            latency_ms: 690,
            jitter_ms: 150,
            fail_pct: 0,
            seed: 1,
            strategy: Strategy::Gather,
            limit: 5,
            timeout_ms: 0,
            deadline_ms: 0,
            block_ms: 0,
            offload: false,
            url: None,
            pipeline: PipelineSpec::default(),
        }
    }
}

pub struct Decoded {
    pub config: AioConfig,
    pub run: bool,
    pub errors: Vec<LinkError>,
}

const STRATEGIES: [(&str, Strategy); 3] = [("seq", Strategy::Sequential), ("gather", Strategy::Gather), ("taskgroup", Strategy::TaskGroup)];

/// The strategy's name in the link (`mode=`), used by the results JSON as well.
pub fn strategy_key(s: Strategy) -> &'static str {
    STRATEGIES.iter().find(|(_, x)| *x == s).map(|(k, _)| *k).unwrap_or("gather")
}

/// Why a URL template cannot be used, if it cannot.
pub fn url_problem(url: &str) -> Option<String> {
    if url.chars().count() > MAX_URL_LEN {
        return Some(format!("the URL is longer than {MAX_URL_LEN} characters"));
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Some("the URL must start with http:// or https://".into());
    }
    if !url.contains("{id}") {
        return Some("the URL must contain {id}, where each request's id goes".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '"') {
        return Some("the URL contains spaces or characters that are not allowed in a URL".into());
    }
    None
}

impl AioConfig {
    /// Everything that stops this config from running, in words a user can act on.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let max = if self.network == Network::Live { MAX_LIVE } else { MAX_SIMULATED } as usize;
        if self.n == 0 || self.n > max {
            out.push(format!("requests: from 1 to {} in {} mode", link::group(max as u64), if self.network == Network::Live { "live" } else { "simulated" }));
        }
        if let Some(p) = self.url.as_deref().and_then(url_problem) {
            out.push(format!("URL: {p}"));
        }
        if self.pipeline.items.is_empty() || self.pipeline.items.len() > MAX_ITEMS {
            out.push(format!("pipeline items: from 1 to {MAX_ITEMS} numbers"));
        }
        out
    }

    pub fn run_spec(&self) -> RunSpec {
        RunSpec {
            strategy: self.strategy,
            limit: (self.limit > 0 && self.strategy != Strategy::Sequential).then_some(self.limit),
            timeout_ms: (self.timeout_ms > 0).then_some(self.timeout_ms as f64),
            deadline_ms: (self.deadline_ms > 0).then_some(self.deadline_ms as f64),
            block_ms: self.block_ms as f64,
            offload: self.offload,
        }
    }

    pub fn from_query(raw: &str) -> Decoded {
        let mut q = Query::parse(raw);
        let d = AioConfig::default();
        let experiment = q.choice("exp", &[("requests", Experiment::Requests), ("pipeline", Experiment::Pipeline)], d.experiment);
        let network = q.choice("net", &[("sim", Network::Sim), ("live", Network::Live)], d.network);
        let max_n = if network == Network::Live { MAX_LIVE } else { MAX_SIMULATED };
        let n = q.uint("n", 1, max_n, d.n as u64) as usize;
        let latency_ms = q.uint("lat", 0, MAX_LATENCY_MS, d.latency_ms);
        let jitter_ms = q.uint("jitter", 0, MAX_LATENCY_MS, d.jitter_ms);
        let fail_pct = q.uint("fail", 0, 100, d.fail_pct);
        let seed = q.uint("seed", 0, u64::from(u32::MAX), d.seed);
        let strategy = q.choice("mode", &STRATEGIES, d.strategy);
        let limit = q.uint("k", 0, MAX_SIMULATED, d.limit as u64) as usize;
        let timeout_ms = q.uint("timeout", 0, MAX_TIMEOUT_MS, 0);
        let deadline_ms = q.uint("deadline", 0, MAX_TIMEOUT_MS, 0);
        let block_ms = q.uint("block", 0, MAX_BLOCK_MS, 0);
        let offload = q.flag("offload");
        let url = match q.take("url") {
            None => None,
            Some(u) => match url_problem(&u) {
                None => Some(u),
                Some(p) => {
                    q.error("url", format!("{} cannot be used: {p}; using the AniList API", quote(&u)));
                    None
                }
            },
        };
        let mut pipeline = d.pipeline.clone();
        pipeline.q1 = q.uint("q1", 0, MAX_QUEUE, pipeline.q1 as u64) as usize;
        pipeline.q2 = q.uint("q2", 0, MAX_QUEUE, pipeline.q2 as u64) as usize;
        pipeline.produce_ms = q.uint("pms", 0, MAX_STAGE_MS, pipeline.produce_ms as u64) as f64;
        pipeline.transform_ms = q.uint("tms", 0, MAX_STAGE_MS, pipeline.transform_ms as u64) as f64;
        pipeline.save_ms = q.uint("sms", 0, MAX_STAGE_MS, pipeline.save_ms as u64) as f64;
        if let Some(raw) = q.take("items") {
            match parse_items(&raw) {
                Ok(items) => pipeline.items = items,
                Err(m) => q.error("items", format!("{m}; using 2,4,6,3,5,7,9")),
            }
        }
        let run = q.flag("run");
        Decoded {
            config: AioConfig {
                experiment, network, n, latency_ms, jitter_ms, fail_pct, seed, strategy, limit, timeout_ms, deadline_ms, block_ms, offload, url, pipeline,
            },
            run,
            errors: q.finish(),
        }
    }

    pub fn to_query(&self, run: bool) -> String {
        let key = strategy_key(self.strategy);
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if self.experiment == Experiment::Pipeline {
            pairs.push(("exp", "pipeline".into()));
        }
        pairs.push(("net", if self.network == Network::Live { "live" } else { "sim" }.into()));
        pairs.push(("n", self.n.to_string()));
        pairs.push(("lat", self.latency_ms.to_string()));
        pairs.push(("jitter", self.jitter_ms.to_string()));
        if self.fail_pct > 0 {
            pairs.push(("fail", self.fail_pct.to_string()));
        }
        pairs.push(("seed", self.seed.to_string()));
        pairs.push(("mode", key.into()));
        pairs.push(("k", self.limit.to_string()));
        for (k, v) in [("timeout", self.timeout_ms), ("deadline", self.deadline_ms), ("block", self.block_ms)] {
            if v > 0 {
                pairs.push((k, v.to_string()));
            }
        }
        if self.offload {
            pairs.push(("offload", "1".into()));
        }
        if let Some(u) = &self.url {
            pairs.push(("url", u.clone()));
        }
        let p = &self.pipeline;
        let dp = PipelineSpec::default();
        if *p != dp || self.experiment == Experiment::Pipeline {
            pairs.push(("q1", p.q1.to_string()));
            pairs.push(("q2", p.q2.to_string()));
            pairs.push(("pms", (p.produce_ms as u64).to_string()));
            pairs.push(("tms", (p.transform_ms as u64).to_string()));
            pairs.push(("sms", (p.save_ms as u64).to_string()));
            if p.items != dp.items {
                pairs.push(("items", format_items(&p.items)));
            }
        }
        if run {
            pairs.push(("run", "1".into()));
        }
        link::encode(&pairs)
    }
}

/// `2,4,6` or `1.5,-2`: numbers the producer puts on the first queue.
pub fn parse_items(raw: &str) -> Result<Vec<f64>, String> {
    let items: Vec<&str> = raw.split(',').map(str::trim).collect();
    if items.len() > MAX_ITEMS {
        return Err(format!("more than {MAX_ITEMS} items"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, s)| match s.parse::<f64>() {
            Ok(v) if v.is_finite() && v.abs() <= 1e12 && !s.is_empty() => Ok(v),
            _ => Err(format!("item {} ({}) is not a number", i + 1, quote(s))),
        })
        .collect()
}

pub fn format_items(items: &[f64]) -> String {
    items.iter().map(|v| format!("{v}")).collect::<Vec<_>>().join(",")
}
