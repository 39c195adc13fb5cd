use super::config::{Mode, RaceConfig};
use super::explore::{brute_force, explore};
use super::lang::{parse, Program};
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
    c.predict = Some(900);
    let d = RaceConfig::from_query(&c.to_query(true));
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    assert!(d.run);
    assert_eq!(d.config, c);

    // A custom scenario and a manual schedule travel in the link.
    let src = "shared n = 0\nthread a * 2:\n    n += 1\n";
    let p = parse(src).unwrap();
    let mut c = RaceConfig::new(src, p, Scheduler::Manual, 7);
    c.steps = vec![0, 1, 1];
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

/// Small random programs: straight-line code over one or two shared variables.
fn arb_program() -> impl Strategy<Value = String> {
    let stmt = prop_oneof![
        Just("t = x".to_string()),
        Just("x = t + 1".to_string()),
        Just("x += 2".to_string()),
        Just("y = x * 2".to_string()),
        Just("t = t - y".to_string()),
        Just("if x > 1:\n        y -= 1".to_string()),
        Just("with m:\n        x = x - 1".to_string()),
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

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
