//! What `#[subscriber]` accepts and what it refuses.
//!
//! The accepted cases are modules of this test, built with the rest of the suite and run
//! below. The refused ones are pinned with trybuild: each `.stderr` is the exact message
//! a user sees. With no case to build and run, trybuild only type-checks, instead of
//! building every dependency again for its own project.

#[path = "ui/pass/all_options.rs"]
#[allow(dead_code, unreachable_pub, private_interfaces)]
mod all_options;
#[path = "ui/pass/kv_watch.rs"]
#[allow(dead_code, unreachable_pub, private_interfaces)]
mod kv_watch;
#[path = "ui/pass/optional_path_and_direct_call.rs"]
#[allow(dead_code, unreachable_pub, private_interfaces)]
mod optional_path_and_direct_call;
#[path = "ui/pass/publishers.rs"]
#[allow(dead_code, unreachable_pub, private_interfaces)]
mod publishers;

#[test]
fn subscriber_macro_accepts() {
    all_options::main();
    kv_watch::main();
    optional_path_and_direct_call::main();
    publishers::main();
}

#[test]
fn subscriber_macro_refuses() {
    trybuild::TestCases::new().compile_fail("ui/fail/*.rs");
}
