//! Properties of the kernels that hold for any input: the parsers answer instead of
//! panicking (a wasm panic kills the page), and the CPU kernel gives one result however
//! it is sliced.

use crate::cpu::model::{kernel, KernelState, Task};
use crate::race::{explore, lang};
use crate::units::{group, round_to_micros};
use proptest::prelude::*;
use std::sync::atomic::AtomicBool;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn workload_parser_never_panics(src in "(thread|compute|io|native|release|for _ in range|\\(|\\)|:|\\*|[0-9.]{1,7}|\n|    | |#)*") {
        let _ = lang::parse_workload(&src);
    }

    #[test]
    fn scenario_parser_never_panics(src in "(shared|thread|lock|with|for _ in range|if|else|while|[a-z]{1,3}|[0-9]{1,20}|\\+=|=|==|<|\\+|-|\\*|\\(|\\)|:|\n|    | |#)*") {
        let _ = lang::parse(&src);
    }

    #[test]
    fn any_text_is_parsed_or_refused(src in ".{0,200}") {
        let _ = lang::parse(&src);
        let _ = lang::parse_workload(&src);
    }

    #[test]
    fn grouping_keeps_the_digits_in_threes(n in any::<u64>()) {
        let text = group(n);
        prop_assert_eq!(text.replace(',', "").parse::<u64>().unwrap(), n);
        let parts: Vec<&str> = text.split(',').collect();
        prop_assert!(!parts[0].is_empty() && parts[0].len() <= 3);
        prop_assert!(parts[1..].iter().all(|p| p.len() == 3));
    }

    #[test]
    fn micro_rounding_is_stable(ms in -1.0e9f64..1.0e9) {
        let once = round_to_micros(ms);
        prop_assert_eq!(round_to_micros(once), once);
        prop_assert!((once - ms).abs() <= 0.0005 + 1e-6 * ms.abs().max(1.0));
    }

    #[test]
    fn a_task_sliced_anyhow_gives_the_unsliced_result(
        start in 0u64..60, len in 0u64..40, iterations in 0u64..5_000, slice in 1u64..700,
    ) {
        let task = Task::new(start, start + len);
        let whole = kernel(task, iterations, &AtomicBool::new(false)).unwrap();
        let mut state = KernelState::new(task, iterations);
        let mut guard = 0;
        while !state.advance(slice) {
            guard += 1;
            prop_assert!(guard <= iterations / slice + 1);
        }
        prop_assert_eq!(state.result(), whole);
    }
}

/// Two threads each adding 1 without a lock: of the 6 interleavings of their loads and
/// stores, 2 end at 2 and the 4 that overlap lose an update.
#[test]
fn the_lost_update_is_counted_exactly() {
    let program = lang::parse("shared x = 0\nthread t * 2:\n    x += 1\n").expect("parses");
    let report = explore::explore(&program, false).expect("small enough");
    let counts: Vec<(Vec<i64>, u128)> = report.outcomes.iter().map(|o| (o.outcome.values.clone(), o.count)).collect();
    assert_eq!(report.total, 6);
    assert_eq!(counts, vec![(vec![1], 4), (vec![2], 2)]);
}
