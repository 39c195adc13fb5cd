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

    // Threads lab: the simulator's speed, which grows with events, not simulated time.
    use concurrency_playground::labs::threads::{gil::bench_run, model::Settings, real_gil};
    println!("\nnative, threads lab: simulating CPython threads under the GIL (median of 3)");
    let mut sim_rows = Vec::new();
    for (threads, seconds) in [(2usize, 60u64), (32, 60), (32, 600)] {
        let mut times = Vec::new();
        let mut events = 0;
        for _ in 0..3 {
            let t0 = Instant::now();
            let out = bench_run(threads, seconds, &Settings::new(2)).expect("the benchmark workload simulates");
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
            events = out.events;
        }
        times.sort_by(f64::total_cmp);
        let ms = times[1];
        println!(
            "  {threads:>2} threads, {seconds:>3} s simulated at 5 ms: {events:>9} events in {ms:8.1} ms, {:.1} M events/s",
            events as f64 / ms / 1000.0
        );
        sim_rows.push(format!("{{\"threads\":{threads},\"seconds\":{seconds},\"events\":{events},\"ms\":{ms:.3}}}"));
    }
    println!("BENCH_THREADS_JSON [{}]", sim_rows.join(","));

    // The real GIL-style lock on OS threads: wall time with and without it.
    println!("\nnative, threads lab: {cores} OS threads x 300 slices of cpu_slice(1,000,000), 5 ms interval");
    let real = |k: usize, lock: bool| {
        let mut handles = Vec::new();
        let run = real_gil::run_cpu_threads(k, 300, || {
            real_gil::cpu_slice(1_000_000);
        }, lock, 5.0, clock, |job| handles.push(std::thread::spawn(job)))
        .expect("starts");
        for h in handles {
            let _ = h.join();
        }
        run.report().expect("finished")
    };
    let one = real(1, true);
    for lock in [true, false] {
        let r = real(cores, lock);
        println!(
            "  {} the lock: {:8.1} ms ({:.2}x one thread's {:.1} ms), {} switches, {} drop requests, {} violations",
            if lock { "with   " } else { "without" },
            r.wall_ms,
            r.wall_ms / one.wall_ms,
            one.wall_ms,
            r.lock.switches,
            r.lock.drop_requests,
            r.lock.violations
        );
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
