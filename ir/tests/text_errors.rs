//! Malformed IR text: one test per error kind, each checking the reported line, column and
//! message.

use flash_ir::{parse_graph, ParseError};

/// A graph whose line 2 defines `%x : f32[2,3]`; `body` starts on line 3, column 1.
fn graph(body: &str) -> String {
    format!("graph @main {{\n  %x = parameter {{index = 0, name = \"x\"}} : f32[2,3]\n{body}\n}}\n")
}

/// Parses `text`, expecting an error at `line:col` whose message contains `needle`.
fn check(text: &str, line: usize, col: usize, needle: &str) -> ParseError {
    let e = parse_graph(text).expect_err("the text should not parse");
    assert_eq!((e.line, e.col), (line, col), "{e}");
    assert!(
        e.message.contains(needle),
        "message {:?} lacks {needle:?}",
        e.message
    );
    e
}

#[test]
fn error_displays_as_line_col_message() {
    let e = check(
        &graph("%y = frobnicate(%x) : f32[2,3]\nreturn %y"),
        3,
        6,
        "unknown op",
    );
    assert_eq!(e.to_string(), "3:6: unknown op `frobnicate`");
}

#[test]
fn empty_input() {
    check("", 1, 1, "expected `graph`, found end of input");
}

#[test]
fn unexpected_end_of_input() {
    check(
        "graph @g {\n  %x = parameter",
        2,
        17,
        "expected `:`, found end of input",
    );
}

#[test]
fn unknown_op() {
    check(
        &graph("%y = frobnicate(%x) : f32[2,3]\nreturn %y"),
        3,
        6,
        "unknown op `frobnicate`",
    );
}

#[test]
fn unknown_attribute() {
    check(
        &graph("%y = neg(%x) {foo = 1} : f32[2,3]\nreturn %y"),
        3,
        15,
        "unknown attribute `foo` of `neg`",
    );
}

#[test]
fn missing_attribute() {
    let text = graph("%y = cumsum(%x) {dim = 1, reverse = false} : f32[2,3]\nreturn %y");
    check(&text, 3, 6, "missing attribute `exclusive` of `cumsum`");
}

#[test]
fn duplicate_attribute() {
    check(
        &graph("%y = iota {dim = 0, dim = 1} : i32[2]\nreturn %y"),
        3,
        21,
        "duplicate attribute `dim`",
    );
}

#[test]
fn bad_number() {
    check(
        &graph("%c = constant {value = splat(1.5x)} : f32[]\nreturn %c"),
        3,
        30,
        "bad number `1.5x`",
    );
}

#[test]
fn bad_number_with_empty_exponent() {
    check(
        &graph("%c = constant {value = splat(2e)} : f32[]\nreturn %c"),
        3,
        30,
        "bad number `2e`",
    );
}

#[test]
fn integer_out_of_range() {
    let text = graph("%y = reshape(%x) {shape = [6, 99999999999]} : f32[6]\nreturn %y");
    check(&text, 3, 31, "integer `99999999999` is out of range");
}

#[test]
fn float_where_an_integer_is_expected() {
    check(
        &graph("%y = iota {dim = 1.0} : i32[2,3]\nreturn %y"),
        3,
        18,
        "expected an integer, found `1.0`",
    );
}

#[test]
fn negative_where_a_size_is_expected() {
    let text = graph("%y = iota {dim = -1} : i32[2,3]\nreturn %y");
    check(&text, 3, 18, "expected a non-negative integer, found `-1`");
}

#[test]
fn unknown_enum_name() {
    let text = graph("%y = compare(%x, %x) {dir = less} : bool[2,3]\nreturn %y");
    check(
        &text,
        3,
        29,
        "expected one of eq, ne, lt, le, gt, ge, found `less`",
    );
}

#[test]
fn bad_literal() {
    check(
        &graph("%c = constant {value = 3} : f32[]\nreturn %c"),
        3,
        24,
        "expected `splat(x)` or `dense([x, ...])`",
    );
}

#[test]
fn unterminated_string() {
    let text = "graph @g {\n  %x = parameter {index = 0, name = \"x} : f32[2]\n  return %x\n}";
    check(text, 2, 37, "unterminated string");
}

#[test]
fn bad_escape() {
    let text =
        "graph @g {\n  %x = parameter {index = 0, name = \"a\\qb\"} : f32[2]\n  return %x\n}";
    check(text, 2, 39, "bad escape `\\q`");
}

#[test]
fn bad_unicode_escape() {
    let text =
        "graph @g {\n  %x = parameter {index = 0, name = \"\\u{d800}\"} : f32[2]\n  return %x\n}";
    check(text, 2, 38, "bad escape `\\u{d800`");
}

#[test]
fn unexpected_character() {
    check(
        &graph("%y = neg(%x) $ : f32[2,3]\nreturn %y"),
        3,
        14,
        "unexpected character '$'",
    );
}

#[test]
fn empty_value_name() {
    check(
        &graph("%y = neg(%) : f32[2,3]\nreturn %y"),
        3,
        10,
        "expected a value name after `%`",
    );
}

#[test]
fn undefined_value() {
    check(
        &graph("%y = neg(%z) : f32[2,3]\nreturn %y"),
        3,
        10,
        "undefined value `%z`",
    );
}

#[test]
fn undefined_output() {
    check(&graph("return %x, %nope"), 3, 12, "undefined value `%nope`");
}

#[test]
fn use_before_definition_in_the_same_node() {
    check(
        &graph("%y = neg(%y) : f32[2,3]\nreturn %y"),
        3,
        10,
        "undefined value `%y`",
    );
}

#[test]
fn redefined_value() {
    check(
        &graph("%x = neg(%x) : f32[2,3]\nreturn %x"),
        3,
        1,
        "value `%x` is already defined at 2:3",
    );
}

#[test]
fn wrong_operand_count() {
    check(
        &graph("%y = add(%x) : f32[2,3]\nreturn %y"),
        3,
        6,
        "`add` expects 2 operand(s), got 1",
    );
}

#[test]
fn operands_on_a_nullary_op() {
    let text = graph("%y = iota(%x) {dim = 0} : i32[2]\nreturn %y");
    check(&text, 3, 6, "`iota` expects 0 operand(s), got 1");
}

#[test]
fn type_mismatch() {
    let text = graph("%y = neg(%x) : f32[3,2]\nreturn %y");
    check(
        &text,
        3,
        16,
        "type mismatch: `neg` is written as f32[3,2] but inferred as f32[2,3]",
    );
}

#[test]
fn unknown_dtype() {
    check(
        &graph("%y = neg(%x) : f33[2,3]\nreturn %y"),
        3,
        16,
        "unknown dtype `f33`",
    );
}

#[test]
fn type_with_too_many_elements() {
    let text = graph("%y = parameter {index = 1, name = \"y\"} : f32[2147483647,2147483647,2147483647]\nreturn %y");
    check(&text, 3, 42, "the largest tensor StableHLO and XLA accept");
}

#[test]
fn type_whose_bytes_overflow_int64_is_refused() {
    // About 2^64 elements: the count fits in a usize, its f32 bytes not in XLA's int64.
    let text =
        graph("%y = parameter {index = 1, name = \"y\"} : f32[2147483647,2147483647,4]\nreturn %y");
    check(&text, 3, 42, "(73786976226118729744 bytes)");
}

#[test]
fn reshape_shape_with_too_many_elements() {
    let text = graph(
        "%y = reshape(%x) {shape = [2147483647, 2147483647, 2147483647]} : f32[6]\nreturn %y",
    );
    check(&text, 3, 27, "has too many elements");
}

#[test]
fn constraint_failure_includes_the_ir_error() {
    let text = graph("%y = reshape(%x) {shape = [4]} : f32[4] loc(\"m.rs\":7:3)\nreturn %y");
    check(
        &text,
        3,
        6,
        "reshape at m.rs:7:3: C1: cannot reshape f32[2,3] (6 elements) to [4]",
    );
}

#[test]
fn scatter_add_updates_of_the_wrong_shape_cite_c3() {
    let text = graph(
        "%i = parameter {index = 1, name = \"i\"} : i32[4]\n\
         %u = parameter {index = 2, name = \"u\"} : f32[4,2]\n\
         %y = scatter_add(%x, %i, %u) : f32[2,3]\nreturn %y",
    );
    check(&text, 5, 6, "C3: updates must be f32[4,3], got f32[4,2]");
}

#[test]
fn scatter_add_float_indices_cite_c1() {
    let text = graph(
        "%i = parameter {index = 1, name = \"i\"} : f32[4]\n\
         %u = parameter {index = 2, name = \"u\"} : f32[4,3]\n\
         %y = scatter_add(%x, %i, %u) : f32[2,3]\nreturn %y",
    );
    check(&text, 5, 6, "C1: indices must be i32 or i64");
}

#[test]
fn dense_literal_of_the_wrong_length() {
    let text = graph("%c = constant {value = dense([1.0, 2.0])} : f32[3]\nreturn %c");
    check(
        &text,
        3,
        6,
        "C1: dense literal has 2 values but f32[3] has 3",
    );
}

#[test]
fn nesting_too_deep() {
    let text = graph(&format!("%c = constant {{value = {}", "[".repeat(40)));
    check(&text, 3, 24 + 33, "nested more than 32 deep");
}

#[test]
fn missing_return() {
    check(
        "graph @g {\n}",
        2,
        1,
        "expected a node (`%name = ...`) or `return`, found `}`",
    );
}

#[test]
fn malformed_alias() {
    check(
        &graph("return %x\nalias param 0 output 0"),
        4,
        15,
        "expected `->`, found `output`",
    );
}

#[test]
fn node_after_return() {
    check(
        &graph("return %x\n%y = neg(%x) : f32[2,3]"),
        4,
        1,
        "expected `alias`, `bound`, `mesh`, `shard` or `}`, found `%y`",
    );
}

#[test]
fn bad_location_line() {
    let text = graph("%y = neg(%x) : f32[2,3] loc(\"a.rs\":-1:2)\nreturn %y");
    check(&text, 3, 36, "expected a line number (a u32), found `-1`");
}

#[test]
fn trailing_garbage() {
    let text = format!("{} extra", graph("return %x"));
    check(&text, 5, 2, "unexpected `extra` after the end of the graph");
}

#[test]
fn family_names_are_not_ops() {
    for family in ["unary", "binary"] {
        let text = graph(&format!("%y = {family}(%x) : f32[2,3]\nreturn %y"));
        check(&text, 3, 6, "unknown op");
    }
}

#[test]
fn dynamic_slice_constraints() {
    let i = "%i = constant {value = splat(0)} : i32[]\n";
    let f = "%f = constant {value = splat(0.0)} : f32[]\n";
    let text = graph(&format!(
        "{i}%y = dynamic_slice(%x, %i) {{sizes = [1, 1]}} : f32[1,1]\nreturn %y"
    ));
    check(&text, 4, 6, "C1");
    let text = graph(&format!(
        "{i}{f}%y = dynamic_slice(%x, %i, %f) {{sizes = [1, 1]}} : f32[1,1]\nreturn %y"
    ));
    check(&text, 5, 6, "integer scalars");
    let text = graph(&format!(
        "{i}%y = dynamic_slice(%x, %i, %i) {{sizes = [3, 1]}} : f32[3,1]\nreturn %y"
    ));
    check(&text, 4, 6, "C2");
    let text = graph(&format!(
        "{i}%y = dynamic_update_slice(%x, %x, %i) : f32[2,3]\nreturn %y"
    ));
    check(&text, 4, 6, "C2");
}

#[test]
fn sharding_constraint_of_the_wrong_rank_cites_c1() {
    let text = graph("%y = sharding_constraint(%x) {sharding = [{data}]} : f32[2,3]\nreturn %y");
    check(
        &text,
        3,
        6,
        "C1: sharding [{data}] has 1 dimension(s) but the operand f32[2,3] has rank 2",
    );
}

#[test]
fn malformed_sharding_attribute() {
    let text = graph("%y = sharding_constraint(%x) {sharding = [data, {}]} : f32[2,3]\nreturn %y");
    check(
        &text,
        3,
        43,
        "expected the axes of one dimension `{axis, ...}`, found `data`",
    );
    let text = graph("%y = sharding_constraint(%x) {sharding = [{1}, {}]} : f32[2,3]\nreturn %y");
    check(&text, 3, 44, "expected a mesh axis name, found `1`");
}

#[test]
fn malformed_mesh_and_shard_lines() {
    check(
        &graph("return %x\nmesh data=0"),
        4,
        1,
        "bad mesh: mesh axis `data` has size 0",
    );
    check(
        &graph("return %x\nmesh data=2, data=2"),
        4,
        1,
        "appears twice",
    );
    check(
        &graph("return %x\nmesh data=two"),
        4,
        11,
        "expected a mesh axis size",
    );
    check(
        &graph("return %x\nshard input 0 [{}]"),
        4,
        7,
        "expected `param` or `result`",
    );
    check(
        &graph("return %x\nshard param 0 {data}"),
        4,
        15,
        "expected a sharding",
    );
    let twice = "return %x\nmesh a=2\nshard param 0 [{a}, {}]\nshard param 0 [{}, {}]";
    check(&graph(twice), 6, 7, "parameter 0 is sharded twice");
    check(
        &graph("return %x\nshard param 0 [{}, {}]\nmesh a=2"),
        5,
        1,
        "`shard` or `}`",
    );
}

#[test]
fn an_integer_literal_beyond_2_pow_53_is_refused_as_written() {
    let at_limit = graph("%c = constant {value = splat(-9007199254740992)} : i64[]\nreturn %c");
    assert!(parse_graph(&at_limit).is_ok());
    for n in [
        "9007199254740993",
        "9223372036854775807",
        "-99999999999999999999",
    ] {
        let text = graph(&format!(
            "%c = constant {{value = dense([1, {n}])}} : i64[2]\nreturn %c"
        ));
        let e = check(&text, 3, 34, "is out of range");
        assert!(e.message.contains(&format!("`{n}`")), "{e}");
    }
}

#[test]
fn a_float_literal_beyond_f64_is_refused_not_made_infinite() {
    let e = check(
        &graph("%c = constant {value = splat(1e400)} : f32[]\nreturn %c"),
        3,
        30,
        "`1e400` is out of range",
    );
    assert!(e.message.contains("inf"), "{e}");
}
