//! The tag callables (`Div`, `Span`, ...) as builtin functions using CPython's vectorcall
//! convention (`METH_FASTCALL | METH_KEYWORDS`).
//!
//! PyO3's `*args, **kwargs` handling packs positional arguments into a tuple and copies
//! keyword arguments into a new dict on every call; for a tag library that is most of
//! the cost of `Div("x", cls="a")`. Here the arguments are read straight from CPython's
//! argument array. This is the only module with `unsafe` code.
use std::ffi::{c_int, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::element::{build, TagSpec};

/// The C entry point of every tag callable. `slf` is the function's `TagSpec`.
unsafe extern "C" fn call_tag(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython only calls a builtin function from a thread attached to the
    // interpreter (holding the GIL), for the duration of this call.
    let py = unsafe { Python::assume_attached() };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: for METH_FASTCALL | METH_KEYWORDS, CPython passes the function's
        // `__self__` (a live `TagSpec`, see `tag_function`), `nargs` positional arguments
        // followed by one value per name in `kwnames` (a tuple of str, or NULL), all
        // borrowed references valid during the call.
        unsafe { call_tag_impl(py, slf, args, nargs, kwnames) }
    }));
    let result = match outcome {
        Ok(result) => result,
        Err(_) => Err(PyRuntimeError::new_err(
            "rusty_tags: internal error (panic)",
        )),
    };
    match result {
        Ok(element) => element.into_ptr(),
        Err(err) => {
            err.restore(py);
            std::ptr::null_mut()
        }
    }
}

/// # Safety
///
/// The arguments must follow the `METH_FASTCALL | METH_KEYWORDS` contract described in
/// `call_tag`, with `slf` a `TagSpec`.
unsafe fn call_tag_impl<'py>(
    py: Python<'py>,
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `slf` is a borrowed reference to a live object (the caller's contract).
    let slf = unsafe { Borrowed::from_ptr(py, slf) };
    let spec = slf.cast::<TagSpec>()?.get();
    let nargs = usize::try_from(nargs).unwrap_or(0);
    let names = if kwnames.is_null() {
        None
    } else {
        // SAFETY: a non-NULL `kwnames` is a borrowed reference to a tuple of str.
        Some(unsafe { Borrowed::from_ptr(py, kwnames) }.cast::<PyTuple>()?)
    };
    let nkw = names.as_ref().map_or(0, |n| n.len());
    let all: &[*mut ffi::PyObject] = if nargs + nkw == 0 {
        &[]
    } else {
        // SAFETY: `args` points to `nargs + len(kwnames)` valid object pointers.
        unsafe { std::slice::from_raw_parts(args, nargs + nkw) }
    };
    // SAFETY (both closures): every pointer in `all` is a borrowed reference valid for
    // the duration of the call.
    let children = all[..nargs]
        .iter()
        .map(|&p| unsafe { Borrowed::from_ptr(py, p) });
    let values = all[nargs..]
        .iter()
        .map(|&p| unsafe { Borrowed::from_ptr(py, p) });
    let element = match &names {
        Some(names) => build(
            &spec.name,
            spec.kind,
            children,
            names.iter_borrowed().zip(values),
        )?,
        None => build(&spec.name, spec.kind, children, std::iter::empty())?,
    };
    Ok(Bound::new(py, element)?.into_any())
}

/// Creates the builtin function `py_name` that builds `<tag>` elements.
pub fn tag_function<'py>(
    module: &Bound<'py, PyModule>,
    py_name: &str,
    tag: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let py = module.py();
    let spec = Bound::new(py, TagSpec::new(tag))?;
    let doc = format!(
        "{py_name}(*children, **attrs)\n--\n\nBuilds a <{tag}> element (see rusty_tags.Tag)."
    );
    let name = CString::new(py_name).expect("tag names have no NUL");
    let doc = CString::new(doc).expect("tag names have no NUL");
    // The method definition must outlive the function object; one small leak per tag
    // per module initialisation.
    let def = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: name.into_raw(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFastWithKeywords: call_tag,
        },
        ml_flags: (ffi::METH_FASTCALL | ffi::METH_KEYWORDS) as c_int,
        ml_doc: doc.into_raw(),
    }));
    let module_name = module.name()?;
    // SAFETY: `def` is a valid, leaked ('static) method definition; `spec` and
    // `module_name` are live objects, which the new function keeps references to.
    unsafe {
        let func = ffi::PyCFunction_NewEx(def, spec.as_ptr(), module_name.as_ptr());
        Bound::from_owned_ptr_or_err(py, func)
    }
}
