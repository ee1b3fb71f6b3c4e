//! Model parameter lists: names, order, counts of the presets, initial values, and the
//! errors of invalid configurations and build options.

use flash::config::{ConfigError, ModelConfig, ModelKind, Precision};
use flash::dsl::DType;
use flash::models::{
    build_lm, count_params, init_params, param_specs, BuildOptions, Init, Mode, ModelError,
    ModelSpec,
};
use std::collections::HashSet;

const KINDS: [ModelKind; 4] = [
    ModelKind::Transformer,
    ModelKind::TransformerPlusPlus,
    ModelKind::FlashQuad,
    ModelKind::Flash,
];

fn tiny(kind: ModelKind) -> ModelConfig {
    ModelConfig {
        vocab: 256,
        heads: 4,
        shared: 16,
        chunk: 4,
        expansion: 64,
        max_len: 64,
        ..ModelConfig::new(kind, 32, 2)
    }
}

fn opts(mode: Mode) -> BuildOptions {
    BuildOptions {
        batch: 2,
        seq_len: 8,
        mode,
        forward: false,
    }
}

#[test]
fn flash_base_has_24_layers_and_unique_names() {
    let specs = param_specs(&ModelConfig::preset("flash-base").unwrap()).unwrap();
    let names: HashSet<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), specs.len(), "duplicate names");
    let layers: HashSet<&str> = specs
        .iter()
        .filter_map(|s| s.name.strip_prefix("layers.")?.split('.').next())
        .collect();
    assert_eq!(layers.len(), 24);
    assert!(names.contains("layers.23.flash.gamma"));
    let gamma = specs
        .iter()
        .find(|s| s.name == "layers.0.flash.gamma")
        .unwrap();
    assert_eq!(gamma.ty.shape, [4, 128]);
    assert_eq!(gamma.init, Init::Normal { std: 0.02 });
    assert_eq!(specs.first().unwrap().name, "embed.table");
    assert_eq!(specs.last().unwrap().name, "final_norm.g");
}

#[test]
fn preset_parameter_counts_are_in_the_expected_ranges() {
    for (name, lo, hi) in [
        ("transformer++-base", 80e6, 95e6),
        ("flash-base", 80e6, 95e6),
        ("flash-quad-base", 80e6, 95e6),
        ("flash-tiny", 0.2e6, 2e6),
    ] {
        let n = count_params(&param_specs(&ModelConfig::preset(name).unwrap()).unwrap());
        println!("{name}: {n} parameters");
        assert!((lo..hi).contains(&(n as f64)), "{name}: {n} parameters");
    }
}

#[test]
fn graph_parameters_follow_the_spec_order_then_the_inputs() {
    for kind in KINDS {
        let cfg = tiny(kind);
        let specs = param_specs(&cfg).unwrap();
        for (mode, inputs) in [
            (Mode::Lm, &["tokens"][..]),
            (Mode::Mlm, &["tokens", "targets", "loss_mask"][..]),
        ] {
            let g = build_lm(&cfg, &opts(mode)).unwrap();
            let names: Vec<&str> = g
                .params()
                .iter()
                .map(|&p| g.param_name(p).unwrap())
                .collect();
            let want: Vec<&str> = specs
                .iter()
                .map(|s| s.name.as_str())
                .chain(inputs.iter().copied())
                .collect();
            assert_eq!(names, want, "{kind:?} {mode:?}");
            for (s, &p) in specs.iter().zip(&g.params()) {
                assert_eq!(g.ty(p), &s.ty, "{}", s.name);
            }
        }
    }
}

#[test]
fn bf16_models_keep_f32_parameters() {
    let cfg = ModelConfig {
        precision: Precision::Bf16,
        ..tiny(ModelKind::Flash)
    };
    let g = build_lm(&cfg, &opts(Mode::Lm)).unwrap();
    let params = g.params();
    assert!(params[..params.len() - 1]
        .iter()
        .all(|&p| g.ty(p).dtype == DType::F32));
    assert_eq!(g.ty(g.outputs[0]).dtype, DType::F32);
}

#[test]
fn init_params_match_the_specs_and_are_deterministic() {
    let spec = ModelSpec::new(&tiny(ModelKind::FlashQuad)).unwrap();
    let a = spec.init(7);
    assert_eq!(a.len(), spec.params.len());
    for ((name, t), s) in a.iter().zip(&spec.params) {
        assert_eq!(name, &s.name);
        assert_eq!(t.ty, s.ty, "{name}");
    }
    assert_eq!(a, init_params(&spec.params, 7));
    assert_ne!(a, spec.init(8));
    let value = |name: &str| a.iter().find(|(n, _)| n == name).unwrap().1.to_f64();
    assert!(value("layers.0.gau.beta").iter().all(|&v| v == 0.0));
    assert_eq!(value("layers.1.norm.g"), [1.0]);
    let embed = value("embed.table");
    let std = (embed.iter().map(|v| v * v).sum::<f64>() / embed.len() as f64).sqrt();
    assert!((std - 0.02).abs() < 0.002, "embedding std {std}");
}

#[test]
fn invalid_configs_name_the_field() {
    let cfg = ModelConfig {
        width: 0,
        ..tiny(ModelKind::Flash)
    };
    let err = param_specs(&cfg).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Config(ConfigError::Field { field: "width", .. })
        ),
        "{err}"
    );
    let cfg = ModelConfig {
        heads: 5,
        ..tiny(ModelKind::Transformer)
    };
    let err = build_lm(&cfg, &opts(Mode::Lm)).unwrap_err();
    assert!(err.to_string().contains("`heads`"), "{err}");
    let cfg = ModelConfig {
        rel_pos_bias: true,
        ..tiny(ModelKind::Flash)
    };
    let err = param_specs(&cfg).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Config(ConfigError::Field {
                field: "rel_pos_bias",
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn invalid_build_options_name_the_option() {
    let long = BuildOptions {
        seq_len: 65,
        ..opts(Mode::Lm)
    };
    let err = build_lm(&tiny(ModelKind::Transformer), &long).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::BuildOption {
                field: "seq_len",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        build_lm(&tiny(ModelKind::Flash), &long).is_ok(),
        "FLASH has no length limit"
    );
    let empty = BuildOptions {
        batch: 0,
        ..opts(Mode::Mlm)
    };
    let err = build_lm(&tiny(ModelKind::Flash), &empty).unwrap_err();
    assert!(
        matches!(err, ModelError::BuildOption { field: "batch", .. }),
        "{err}"
    );
}

#[test]
fn rel_pos_bias_adds_one_table_per_gau_layer() {
    let cfg = ModelConfig {
        rel_pos_bias: true,
        ..tiny(ModelKind::FlashQuad)
    };
    let specs = param_specs(&cfg).unwrap();
    let tables: Vec<_> = specs
        .iter()
        .filter(|s| s.name.ends_with("gau.rel_bias"))
        .collect();
    assert_eq!(tables.len(), 2);
    assert_eq!(tables[0].ty.shape, [127]);
    assert!(build_lm(&cfg, &opts(Mode::Mlm)).is_ok());
}
