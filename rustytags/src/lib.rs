//! rusty_tags: HTML tags for Python with a Rust core.
//!
//! Modules: `escape` (text and attribute escaping), `attrs` (attribute names), `json`
//! (JSON attribute values), `node` (rendered HTML), `element` (the Python types),
//! `tags` (element names), `fastcall` (the tag callables; the only `unsafe`), `text`
//! (reading Python strings), `error` (errors, converted to Python at the boundary).
use pyo3::prelude::*;

mod attrs;
mod element;
mod error;
mod escape;
mod fastcall;
mod json;
mod node;
mod tags;
mod text;

#[pymodule]
fn _rusty_tags(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<element::Element>()?;
    m.add_function(wrap_pyfunction!(element::tag, m)?)?;
    m.add_function(wrap_pyfunction!(element::fragment, m)?)?;
    m.add_function(wrap_pyfunction!(element::raw, m)?)?;
    m.add_function(wrap_pyfunction!(json::datastar_json, m)?)?;
    m.add_function(wrap_pyfunction!(json::js_string, m)?)?;
    fastcall::add_tag_functions(m)?;
    let void = pyo3::types::PyFrozenSet::new(m.py(), tags::VOID)?;
    m.add("VOID_ELEMENTS", void)?;
    Ok(())
}
