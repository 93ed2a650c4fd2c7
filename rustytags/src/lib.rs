//! rusty_tags: HTML tags for Python with a Rust core.
use pyo3::prelude::*;

#[pymodule]
fn _rusty_tags(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
