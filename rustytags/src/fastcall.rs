//! The tag callables (`Div`, `Span`, ...) as builtin functions using CPython's vectorcall
//! convention (`METH_FASTCALL | METH_KEYWORDS`).
//!
//! PyO3's `*args, **kwargs` handling packs positional arguments into a tuple and copies
//! keyword arguments into a new dict on every call; for a tag library that is most of
//! the cost of `Div("x", cls="a")`. Here the arguments are read straight from CPython's
//! argument array. This is the only module with `unsafe` code.
use std::ffi::{c_int, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::element::build;
use crate::tags::{self, kind_of, Kind};

/// One C entry point per tag: `call_tag::<I>` builds `specs()[I]`. The function's
/// `__self__` is the module, so the callables are plain builtin functions
/// (`<built-in function Div>`, picklable by name).
type TagFn = unsafe extern "C" fn(
    *mut ffi::PyObject,
    *const *mut ffi::PyObject,
    ffi::Py_ssize_t,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;

macro_rules! tag_fns {
    ($($i:literal)*) => { [$(call_tag::<$i> as TagFn,)*] };
}

static TAG_FNS: [TagFn; 192] = tag_fns!(
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32
        33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61
        62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90
        91 92 93 94 95 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113 114
        115 116 117 118 119 120 121 122 123 124 125 126 127 128 129 130 131 132 133 134 135 136
        137 138 139 140 141 142 143 144 145 146 147 148 149 150 151 152 153 154 155 156 157 158
        159 160 161 162 163 164 165 166 167 168 169 170 171 172 173 174 175 176 177 178 179 180
        181 182 183 184 185 186 187 188 189 190 191
);

const _: () = assert!(
    TAG_FNS.len() >= tags::HTML_TAGS.len() + tags::SVG_TAGS.len(),
    "add entries to TAG_FNS"
);

/// (tag name, kind) for every tag callable, in `TAG_FNS` order.
fn specs() -> &'static [(&'static str, Kind)] {
    static SPECS: OnceLock<Vec<(&'static str, Kind)>> = OnceLock::new();
    SPECS.get_or_init(|| {
        tags::HTML_TAGS
            .iter()
            .chain(tags::SVG_TAGS)
            .map(|(_, tag)| (*tag, kind_of(tag)))
            .collect()
    })
}

unsafe extern "C" fn call_tag<const I: usize>(
    _module: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls this with the METH_FASTCALL | METH_KEYWORDS contract, which
    // `call_tag_entry` requires too.
    unsafe { call_tag_entry(I, args, nargs, kwnames) }
}

/// # Safety
///
/// Must be called by CPython as a METH_FASTCALL | METH_KEYWORDS function: `nargs`
/// positional arguments in `args`, followed by one value per name in `kwnames` (a tuple
/// of str, or NULL), all borrowed references valid during the call.
unsafe fn call_tag_entry(
    index: usize,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython only calls a builtin function from a thread attached to the
    // interpreter (holding the GIL), for the duration of this call.
    let py = unsafe { Python::assume_attached() };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller's contract, passed on.
        unsafe { call_tag_impl(py, index, args, nargs, kwnames) }
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
/// As for `call_tag_entry`.
unsafe fn call_tag_impl<'py>(
    py: Python<'py>,
    index: usize,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> PyResult<Bound<'py, PyAny>> {
    let (name, kind) = specs()[index];
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
        Some(names) => build(name, kind, children, names.iter_borrowed().zip(values))?,
        None => build(name, kind, children, std::iter::empty())?,
    };
    Ok(Bound::new(py, element)?.into_any())
}

/// Adds every tag callable (`Div`, `Span`, ..., `Svg`, ...) to `module`.
pub fn add_tag_functions(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    let module_name = module.name()?;
    let all = tags::HTML_TAGS.iter().chain(tags::SVG_TAGS).enumerate();
    for (index, (py_name, tag)) in all {
        let doc = format!(
            "{py_name}(*children, **attrs)\n--\n\nBuilds a <{tag}> element (see rusty_tags.Tag)."
        );
        let name = CString::new(*py_name).expect("tag names have no NUL");
        let doc = CString::new(doc).expect("tag names have no NUL");
        // The method definition must outlive the function object: one small leak per
        // tag per module initialisation.
        let def = Box::leak(Box::new(ffi::PyMethodDef {
            ml_name: name.into_raw(),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunctionFastWithKeywords: TAG_FNS[index],
            },
            ml_flags: (ffi::METH_FASTCALL | ffi::METH_KEYWORDS) as c_int,
            ml_doc: doc.into_raw(),
        }));
        // SAFETY: `def` is a valid, leaked ('static) method definition; `module` and
        // `module_name` are live objects, which the new function keeps references to.
        let func = unsafe {
            let func = ffi::PyCFunction_NewEx(def, module.as_ptr(), module_name.as_ptr());
            Bound::from_owned_ptr_or_err(py, func)?
        };
        module.add(*py_name, func)?;
    }
    Ok(())
}
