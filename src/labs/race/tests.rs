use super::config::{Mode, Prediction, RaceConfig, MAX_PREDICT};
use super::explore::{brute_force, explore};
use super::lang::{parse, OpKind, Program};
use super::machine::{initial, outcome, replay, step, Outcome};
use super::sched::Scheduler;
use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn bank(threads: usize) -> Program {
    parse(&BANK.replace("withdraw * 4", &format!("withdraw * {threads}"))).unwrap()
}

fn by_value(p: &Program) -> BTreeMap<i64, u128> {
    let ex = explore(p, true).unwrap();
    ex.outcomes.iter().map(|o| (o.outcome.values[0], o.count)).collect()
}

fn final_of(p: &Program, schedule: &[u8]) -> Outcome {
    let (mut s, _) = initial(p);
    for &t in schedule {
        step(p, &mut s, usize::from(t));
    }
    outcome(p, &s)
}

#[test]
fn every_preset_parses_and_is_listed() {
    for s in SCENARIOS {
        parse(s.source).unwrap_or_else(|e| panic!("{}: {e}", s.id));
        assert!(META.presets.iter().any(|p| p.query.contains(&format!("preset={}&", s.id))), "{}", s.id);
    }
    for p in META.presets {
        let d = RaceConfig::from_query(p.query);
        assert!(d.errors.is_empty(), "{}: {:?}", p.id, d.errors);
    }
}

#[test]
fn classic_bank_has_2520_interleavings() {
    let counts = by_value(&bank(4));
    assert_eq!(counts.values().sum::<u128>(), 2520);
    // Every final balance from 950 (all read first) to 800 (fully serial) is possible.
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), vec![800, 850, 900, 950]);
}

#[test]
fn six_and_eight_threads_count_exactly() {
    let six: u128 = by_value(&bank(6)).values().sum();
    assert_eq!(six, 7_484_400);
    let eight: u128 = by_value(&bank(8)).values().sum();
    // 16! / 2^8
    assert_eq!(eight, 81_729_648_000);
}

#[test]
fn counts_match_brute_force_on_small_scenarios() {
    for src in [BANK, BANK_LOCKED, COUNTER, CHECK_THEN_ACT, DEADLOCK, ASYNC_BANK] {
        let p = parse(src).unwrap();
        let brute = brute_force(&p, 2_000_000).expect("small enough to enumerate");
        for symmetry in [true, false] {
            let ex = explore(&p, symmetry).unwrap();
            let counted: BTreeMap<Outcome, u128> = ex.outcomes.iter().map(|o| (o.outcome.clone(), o.count)).collect();
            assert_eq!(counted, brute, "{src}\nsymmetry {symmetry}");
        }
    }
}

#[test]
fn symmetry_visits_fewer_states() {
    let p = bank(6);
    let with = explore(&p, true).unwrap();
    let without = explore(&p, false).unwrap();
    assert_eq!(with.total, without.total);
    assert!(with.states * 10 < without.states, "{} vs {}", with.states, without.states);
}

#[test]
fn witnesses_reach_their_outcomes() {
    for src in [BANK, COUNTER, CHECK_THEN_ACT, DEADLOCK] {
        let p = parse(src).unwrap();
        for o in explore(&p, true).unwrap().outcomes {
            assert_eq!(final_of(&p, &o.witness), o.outcome, "{src}");
            assert_eq!(replay(&p, &o.witness).invalid_at, None);
        }
    }
}

#[test]
fn lock_makes_the_bank_always_800() {
    let counts = by_value(&parse(BANK_LOCKED).unwrap());
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), vec![800]);
}

#[test]
fn check_then_act_can_overdraw() {
    let counts = by_value(&parse(CHECK_THEN_ACT).unwrap());
    assert!(counts.contains_key(&-60), "{counts:?}");
    assert!(counts.contains_key(&20));
}

#[test]
fn deadlock_is_an_outcome() {
    let ex = explore(&parse(DEADLOCK).unwrap(), true).unwrap();
    let dead: Vec<_> = ex.outcomes.iter().filter(|o| o.outcome.deadlock).collect();
    assert_eq!(dead.len(), 1);
    assert!(ex.outcomes.iter().any(|o| !o.outcome.deadlock && o.outcome.values == vec![2]));
    let p = parse(DEADLOCK).unwrap();
    assert!(dead[0].outcome.label(&p).starts_with("deadlock"));
}

#[test]
fn counter_loses_increments() {
    let counts = by_value(&parse(COUNTER).unwrap());
    // 3 threads x 2 increments; as low as 2 when updates overlap badly.
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), vec![2, 3, 4, 5, 6]);
    assert_eq!(counts.values().sum::<u128>(), 34_650);
}

#[test]
fn async_tasks_switch_only_at_await() {
    let p = parse(ASYNC_BANK).unwrap();
    let ex = explore(&p, true).unwrap();
    // Each task has two segments (up to the await, then the write).
    assert_eq!(ex.total, 2520);
    // Without the await nothing can interleave: always 800.
    let no_await = parse("shared balance = 1000\nasync task w * 4:\n    local = balance\n    balance = local - 50\n").unwrap();
    assert_eq!(by_value(&no_await).keys().copied().collect::<Vec<_>>(), vec![800]);
}

#[test]
fn lost_update_is_marked_where_it_happens() {
    let p = bank(2);
    // Both read 1000, then thread 0 writes 950, then thread 1 writes 950 over it.
    let trace = replay(&p, &[0, 1, 0, 1]);
    assert_eq!(trace.steps.len(), 4);
    assert!(trace.steps[2].lost_update.is_none());
    let mark = trace.steps[3].lost_update.as_deref().expect("the last write loses an update");
    assert!(mark.contains("withdraw-2") && mark.contains("withdraw-1"), "{mark}");
    // Serial order loses nothing.
    assert!(replay(&p, &[0, 0, 1, 1]).steps.iter().all(|s| s.lost_update.is_none()));
    // A thread that cannot move ends the trace there.
    assert_eq!(replay(&p, &[0, 0, 0]).invalid_at, Some(2));
}

#[test]
fn stale_check_is_marked() {
    let p = parse(CHECK_THEN_ACT).unwrap();
    // Both check (100 >= 80), thread 0 withdraws fully, then thread 1 acts on its check.
    let trace = replay(&p, &[0, 1, 0, 0, 1, 1]);
    assert!(trace.steps.iter().any(|s| s.lost_update.as_deref().is_some_and(|m| m.contains("Stale check"))), "{:#?}", trace.steps);
}

#[test]
fn parse_errors_name_line_and_column() {
    let e = parse("shared x = 1\nthread t:\n    y = x +\n").unwrap_err();
    assert_eq!((e.line, e.column), (3, 12));
    let e = parse("shared x = 1\nthread t:\n    x = zz\n").unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.message.contains("zz"));
    let e = parse("thread t:\nx = 1\n").unwrap_err();
    assert!(e.message.contains("indented block"), "{e}");
    let e = parse("thread t * 9:\n    pass\n").unwrap_err();
    assert!(e.message.contains("1 to 8"), "{e}");
    let e = parse("shared c = 0\nthread t:\n    for _ in range(40):\n        c += 1\n").unwrap_err();
    assert!(e.message.contains("limit is 64"), "{e}");
    let e = parse("shared c = 0\nthread t:\n    await asyncio.sleep(1)\n").unwrap_err();
    assert!(e.message.contains("async task"), "{e}");
    let e = parse("shared c = 0\nasync task t:\n    time.sleep(1)\n").unwrap_err();
    assert!(e.message.contains("freezes the event loop"), "{e}");
    assert!(parse("").is_err());
    assert!(parse("shared a = 1\nlock a\nthread t:\n    pass\n").unwrap_err().message.contains("twice"));
}

#[test]
fn python_integer_semantics() {
    let p = parse("shared r = 0\nthread t:\n    a = -7\n    r = a // 2 * 100 + a % 3\n").unwrap();
    // Python: -7 // 2 == -4, -7 % 3 == 2
    assert_eq!(final_of(&p, &[0]).values, vec![-398]);
    let p = parse("shared r = 5\nthread t:\n    r = r // 0\n").unwrap();
    let o = final_of(&p, &[0, 0]);
    assert_eq!(o.failed, 1);
    assert_eq!(o.values, vec![5]);
}

#[test]
fn link_round_trip_and_hostile_links() {
    let mut c = RaceConfig::default_config();
    c.mode = Mode::Exhaustive;
    c.at = 3;
    c.predict = Some(Prediction::Value(900));
    let d = RaceConfig::from_query(&c.to_query(true));
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    assert!(d.run);
    assert_eq!(d.config, c);

    // A custom scenario and a manual schedule travel in the link.
    let src = "shared n = 0\nthread a * 2:\n    n += 1\n";
    let p = parse(src).unwrap();
    let mut c = RaceConfig::new(src, p, Scheduler::Manual, 7);
    c.steps = vec![0, 1, 1];
    c.given = 3;
    c.at = 2;
    let d = RaceConfig::from_query(&c.to_query(false));
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    assert_eq!(d.config, c);

    let d = RaceConfig::from_query("src=thread%20x%3A%0A%20%20y%20%3D&steps=9x&at=99&sched=warp&zzz=1");
    let keys: Vec<&str> = d.errors.iter().map(|e| e.key.as_str()).collect();
    for k in ["src", "steps", "sched", "zzz"] {
        assert!(keys.contains(&k), "{keys:?}");
    }
    assert_eq!(d.config.source, BANK);

    // A schedule that is impossible is cut where it stops being possible.
    let d = RaceConfig::from_query("preset=bank&sched=manual&steps=000");
    assert_eq!(d.config.steps, vec![0, 0]);
    assert_eq!(d.errors.len(), 1);
}

/// Small random programs over one or two shared variables, with statements that can
/// fail at run time (division by zero, releasing a lock not held), loops and `pass`.
fn arb_program() -> impl Strategy<Value = String> {
    let stmt = prop_oneof![
        Just("t = x".to_string()),
        Just("x = t + 1".to_string()),
        Just("x += 2".to_string()),
        Just("y = x * 2".to_string()),
        Just("t = t - y".to_string()),
        Just("if x > 1:\n        y -= 1".to_string()),
        Just("with m:\n        x = x - 1".to_string()),
        Just("z = 1 // (t - 1)".to_string()),
        // Fails only for a thread that reads 0 first: which one depends on the order.
        Just("t = x\n    x = t + 1\n    z = 1 // t".to_string()),
        Just("z = 1 // (x - 1)".to_string()),
        Just("y = 10 // (x - 2)".to_string()),
        Just("m.release()".to_string()),
        Just("for _ in range(2):\n        pass".to_string()),
        Just("for _ in range(2):\n        if x < 3:\n            x += 1\n        else:\n            pass".to_string()),
    ];
    (prop::collection::vec(prop::collection::vec(stmt, 1..4), 1..4), 1usize..3).prop_map(|(threads, copies)| {
        let mut src = String::from("shared x = 0, y = 5\nlock m\n");
        for (i, body) in threads.iter().enumerate() {
            let n = if i == 0 { copies } else { 1 };
            src.push_str(&format!("thread t{i} * {n}:\n    t = 0\n"));
            for s in body {
                src.push_str(&format!("    {s}\n"));
            }
        }
        src
    })
}

#[test]
fn counts_match_brute_force_when_threads_of_a_class_can_fail() {
    // Whoever reads 1000 fails after its write: which thread fails depends on the order.
    let src = "shared b = 1000\nthread w * 2:\n    local = b\n    b = local - 50\n    z = 1 // (local - 1000)\n";
    let p = parse(src).unwrap();
    let brute = brute_force(&p, 1_000).unwrap();
    let label = |o: &Outcome| o.label(&p);
    let by_label: BTreeMap<String, u128> = brute.iter().map(|(o, n)| (label(o), *n)).collect();
    let want: BTreeMap<String, u128> = [
        ("b = 900 [error in w-1]", 1),
        ("b = 900 [error in w-2]", 1),
        ("b = 950 [error in w-1, w-2]", 4),
    ]
    .into_iter()
    .map(|(l, n)| (l.to_string(), n))
    .collect();
    assert_eq!(by_label, want);
    for symmetry in [true, false] {
        let ex = explore(&p, symmetry).unwrap();
        let counted: BTreeMap<Outcome, u128> = ex.outcomes.iter().map(|o| (o.outcome.clone(), o.count)).collect();
        assert_eq!(counted, brute, "symmetry {symmetry}");
        for o in &ex.outcomes {
            assert_eq!(final_of(&p, &o.witness), o.outcome);
        }
    }
    // The step that writes and then fails shows its write.
    let trace = replay(&p, &[0, 0]);
    assert_eq!(trace.steps[1].wrote, Some((0, 950)));
    assert!(trace.steps[1].text.starts_with("writes b = 950, fails"), "{}", trace.steps[1].text);
    // A class that cannot fail keeps its symmetry next to one that can.
    let mixed = parse(&format!("{src}thread v * 3:\n    c = b\n")).unwrap();
    let ex = explore(&mixed, true).unwrap();
    assert!(ex.symmetry);
    let counted: BTreeMap<Outcome, u128> = ex.outcomes.iter().map(|o| (o.outcome.clone(), o.count)).collect();
    assert_eq!(counted, brute_force(&mixed, 100_000).unwrap());
}

#[test]
fn loops_of_pass_are_bounded_by_the_unrolling_budget() {
    // 64^8 iterations of nothing: it used to unroll for hours. The budget stops it at
    // the outermost loop, which the error names.
    let mut src = String::from("shared c = 0\nthread t:\n    c = 1\n");
    for depth in 0..8 {
        src.push_str(&format!("{}for _ in range(64):\n", "    ".repeat(depth + 1)));
    }
    src.push_str(&format!("{}pass\n", "    ".repeat(9)));
    let e = parse(&src).unwrap_err();
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("unrolls to more than 4096 statements"), "{e}");
    // Short loops of pass still compile, to nothing.
    let p = parse("shared c = 0\nthread t:\n    for _ in range(8):\n        for _ in range(8):\n            pass\n    c = 1\n").unwrap();
    assert_eq!(p.threads[0].ops.len(), 1);
    // 64 x 64 iterations plus their bodies are just over the budget.
    let e = parse("shared c = 0\nthread t:\n    for _ in range(64):\n        for _ in range(64):\n            pass\n").unwrap_err();
    assert!(e.message.contains("unrolls"), "{e}");
}

#[test]
fn long_expressions_are_refused_before_they_nest_deeply() {
    // A chain of 3,900 additions fits the 8,000-character limit but would be a
    // 3,900-deep tree.
    let chain = vec!["1"; 3_900].join("+");
    let e = parse(&format!("shared c = 0\nthread t:\n    c = {chain}\n")).unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.message.contains("too long"), "{e}");
    let e = parse(&format!("shared c = 0\nthread t:\n    if {}:\n        pass\n", vec!["not 0"; 200].join(" and "))).unwrap_err();
    assert!(e.message.contains("too long"), "{e}");
    // 50 terms (99 nodes) are fine, and add up like Python.
    let p = parse(&format!("shared c = 0\nthread t:\n    c = {}\n", vec!["2"; 50].join("+"))).unwrap();
    assert_eq!(final_of(&p, &[0]).values, vec![100]);
}

#[test]
fn missing_block_points_at_the_next_line_with_code() {
    let e = parse("shared c = 0\nthread t:\n    for _ in range(2):\n\n    # nothing here\n    c = 1\n").unwrap_err();
    assert_eq!((e.line, e.column), (6, 5), "{e}");
    assert!(e.message.contains("indented block after line 3"), "{e}");
    // At the end of the text there is no next line: the header is named.
    let e = parse("shared c = 0\nthread t:\n    if c > 0:\n\n# end\n").unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    let e = parse("thread t:\n\n\nx = 1\n").unwrap_err();
    assert_eq!((e.line, e.column), (4, 1), "{e}");
}

#[test]
fn source_limit_counts_characters() {
    // 6,000 two-byte characters in a comment: 12,000 bytes but within 8,000 characters.
    let src = format!("# {}\n{BANK}", "\u{e9}".repeat(6_000));
    assert!(src.len() > lang::MAX_SOURCE_LEN && src.chars().count() <= lang::MAX_SOURCE_LEN);
    parse(&src).unwrap();
    let src = format!("# {}\n{BANK}", "\u{e9}".repeat(8_000));
    let e = parse(&src).unwrap_err();
    assert!(e.message.contains(&format!("{} characters", src.chars().count())), "{e}");
}

#[test]
fn counter_preset_shows_load_and_store_as_two_steps() {
    assert!(COUNTER.contains("counter += 1"));
    let p = parse(COUNTER).unwrap();
    // One thread alone: each `counter += 1` is a read step and a write step on one line.
    let trace = replay(&p, &[0, 0, 0, 0]);
    let texts: Vec<&str> = trace.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(texts, ["reads counter = 0", "writes counter = 1", "reads counter = 1", "writes counter = 2"]);
    assert!(trace.steps.iter().all(|s| s.line == trace.steps[0].line));
    // Two loads before either store: the second store loses the first.
    let trace = replay(&p, &[0, 1, 0, 1]);
    assert!(trace.steps[3].lost_update.as_deref().is_some_and(|m| m.starts_with("Lost update: worker-2")), "{:#?}", trace.steps);
}

#[test]
fn a_thread_overwriting_its_own_write_is_not_blamed_on_itself() {
    let src = "shared x = 0\nthread a * 2:\n    t = x\n    x = t + 1\n    x = t + 2\n";
    let p = parse(src).unwrap();
    // Alone, a thread's second write from its own read is just its program.
    assert!(replay(&p, &[0, 0, 0]).steps.iter().all(|s| s.lost_update.is_none()));
    // a-1 reads, a-2 reads and writes, a-1 writes over a-2 (lost), then writes again.
    let trace = replay(&p, &[0, 1, 1, 0, 0]);
    let third = trace.steps[3].lost_update.as_deref().expect("a-1 loses a-2's update");
    assert!(third.starts_with("Lost update: a-1") && third.contains("a-2's change is overwritten"), "{third}");
    // Its second write from the same read loses nothing new: a-2's change is gone.
    let fourth = trace.steps[4].lost_update.as_deref().expect("still a stale value");
    assert!(fourth.starts_with("Stale write: a-1"), "{fourth}");
    assert!(fourth.contains("before a-2 changed x") && fourth.contains("already been overwritten"), "{fourth}");
    assert!(!fourth.contains("a-1 changed") && !fourth.contains("a-1's change"), "{fourth}");

    // But a write that replaces a value which did include the other change loses it,
    // even when the value replaced is the thread's own.
    let p = parse("shared x = 0\nthread a:\n    t = x\n    u = x\n    x = u + 1\n    x = t + 5\nthread b:\n    x += 1\n").unwrap();
    // a reads 0; b reads 0 and writes 1; a reads 1 and writes 2; a writes 0 + 5.
    let trace = replay(&p, &[0, 1, 1, 0, 0, 0]);
    assert!(trace.steps[..5].iter().all(|s| s.lost_update.is_none()), "{:#?}", trace.steps);
    let last = trace.steps[5].lost_update.as_deref().expect("b's change is lost here");
    assert!(last.starts_with("Lost update: a wrote x = 5") && last.contains("b's change is overwritten"), "{last}");
}

#[test]
fn predictions_parse_within_bounds_and_match_outcomes() {
    assert_eq!(Prediction::parse(" 900 "), Ok(Prediction::Value(900)));
    assert_eq!(Prediction::parse("-1000000000000"), Ok(Prediction::Value(-MAX_PREDICT)));
    assert_eq!(Prediction::parse("Deadlock"), Ok(Prediction::Deadlock));
    for bad in ["-9223372036854775808", "9223372036854775807", "1000000000001", "99999999999999999999999", "-", "9a", "", "1e3"] {
        assert!(Prediction::parse(bad).is_err(), "{bad}");
    }
    assert!(Prediction::parse("-9223372036854775808").unwrap_err().contains("out of range"));
    // The link uses the same rule and says why.
    let d = RaceConfig::from_query("preset=bank&predict=-9223372036854775808");
    assert_eq!(d.config.predict, None);
    assert_eq!(d.errors.len(), 1);
    assert_eq!(d.errors[0].key, "predict");
    let d = RaceConfig::from_query("preset=deadlock&predict=deadlock");
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    assert_eq!(d.config.predict, Some(Prediction::Deadlock));
    assert!(d.config.to_query(false).contains("predict=deadlock"));

    let ex = explore(&parse(DEADLOCK).unwrap(), true).unwrap();
    let dead = ex.outcomes.iter().find(|o| o.outcome.deadlock).unwrap();
    let done = ex.outcomes.iter().find(|o| !o.outcome.deadlock).unwrap();
    assert!(Prediction::Deadlock.matches(&dead.outcome) && !Prediction::Deadlock.matches(&done.outcome));
    let v = done.outcome.values[0];
    assert!(Prediction::Value(v).matches(&done.outcome) && !Prediction::Value(v + 1).matches(&done.outcome));
    // A deadlocked run has no final value to be right about.
    assert!(!Prediction::Value(dead.outcome.values[0]).matches(&dead.outcome));
}

#[test]
fn edited_schedules_say_how_they_were_finished() {
    let d = RaceConfig::from_query("preset=bank&sched=cpython&steps=01");
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    assert_eq!(d.config.given, 2);
    assert_eq!(&d.config.steps[..2], &[0, 1]);
    assert_eq!(d.config.steps.len(), 8);
    // The timing model cannot continue a hand-made start: random choices finish it.
    assert_eq!(d.config.finished_by(), Some(Scheduler::Random));
    // Only the given steps travel in the link; the rest is recomputed the same way.
    let q = d.config.to_query(false);
    assert!(q.contains("steps=01&") || q.ends_with("steps=01"), "{q}");
    assert_eq!(RaceConfig::from_query(&q).config, d.config);
    // The scheduler's own schedule.
    let d = RaceConfig::from_query("preset=bank&sched=cpython");
    assert_eq!((d.config.given, d.config.finished_by()), (0, Some(Scheduler::CPython)));
    assert!(!d.config.to_query(false).contains("steps"));
    let d = RaceConfig::from_query("preset=bank&sched=rr&steps=3");
    assert_eq!(d.config.finished_by(), Some(Scheduler::RoundRobin));
    assert_eq!(d.config.steps, vec![3, 0, 1, 2, 3, 0, 1, 2]);
    let d = RaceConfig::from_query("preset=bank&sched=manual&steps=01");
    assert_eq!((d.config.given, d.config.finished_by()), (2, None));
}

fn arb_config() -> impl Strategy<Value = RaceConfig> {
    let scheds = prop::sample::select(Scheduler::ALL.iter().map(|(_, s)| *s).collect::<Vec<_>>());
    let modes = prop::sample::select(Mode::ALL.iter().map(|(_, m)| *m).collect::<Vec<_>>());
    let predict = prop_oneof![
        Just(None),
        Just(Some(Prediction::Deadlock)),
        (-MAX_PREDICT..=MAX_PREDICT).prop_map(|v| Some(Prediction::Value(v))),
    ];
    (0..SCENARIOS.len(), scheds, 0u64..=u64::from(u32::MAX), prop::collection::vec(0u8..8, 0..12), 0usize..20, modes, 1u32..=10_000, predict).prop_map(
        |(i, scheduler, seed, wanted, at, mode, runs, predict)| {
            let source = SCENARIOS[i].source;
            let program = parse(source).unwrap();
            let n = program.threads.len() as u8;
            let wanted: Vec<u8> = wanted.into_iter().map(|t| t % n).collect();
            let given = sched::complete(&program, Scheduler::Manual, 0, &wanted);
            let mut c = RaceConfig::new(source, program, scheduler, seed);
            c.steps = sched::complete(&c.program, scheduler, seed, &given);
            c.given = given.len();
            c.at = at.min(c.steps.len());
            c.mode = mode;
            c.runs = runs;
            c.predict = predict;
            c
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn race_configs_round_trip_through_links(c in arb_config(), run in any::<bool>()) {
        let d = RaceConfig::from_query(&c.to_query(run));
        prop_assert!(d.errors.is_empty(), "{:?}", d.errors);
        prop_assert_eq!(d.run, run);
        prop_assert_eq!(d.config, c);
    }

    #[test]
    fn predictions_parse_or_say_why(raw in "[-+]?[0-9]{0,22}|.{0,30}") {
        match Prediction::parse(&raw) {
            Ok(Prediction::Value(v)) => prop_assert!((-MAX_PREDICT..=MAX_PREDICT).contains(&v)),
            Ok(Prediction::Deadlock) => prop_assert!(raw.trim().eq_ignore_ascii_case("deadlock")),
            Err(m) => prop_assert!(!m.is_empty()),
        }
    }

    #[test]
    fn nested_blocks_of_any_shape_parse_or_fail_cleanly(body in arb_nested_body(4)) {
        let src = format!("shared x = 0\nlock m\nthread t * 2:\n{body}");
        if let Ok(p) = parse(&src) {
            prop_assert!(p.threads.iter().all(|t| t.ops.len() <= 512));
            let _ = explore(&p, true);
        }
    }

    #[test]
    fn random_programs_count_like_brute_force(src in arb_program()) {
        let p = parse(&src).unwrap();
        if let Some(brute) = brute_force(&p, 300_000) {
            for symmetry in [true, false] {
                let ex = explore(&p, symmetry).unwrap();
                let counted: BTreeMap<Outcome, u128> = ex.outcomes.iter().map(|o| (o.outcome.clone(), o.count)).collect();
                prop_assert_eq!(&counted, &brute);
            }
        }
    }

    #[test]
    fn parser_never_panics(src in ".{0,400}") {
        let _ = parse(&src);
    }

    #[test]
    fn near_miss_scenarios_never_panic(lines in prop::collection::vec(
        "(shared|lock|thread|async task|    |        )( [a-z]{1,3})?( \\* [0-9])?( = -?[0-9]{1,3})?(:|\\(|\\)|\\+=| // | and | not |\\.acquire\\(\\))?",
        0..12)) {
        let src = lines.join("\n");
        if let Ok(p) = parse(&src) {
            let _ = explore(&p, true);
            let _ = replay(&p, &[0, 1, 2, 0, 1]);
        }
    }

    #[test]
    fn race_links_never_panic(raw in ".{0,200}") {
        let _ = RaceConfig::from_query(&raw);
    }
}

/// Random nested bodies (indented one level) of `for`, `if`/`else`, `with` and `pass`,
/// up to `depth` levels, with loop counts up to 64: many of them blow the unrolling
/// budget, which must end in an error, not a hang.
fn arb_nested_body(depth: u32) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(vec!["pass".to_string()]),
        Just(vec!["x += 1".to_string()]),
        Just(vec!["t = x".to_string()]),
        Just(vec!["time.sleep(0.001)".to_string()]),
    ];
    let tree = leaf.prop_recursive(depth, 64, 4, |inner| {
        let block = prop::collection::vec(inner, 1..4).prop_map(|stmts| stmts.concat());
        let indent = |lines: Vec<String>| lines.into_iter().map(|l| format!("    {l}")).collect::<Vec<_>>();
        prop_oneof![
            (0i64..=64, block.clone()).prop_map(move |(n, b)| {
                let mut out = vec![format!("for _ in range({n}):")];
                out.extend(indent(b));
                out
            }),
            (block.clone(), prop::option::of(block.clone())).prop_map(move |(b, e)| {
                let mut out = vec!["if x > 1:".to_string()];
                out.extend(indent(b));
                if let Some(e) = e {
                    out.push("else:".into());
                    out.extend(indent(e));
                }
                out
            }),
            block.clone().prop_map(move |b| {
                let mut out = vec!["with m:".to_string()];
                out.extend(indent(b));
                out
            }),
            block,
        ]
    });
    prop::collection::vec(tree, 1..4).prop_map(|parts| parts.concat().into_iter().map(|l| format!("    {l}\n")).collect())
}

#[test]
fn workloads_multiply_loops_into_timed_segments() {
    use super::lang::{parse_workload, SegmentKind::*, WorkThread};
    let src = "# the convoy\nthread cpu:\n    compute(1000)\nthread io:\n    for _ in range(3):\n        io(0.17)\n        compute(0.01)\n        compute(0.02)\n    time.sleep(0.5)\n";
    let threads = parse_workload(src).expect("parses");
    assert_eq!(threads[0], WorkThread { name: "cpu".into(), segments: vec![(Compute, 1000.0)] });
    let io = &threads[1].segments;
    assert_eq!(io.len(), 7, "{io:?}");
    assert_eq!(io[0], (Io, 0.17));
    assert!(matches!(io[1], (Compute, ms) if (ms - 0.03).abs() < 1e-12), "back-to-back compute merges: {io:?}");
    assert_eq!(io[6], (Io, 500.0));

    let many = parse_workload("thread t * 32:\n    for _ in range(12000):\n        compute(5)\n").expect("parses");
    assert_eq!(many.len(), 32);
    assert_eq!(many[31].name, "t-32");
    assert_eq!(many[0].segments, vec![(Compute, 60_000.0)]);
}

#[test]
fn workloads_refuse_what_belongs_to_the_race_lab() {
    use super::lang::parse_workload;
    let e = parse_workload("shared x = 0\nthread t:\n    x += 1\n").expect_err("shared state is refused");
    assert!(e.message.contains("race lab"), "{e}");
    let e = parse_workload("thread t:\n    native(-1)\n").expect_err("negative time");
    assert_eq!(e.line, 2);
    let e = parse_workload("thread t:\n    for _ in range(100001):\n        io(1)\n").expect_err("too many segments");
    assert!(e.message.contains("timed steps"), "{e}");
    let e = parse_workload("thread t * 1000:\n    for _ in range(99999):\n        io(1)\n").expect_err("too much in all");
    assert!(e.message.contains("in all"), "{e}");
    let e = parse_workload("thread t * 1001:\n    compute(1)\n").expect_err("too many threads");
    assert!(e.message.contains("1 to 1000"), "{e}");
    // The race lab reads the same statements: io gives way like a sleep, compute is no step.
    let p = parse("shared x = 0\nthread t * 2:\n    compute(5)\n    io(1)\n    x += 1\n").expect("race parse");
    assert!(p.threads[0].ops.iter().any(|o| matches!(o.kind, OpKind::Sleep { ms } if ms == 1.0)));
    // A variable may still be called `io` in a race scenario.
    assert!(parse("shared io = 0\nthread t:\n    io = io + 1\n").is_ok());
    assert!(parse("thread t:\n    for _ in range(65):\n        pass\n").is_err(), "race loops stay small");
}
