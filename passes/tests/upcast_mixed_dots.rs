//! `upcast_mixed_dots`: narrow-float dots with a wide result get converted operands (and the
//! same values); same-dtype dots are left alone. Whether it runs is the pipeline's choice
//! (tests/pipeline.rs).

mod common;

use common::MIXED_DOTS as MIXED;
use flash_ir::text::{parse_graph, print_graph};
use flash_passes::upcast_mixed_dots::UpcastMixedDots;
use flash_passes::{Pass, PassOptions};

#[test]
fn widens_operands_of_mixed_dots_only() {
    let g = UpcastMixedDots
        .run(parse_graph(MIXED).unwrap(), &PassOptions::default())
        .unwrap();
    flash_ir::verify::verify(&g).unwrap();
    insta::assert_snapshot!(print_graph(&g));
}

#[test]
fn values_are_unchanged() {
    let before = parse_graph(MIXED).unwrap();
    let after = UpcastMixedDots
        .run(before.clone(), &PassOptions::default())
        .unwrap();
    let inputs: Vec<flash_interp::Array> = before
        .params()
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let ty = before.ty(p).clone();
            let data = (0..ty.num_elements())
                .map(|k| ((k * 7 + i * 3) % 11) as f64 * 0.37 - 1.5)
                .collect();
            flash_interp::Array::new(ty, data).unwrap()
        })
        .collect();
    let (x, y) = (
        flash_interp::evaluate(&before, &inputs).unwrap(),
        flash_interp::evaluate(&after, &inputs).unwrap(),
    );
    assert_eq!(x[0].data, y[0].data);
    assert_eq!(x[1].data, y[1].data);
}
