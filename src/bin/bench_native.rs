//! Native half of the CPU benchmark: the classic 20 tasks, sequential and on rayon with
//! one thread per core, median of several runs. Run through `scripts/bench.sh`.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use concurrency_playground::labs::cpu::model::{Run, Workload};
    use std::sync::OnceLock;
    use std::time::Instant;

    fn clock() -> f64 {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
    }
    fn median_ms(workers: usize, repeats: usize) -> f64 {
        let mut times: Vec<f64> = (0..repeats)
            .map(|_| {
                let run = Run::new(Workload::classic(), workers, clock);
                run.spawn_on_pool();
                // Sleep rather than spin: on 2 cores a spinning main thread would take
                // a core from the workers it is timing. The run times itself.
                while !run.is_over() {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                assert_eq!(run.records().len(), 20);
                run.wall_ms()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    }

    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    median_ms(cores, 1); // warm the pool
    let sequential = median_ms(1, 5);
    let parallel = median_ms(cores, 5);
    println!("native, classic 20 tasks x 2,000,000 iterations (median of 5)");
    println!("  sequential (1 thread):    {sequential:8.1} ms");
    println!("  rayon ({cores} threads):        {parallel:8.1} ms   speedup {:.2}x", sequential / parallel);
    println!(
        "BENCH_JSON {{\"cores\":{cores},\"nativeSequentialMs\":{sequential:.3},\"nativeParallelMs\":{parallel:.3}}}"
    );

    // Race lab: exhaustive counting of the bank scenario with 2..=8 threads.
    use concurrency_playground::labs::race::{explore::explore, lang::parse, BANK};
    println!("\nnative, race lab: exhaustive count of the bank scenario (median of 3)");
    let mut rows = Vec::new();
    for threads in 2..=8 {
        let program = parse(&BANK.replace("withdraw * 4", &format!("withdraw * {threads}"))).expect("bank parses");
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..3 {
            let t0 = Instant::now();
            let ex = explore(&program, true).expect("bank is small enough");
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
            last = Some(ex);
        }
        times.sort_by(f64::total_cmp);
        let ex = last.expect("ran");
        println!("  {threads} threads: {:>14} interleavings, {:>6} states, {:8.2} ms", ex.total, ex.states, times[1]);
        rows.push(format!("{{\"threads\":{threads},\"total\":\"{}\",\"states\":{},\"ms\":{:.3}}}", ex.total, ex.states, times[1]));
    }
    println!("BENCH_RACE_JSON [{}]", rows.join(","));
}

#[cfg(target_arch = "wasm32")]
fn main() {}
