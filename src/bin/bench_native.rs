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
                while !run.is_over() {
                    std::thread::yield_now();
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
}

#[cfg(target_arch = "wasm32")]
fn main() {}
