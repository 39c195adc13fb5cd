//! Exhaustive exploration: how many interleavings end in each outcome.
//!
//! Counting walks *states*, not schedules: the number of schedules from a state depends
//! only on the state, so it is computed once and remembered. Threads declared together
//! (`thread w * 4`) run the same code, so states that differ only by which of them is
//! where are the same state up to renaming; they share one memo entry, and threads of a
//! class in the same situation are stepped once and counted with their multiplicity.
//!
//! One part of an outcome is not symmetric: *which* threads stopped with an error. When a
//! thread of a class with several threads can fail, that class is counted again with its
//! threads told apart (see [`explore`]).

use super::machine::{enabled, initial, outcome, step, Outcome, State};
use super::lang::Program;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Exploration stops with an error beyond this many distinct states.
pub const MAX_STATES: usize = 1_000_000;

/// Outcome ids with the number of schedules reaching each, sorted by id.
type Histogram = Rc<Vec<(u32, u128)>>;

#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeCount {
    pub outcome: Outcome,
    pub count: u128,
    /// One schedule (thread indices) that ends in this outcome.
    pub witness: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Exhaustive {
    pub total: u128,
    /// Most frequent first.
    pub outcomes: Vec<OutcomeCount>,
    /// Distinct states visited (after symmetry reduction).
    pub states: usize,
    /// Whether some threads were treated as interchangeable in the final count.
    pub symmetry: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExploreError {
    TooManyStates(usize),
    CountOverflow,
}

impl std::fmt::Display for ExploreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExploreError::TooManyStates(n) => write!(
                f,
                "the scenario has more than {n} distinct states; make it smaller (fewer threads or steps) to count it exactly"
            ),
            ExploreError::CountOverflow => write!(f, "more than 3.4 \u{d7} 10^38 interleavings: too many to count exactly"),
        }
    }
}

struct Explorer<'p> {
    program: &'p Program,
    /// Per thread: the group of threads it is interchangeable with (its own index when
    /// it is told apart from the others).
    group: Vec<usize>,
    memo: FxHashMap<Box<[i64]>, Histogram>,
    outcome_ids: BTreeMap<Outcome, u32>,
    outcomes: Vec<Outcome>,
    error: Option<ExploreError>,
    /// Threads grouped by class, for canonical keys.
    classes: Vec<Vec<usize>>,
}

impl<'p> Explorer<'p> {
    /// `distinct[c]`: the threads of class `c` are told apart rather than interchangeable.
    fn new(program: &'p Program, distinct: &[bool]) -> Self {
        let n = program.threads.len();
        // Groups 0..n are single threads; n + class is a whole class.
        let group: Vec<usize> = program
            .threads
            .iter()
            .enumerate()
            .map(|(t, th)| if distinct.get(th.class).copied().unwrap_or(true) { t } else { n + th.class })
            .collect();
        let mut classes: Vec<Vec<usize>> = Vec::new();
        for (t, &g) in group.iter().enumerate() {
            while classes.len() <= g {
                classes.push(Vec::new());
            }
            classes[g].push(t);
        }
        classes.retain(|c| !c.is_empty());
        Explorer { program, group, memo: FxHashMap::default(), outcome_ids: BTreeMap::new(), outcomes: Vec::new(), error: None, classes }
    }

    /// Everything about thread `t` that matters for its future, independent of its index.
    fn thread_key(&self, s: &State, t: usize, out: &mut Vec<i64>) {
        out.push(i64::from(s.pcs[t]));
        out.push(i64::from(s.failed >> t & 1));
        let held = s.holders.iter().enumerate().filter(|(_, h)| **h == Some(t as u8)).fold(0i64, |m, (l, _)| m | 1 << l);
        out.push(held);
        out.extend_from_slice(&s.locals[t]);
    }

    fn key(&self, s: &State) -> Box<[i64]> {
        let mut key = s.shared.clone();
        for class in &self.classes {
            let mut parts: Vec<Vec<i64>> = class
                .iter()
                .map(|&t| {
                    let mut k = Vec::new();
                    self.thread_key(s, t, &mut k);
                    k
                })
                .collect();
            parts.sort_unstable();
            for p in parts {
                key.extend(p);
            }
        }
        key.into_boxed_slice()
    }

    fn outcome_id(&mut self, o: Outcome) -> u32 {
        if let Some(id) = self.outcome_ids.get(&o) {
            return *id;
        }
        let id = self.outcomes.len() as u32;
        self.outcome_ids.insert(o.clone(), id);
        self.outcomes.push(o);
        id
    }

    /// Enabled threads, one representative per group of interchangeable ones, with the
    /// group's size.
    fn moves(&self, s: &State) -> Vec<(usize, u128)> {
        let mut moves: Vec<(usize, u128, Vec<i64>)> = Vec::new();
        for t in 0..self.program.threads.len() {
            if !enabled(self.program, s, t) {
                continue;
            }
            let mut k = vec![self.group[t] as i64];
            self.thread_key(s, t, &mut k);
            match moves.iter_mut().find(|m| m.2 == k) {
                Some(m) => m.1 += 1,
                None => moves.push((t, 1, k)),
            }
        }
        moves.into_iter().map(|(t, n, _)| (t, n)).collect()
    }

    fn visit(&mut self, s: &State) -> Histogram {
        let key = self.key(s);
        if let Some(h) = self.memo.get(&key) {
            return Rc::clone(h);
        }
        if self.error.is_some() {
            return Rc::new(Vec::new());
        }
        if self.memo.len() >= MAX_STATES {
            self.error = Some(ExploreError::TooManyStates(MAX_STATES));
            return Rc::new(Vec::new());
        }
        let moves = self.moves(s);
        let hist: Histogram = if moves.is_empty() {
            let id = self.outcome_id(outcome(self.program, s));
            Rc::new(vec![(id, 1)])
        } else {
            let mut acc: BTreeMap<u32, u128> = BTreeMap::new();
            for (t, mult) in moves {
                let mut next = s.clone();
                step(self.program, &mut next, t);
                let sub = self.visit(&next);
                for &(id, count) in sub.iter() {
                    let add = count.checked_mul(mult);
                    let slot = acc.entry(id).or_insert(0);
                    match add.and_then(|a| slot.checked_add(a)) {
                        Some(v) => *slot = v,
                        None => {
                            self.error.get_or_insert(ExploreError::CountOverflow);
                        }
                    }
                }
            }
            Rc::new(acc.into_iter().collect())
        };
        self.memo.insert(key, Rc::clone(&hist));
        hist
    }

    /// Follows the memo from the start to a schedule that ends in outcome `id`.
    fn witness(&self, start: &State, id: u32) -> Vec<u8> {
        let mut s = start.clone();
        let mut schedule = Vec::new();
        loop {
            let mut moved = false;
            for t in 0..self.program.threads.len() {
                if !enabled(self.program, &s, t) {
                    continue;
                }
                let mut next = s.clone();
                step(self.program, &mut next, t);
                let reaches = self.memo.get(&self.key(&next)).is_some_and(|h| h.iter().any(|(o, _)| *o == id));
                if reaches {
                    schedule.push(t as u8);
                    s = next;
                    moved = true;
                    break;
                }
            }
            if !moved {
                return schedule;
            }
        }
    }
}

/// Counts every interleaving of the scenario by final outcome.
///
/// With `symmetry`, threads of one class are first counted as interchangeable. That is
/// exact for everything an outcome records except which threads failed: "withdraw-1
/// failed" and "withdraw-2 failed" would be merged. Failures persist to the end, and every
/// reachable state is a renaming of one the symmetric count visits, so a class whose
/// threads can fail shows a failed thread among the outcomes found; such classes are then
/// counted again with their threads told apart.
pub fn explore(program: &Program, symmetry: bool) -> Result<Exhaustive, ExploreError> {
    let classes = program.threads.iter().map(|t| t.class + 1).max().unwrap_or(0);
    let mut distinct = vec![!symmetry; classes];
    loop {
        let ex = explore_with(program, &distinct)?;
        let mut recount = false;
        for o in &ex.outcomes {
            for (t, th) in program.threads.iter().enumerate() {
                let shared_class = program.threads.iter().filter(|u| u.class == th.class).count() > 1;
                if o.outcome.failed & (1 << t) != 0 && shared_class && !distinct[th.class] {
                    distinct[th.class] = true;
                    recount = true;
                }
            }
        }
        if !recount {
            return Ok(ex);
        }
    }
}

fn explore_with(program: &Program, distinct: &[bool]) -> Result<Exhaustive, ExploreError> {
    let mut ex = Explorer::new(program, distinct);
    let symmetry = ex.classes.iter().any(|c| c.len() > 1);
    let (start, _) = initial(program);
    let hist = ex.visit(&start);
    if let Some(e) = ex.error.take() {
        return Err(e);
    }
    let total = hist.iter().try_fold(0u128, |acc, (_, c)| acc.checked_add(*c)).ok_or(ExploreError::CountOverflow)?;
    let mut outcomes: Vec<OutcomeCount> = hist
        .iter()
        .map(|&(id, count)| OutcomeCount { outcome: ex.outcomes[id as usize].clone(), count, witness: ex.witness(&start, id) })
        .collect();
    outcomes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.outcome.cmp(&b.outcome)));
    Ok(Exhaustive { total, outcomes, states: ex.memo.len(), symmetry })
}

/// Enumerates schedules one by one (for tests on small scenarios): outcome -> count.
pub fn brute_force(program: &Program, limit: u64) -> Option<BTreeMap<Outcome, u128>> {
    fn go(p: &Program, s: &State, out: &mut BTreeMap<Outcome, u128>, budget: &mut u64) -> bool {
        let threads: Vec<usize> = (0..p.threads.len()).filter(|&t| enabled(p, s, t)).collect();
        if threads.is_empty() {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            *out.entry(outcome(p, s)).or_insert(0) += 1;
            return true;
        }
        for t in threads {
            let mut next = s.clone();
            step(p, &mut next, t);
            if !go(p, &next, out, budget) {
                return false;
            }
        }
        true
    }
    let (start, _) = initial(program);
    let mut out = BTreeMap::new();
    let mut budget = limit;
    go(program, &start, &mut out, &mut budget).then_some(out)
}
