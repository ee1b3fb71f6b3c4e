//! Model configs: presets, validation errors that name the field, TOML/JSON files.

use flash::config::{ConfigError, ModelConfig, ModelKind};
use std::io::Write;

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("flash-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

#[test]
fn presets_are_valid_and_match_the_paper() {
    for name in flash::config::preset_names() {
        ModelConfig::preset(name).unwrap().validate().unwrap();
    }
    let base = ModelConfig::preset("flash-base").unwrap();
    assert_eq!(
        (
            base.layers,
            base.width,
            base.expansion(),
            base.shared,
            base.chunk
        ),
        (24, 768, 1536, 128, 256)
    );
    let tpp = ModelConfig::preset("transformer++-base").unwrap();
    assert_eq!(
        (tpp.kind, tpp.layers, tpp.width, tpp.heads),
        (ModelKind::TransformerPlusPlus, 12, 768, 12)
    );
    let tiny = ModelConfig::preset("flash-tiny").unwrap();
    assert_eq!(tiny.vocab, 256);
    let tpp_tiny = ModelConfig::preset("transformer++-tiny").unwrap();
    assert_eq!(
        tiny.layers,
        2 * tpp_tiny.layers,
        "FLASH has twice the layers at the same width"
    );
}

#[test]
fn unknown_preset_lists_the_known_ones() {
    let e = ModelConfig::preset("flash-huge").unwrap_err();
    assert!(matches!(e, ConfigError::UnknownPreset { .. }));
    assert!(e.to_string().contains("flash-tiny"), "{e}");
}

#[test]
fn zero_sizes_name_the_field() {
    for (f, cfg) in [
        (
            "width",
            ModelConfig {
                width: 0,
                ..ModelConfig::preset("flash-tiny").unwrap()
            },
        ),
        (
            "layers",
            ModelConfig {
                layers: 0,
                ..ModelConfig::preset("flash-tiny").unwrap()
            },
        ),
        (
            "chunk",
            ModelConfig {
                chunk: 0,
                ..ModelConfig::preset("flash-tiny").unwrap()
            },
        ),
        (
            "vocab",
            ModelConfig {
                vocab: 0,
                ..ModelConfig::preset("flash-tiny").unwrap()
            },
        ),
    ] {
        let e = cfg.validate().unwrap_err();
        assert!(e.to_string().contains(&format!("`{f}`")), "{e}");
    }
}

#[test]
fn width_not_divisible_by_heads_names_heads() {
    let cfg = ModelConfig {
        heads: 5,
        ..ModelConfig::preset("transformer++-tiny").unwrap()
    };
    let e = cfg.validate().unwrap_err();
    assert!(
        e.to_string().contains("`heads`") && e.to_string().contains("not divisible"),
        "{e}"
    );
}

#[test]
fn files_reject_unknown_and_negative_fields() {
    let good = write_temp(
        "good.toml",
        "kind = \"flash\"\nwidth = 64\nlayers = 2\nchunk = 16\nshared = 32\n",
    );
    let cfg = ModelConfig::from_file(&good).unwrap();
    assert_eq!((cfg.kind, cfg.width, cfg.chunk), (ModelKind::Flash, 64, 16));

    let unknown = write_temp(
        "unknown.toml",
        "kind = \"flash\"\nwidth = 64\nlayers = 2\nwidht = 3\n",
    );
    let e = ModelConfig::from_file(&unknown).unwrap_err().to_string();
    assert!(e.contains("widht") && e.contains("unknown.toml"), "{e}");

    let negative = write_temp("neg.json", r#"{"kind": "flash", "width": -4, "layers": 2}"#);
    let e = ModelConfig::from_file(&negative).unwrap_err().to_string();
    assert!(e.contains("-4") && e.contains("neg.json"), "{e}");

    let zero = write_temp(
        "zero.json",
        r#"{"kind": "transformer++", "width": 64, "layers": 0}"#,
    );
    let e = ModelConfig::from_file(&zero).unwrap_err().to_string();
    assert!(e.contains("`layers`"), "{e}");
}

#[test]
fn score_and_linear_norm_are_read_and_written_by_their_names() {
    use flash::ir::{LinearNorm, ScoreFn};
    let file = write_temp(
        "names.toml",
        "kind = \"flash\"\nwidth = 64\nlayers = 2\nshared = 32\nscore = \"laplace\"\nlinear_norm = \"sum\"\n",
    );
    let cfg = ModelConfig::from_file(&file).unwrap();
    assert_eq!(
        (cfg.score, cfg.linear_norm),
        (ScoreFn::Laplace, LinearNorm::Sum)
    );
    let json = serde_json::to_string(&cfg).unwrap();
    assert!(json.contains(r#""score":"laplace""#) && json.contains(r#""linear_norm":"sum""#));
    let back: ModelConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cfg);
    let defaults = ModelConfig::new(ModelKind::Flash, 64, 2);
    assert_eq!(
        (defaults.score, defaults.linear_norm),
        (ScoreFn::Relu2, LinearNorm::Mean)
    );

    let bad = write_temp(
        "bad-score.json",
        r#"{"kind": "flash", "width": 64, "layers": 2, "score": "relu"}"#,
    );
    let e = ModelConfig::from_file(&bad).unwrap_err().to_string();
    assert!(
        e.contains("relu") && e.contains("`relu2`, `softmax`, `laplace`"),
        "{e}"
    );
}

#[test]
fn precision_is_read_and_written_by_its_name() {
    use flash::config::Precision;
    let file = write_temp(
        "bf16.toml",
        "kind = \"flash\"\nwidth = 64\nlayers = 2\nprecision = \"bf16\"\n",
    );
    let cfg = ModelConfig::from_file(&file).unwrap();
    assert_eq!(cfg.precision, Precision::Bf16);
    let json = serde_json::to_string(&cfg).unwrap();
    assert!(json.contains(r#""precision":"bf16""#), "{json}");
    assert_eq!(serde_json::from_str::<ModelConfig>(&json).unwrap(), cfg);
    assert_eq!(
        ModelConfig::new(ModelKind::Flash, 64, 2).precision,
        Precision::F32
    );
    let bad = write_temp(
        "fp16.toml",
        "kind = \"flash\"\nwidth = 64\nlayers = 2\nprecision = \"fp16\"\n",
    );
    let e = ModelConfig::from_file(&bad).unwrap_err().to_string();
    assert!(
        e.contains("fp16") && e.contains("`f32`, `bf16`") && e.contains("fp16.toml"),
        "{e}"
    );
}
