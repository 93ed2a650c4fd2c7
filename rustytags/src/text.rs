//! Small helpers for reading Python strings.
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::error::{Error, Result};

/// Borrows a Python `str` as UTF-8. A lone surrogate has no UTF-8 form: that is a
/// `ValueError` naming `what`, never mangled output.
#[inline]
pub fn py_str<'a>(s: &'a Bound<'_, PyString>, what: &'static str) -> Result<&'a str> {
    s.to_str().map_err(|_| Error::Surrogate { what })
}

/// The qualified name of an object's type, for error messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .fully_qualified_name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}
