//! Errors raised while building HTML. They stay Rust values until the Python boundary,
//! where `From<Error> for PyErr` turns them into `TypeError` or `ValueError`.
use std::fmt;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::PyErr;

/// Everything that can go wrong while turning Python values into HTML.
#[derive(Debug)]
pub enum Error {
    /// An attribute name that would break the markup (space, quote, `=`, `>`, ...).
    AttrName { name: String, reason: &'static str },
    /// A tag name given to `Tag()` that is not a valid element name.
    TagName { name: String },
    /// A string with a lone surrogate: it has no UTF-8 form.
    Surrogate { what: &'static str },
    /// A child of a type that has no HTML meaning.
    Child { type_name: String },
    /// `True` as a child: almost always a bug such as `cond or Div()`.
    TrueChild,
    /// An attribute value of a type that has no HTML meaning.
    AttrValue { name: String, type_name: String },
    /// Children given to a void element such as `<input>`.
    VoidChildren { tag: String },
    /// The same attribute twice after name translation (`cls=` and `class_=`).
    DuplicateAttr { name: String },
    /// Lists or JSON nested deeper than the limit.
    TooDeep { what: &'static str, limit: usize },
    /// A JSON object key that is not a string.
    JsonKey { type_name: String },
    /// A value with no JSON form.
    JsonValue { type_name: String },
    /// NaN or infinity: not valid JSON.
    JsonNonFinite,
    /// Text that would end a `<script>`/`<style>` element early.
    RawText { tag: String, found: String },
    /// A `<script>`/`<style>` holding `<` inside `<svg>`/`<math>`, where it is not raw
    /// text and the `<` would be read as markup.
    ForeignRawText { tag: String, inner: String },
    /// A Python exception raised by user code we called (an iterator, `__html__`).
    Py(PyErr),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::AttrName { name, reason } => {
                write!(f, "invalid attribute name {name:?}: {reason}")
            }
            Error::TagName { name } => write!(
                f,
                "invalid tag name {name:?}: use an ASCII letter followed by letters, digits, \
                 '-', '_', '.' or ':'"
            ),
            Error::Surrogate { what } => write!(
                f,
                "{what} contains a lone surrogate (U+D800..U+DFFF), which cannot be encoded \
                 as UTF-8"
            ),
            Error::Child { type_name } => write!(
                f,
                "unsupported child of type {type_name:?}: expected str, int, float, None, \
                 False, an element, an object with __html__, or a list, tuple or generator \
                 of those"
            ),
            Error::TrueChild => write!(
                f,
                "True is not a valid child (None and False are skipped, True has no \
                 meaning): pass a string if you want the text \"True\""
            ),
            Error::AttrValue { name, type_name } => write!(
                f,
                "unsupported value of type {type_name:?} for attribute {name:?}: expected \
                 str, int, float, bool, None, dict, list or tuple"
            ),
            Error::VoidChildren { tag } => {
                write!(f, "<{tag}> is a void element and cannot have children")
            }
            Error::DuplicateAttr { name } => write!(
                f,
                "attribute {name:?} is given more than once (after translating names such as \
                 cls/class_/klass)"
            ),
            Error::TooDeep { what, limit } => {
                write!(f, "{what} nested more than {limit} levels deep")
            }
            Error::JsonKey { type_name } => {
                write!(f, "JSON object keys must be str, not {type_name:?}")
            }
            Error::JsonValue { type_name } => write!(
                f,
                "value of type {type_name:?} is not JSON serializable: expected str, int, \
                 float, bool, None, dict, list or tuple"
            ),
            Error::JsonNonFinite => write!(f, "NaN and infinity are not valid JSON"),
            Error::RawText { tag, found } => write!(
                f,
                "text inside <{tag}> must not contain {found:?}: it would end the element \
                 early; <{tag}> content is not escaped"
            ),
            Error::ForeignRawText { tag, inner } => write!(
                f,
                "<{inner}> inside <{tag}> holds '<': in SVG and MathML <{inner}> content is \
                 parsed as markup, not raw text, so it could end the <{tag}>; move the \
                 <{inner}> out of the <{tag}> or write its text without '<'"
            ),
            Error::Py(err) => write!(f, "{err}"),
        }
    }
}

impl From<PyErr> for Error {
    fn from(err: PyErr) -> Self {
        Error::Py(err)
    }
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        match err {
            Error::Py(err) => err,
            Error::Child { .. }
            | Error::TrueChild
            | Error::AttrValue { .. }
            | Error::JsonKey { .. }
            | Error::JsonValue { .. } => PyTypeError::new_err(err.to_string()),
            _ => PyValueError::new_err(err.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
