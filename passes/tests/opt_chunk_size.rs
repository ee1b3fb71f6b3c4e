//! Tests of `choose_chunk`: the documented choices, the floor, one chunk up to twice the floor,
//! powers of two, and agreement with a brute-force minimum of the cost model.

use flash_passes::chunk_size::chunk_cost;
use flash_passes::{choose_chunk, Target};

const S: usize = 128;
const E: usize = 512;

#[test]
fn paper_sizes_on_cpu_choose_128_up_to_16k_and_256_beyond() {
    for t in [512, 1024, 2048, 4096, 8192, 16384] {
        assert_eq!(choose_chunk(t, S, E, Target::Cpu), 128, "T = {t}");
    }
    assert_eq!(choose_chunk(32768, S, E, Target::Cpu), 256);
    assert_eq!(choose_chunk(65536, S, E, Target::Cpu), 256);
}

#[test]
fn tpu_floor_is_the_papers_256() {
    assert_eq!(choose_chunk(8192, S, E, Target::Tpu), 256);
    assert_eq!(choose_chunk(8192, S, E, Target::Gpu), 128);
}

#[test]
fn sequences_up_to_twice_the_floor_are_one_chunk() {
    assert_eq!(choose_chunk(100, S, E, Target::Cpu), 100);
    assert_eq!(choose_chunk(128, S, E, Target::Cpu), 128);
    assert_eq!(choose_chunk(200, S, E, Target::Cpu), 200);
    assert_eq!(choose_chunk(256, S, E, Target::Cpu), 256);
    assert_eq!(choose_chunk(257, S, E, Target::Cpu), 128);
    assert_eq!(choose_chunk(512, S, E, Target::Tpu), 512);
    assert_eq!(choose_chunk(0, S, E, Target::Cpu), 1);
}

#[test]
fn the_choice_is_a_power_of_two_at_most_t_minimising_the_cost() {
    for t in [257, 300, 777, 1000, 5000, 8192, 100_000] {
        for (s, e) in [(64, 256), (128, 512), (128, 1536)] {
            let c = choose_chunk(t, s, e, Target::Cpu);
            assert!(
                c.is_power_of_two() && (128..=t).contains(&c),
                "T = {t}: {c}"
            );
            let best = (7..=20)
                .map(|k| 1usize << k)
                .filter(|&c| c <= t)
                .map(|c| chunk_cost(t, c, s, e))
                .min()
                .unwrap();
            assert_eq!(chunk_cost(t, c, s, e), best, "T = {t}, s = {s}, e = {e}");
        }
    }
}

#[test]
fn one_chunk_has_no_global_or_prefix_work() {
    assert_eq!(chunk_cost(512, 512, S, E), 2 * 512 * 512 * (S + E) as u128);
}
