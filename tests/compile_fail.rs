//! Misuse the compiler must refuse, checked with trybuild against the
//! `.stderr` files next to each case in `tests/compile-fail/`.
//!
//! The expected errors are rustc's own wording, so a new toolchain may word
//! them differently: regenerate with `TRYBUILD=overwrite cargo test --test
//! compile_fail` and review the diff.

#[test]
fn misuse_does_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile-fail/*.rs");
}
