//! JSON for attribute values (`data_signals={...}`), written straight from Python objects.
use std::fmt::Write as _;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::error::{Error, Result};
use crate::text::{py_str, type_name};

/// Nested containers deeper than this are refused (this also stops reference cycles).
pub const MAX_DEPTH: usize = 200;

/// Writes `s` as a JSON string literal, quotes included.
pub fn write_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut last = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(esc);
        }
        last = i + 1;
    }
    out.push_str(&s[last..]);
    out.push('"');
}

/// Writes a Python value as compact JSON (`{"a":1,"b":[true,null]}`), keeping dict order.
pub fn write_json(out: &mut String, obj: &Bound<'_, PyAny>, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::TooDeep {
            what: "JSON value",
            limit: MAX_DEPTH,
        });
    }
    if let Ok(s) = obj.cast::<PyString>() {
        write_json_str(out, py_str(s, "JSON string")?);
    } else if obj.is_none() {
        out.push_str("null");
    } else if let Ok(b) = obj.cast::<PyBool>() {
        out.push_str(if b.is_true() { "true" } else { "false" });
    } else if let Ok(i) = obj.cast::<PyInt>() {
        // int(x) so that IntEnum members and other subclasses give their number.
        let number = if obj.is_exact_instance_of::<PyInt>() {
            i.str()?
        } else {
            obj.py().get_type::<PyInt>().call1((obj,))?.str()?
        };
        out.push_str(py_str(&number, "JSON number")?);
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        if !v.is_finite() {
            return Err(Error::JsonNonFinite);
        }
        // Python's repr is the shortest text that reads back as the same float.
        let repr = obj.py().get_type::<PyFloat>().call1((v,))?.repr()?;
        out.push_str(py_str(&repr, "JSON number")?);
    } else if let Ok(d) = obj.cast::<PyDict>() {
        out.push('{');
        for (n, (k, v)) in d.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            let key = k.cast::<PyString>().map_err(|_| Error::JsonKey {
                type_name: type_name(&k),
            })?;
            write_json_str(out, py_str(key, "JSON object key")?);
            out.push(':');
            write_json(out, &v, depth + 1)?;
        }
        out.push('}');
    } else if let Ok(l) = obj.cast::<PyList>() {
        out.push('[');
        for (n, item) in l.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            write_json(out, &item, depth + 1)?;
        }
        out.push(']');
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        out.push('[');
        for (n, item) in t.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            write_json(out, &item, depth + 1)?;
        }
        out.push(']');
    } else {
        return Err(Error::JsonValue {
            type_name: type_name(obj),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        let mut out = String::new();
        write_json_str(&mut out, v);
        out
    }

    #[test]
    fn json_strings_are_quoted_and_escaped() {
        assert_eq!(s("plain"), "\"plain\"");
        assert_eq!(s("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(s("line\nnext\ttab"), "\"line\\nnext\\ttab\"");
        assert_eq!(s("\u{1}\0"), "\"\\u0001\\u0000\"");
        assert_eq!(s("ünï 🦀 </script>"), "\"ünï 🦀 </script>\"");
    }
}
