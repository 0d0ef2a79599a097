//! Compile-time errors of `#[subscriber]`, pinned with trybuild: each `.stderr` is the
//! exact message a user sees.

#[test]
fn subscriber_macro() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
