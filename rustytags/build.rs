//! `cargo test` links the test binary against libpython (the wheel build, with the
//! `extension-module` feature, does not). Record libpython's directory as the binary's
//! rpath so `cargo test` runs without `LD_LIBRARY_PATH`, whatever Python PyO3 found.
fn main() {
    println!("cargo:rerun-if-env-changed=CARGO_FEATURE_EXTENSION_MODULE");
    if std::env::var_os("CARGO_FEATURE_EXTENSION_MODULE").is_none() {
        pyo3_build_config::add_libpython_rpath_link_args();
    }
}
