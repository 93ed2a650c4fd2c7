//! JSON for attribute values (`data_signals={...}`), written straight from Python objects.
use std::fmt::Write as _;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::error::{Error, Result};
use crate::text::{py_str, type_name};

/// Nested containers deeper than this are refused (this also stops reference cycles).
pub const MAX_DEPTH: usize = 200;

/// Writes `s` as a string literal that is valid JSON and valid JavaScript, and that
/// Datastar's expression compiler leaves alone, quotes included.
///
/// Datastar compiles every `data-*` value (`data-signals` included) as JavaScript after
/// rewriting it: `@name(` becomes an action call and its escape markers (`🖕JS_` ...
/// `_DS🚀`) are put back by name, and both rewrites also act inside string literals.
/// Its statement splitter cuts at `;` where it misreads a string ending in `\\`.
/// So besides what JSON requires, `@`, `$`, backticks, `;`, both quotes and every
/// non-ASCII character are written as `\uXXXX` escapes: the text the browser decodes is
/// byte-for-byte the original, and nothing in it can reach the compiler. `<` is escaped
/// too, so the text can also sit inside a `<script>` without closing it.
pub fn write_js_str(out: &mut String, s: &str, quote: char) {
    out.push(quote);
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '"' if quote == '"' => "\\\"",
            '"' | '\'' | '@' | '$' | '`' | ';' | '<' => "",
            ' '..='~' => continue,
            _ => "",
        };
        out.push_str(&s[last..i]);
        if esc.is_empty() {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{:04x}", unit);
            }
        } else {
            out.push_str(esc);
        }
        last = i + c.len_utf8();
    }
    out.push_str(&s[last..]);
    out.push(quote);
}

/// Writes `s` as a JSON string literal (see [`write_js_str`] for what is escaped).
#[inline]
pub fn write_json_str(out: &mut String, s: &str) {
    write_js_str(out, s, '"');
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

/// `datastar_json(value)`: compact JSON for a `data-signals` attribute or a
/// `datastar-patch-signals` event, safe from Datastar's expression rewrites.
#[pyfunction]
#[pyo3(signature = (value, /))]
pub fn datastar_json(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut out = String::new();
    write_json(&mut out, value, 0)?;
    Ok(out)
}

/// `js_string(text)`: a single-quoted JavaScript string literal for text placed inside
/// a Datastar expression (`@get(...)` URLs, ids), safe from its rewrites.
#[pyfunction]
#[pyo3(signature = (text, /))]
pub fn js_string(text: &Bound<'_, PyString>) -> PyResult<String> {
    let mut out = String::with_capacity(text.len()? + 2);
    write_js_str(&mut out, py_str(text, "JavaScript string")?, '\'');
    Ok(out)
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
        assert_eq!(
            s("ü🦀</a>&"),
            "\"\\u00fc\\ud83e\\udd80\\u003c/a>&\""
        );
    }

    #[test]
    fn datastar_rewrites_find_nothing_to_rewrite() {
        // `@name(`, `$signal`, template literals, statement ends, the escape markers.
        assert_eq!(
            s("@post($x);`"),
            "\"\\u0040post(\\u0024x)\\u003b\\u0060\""
        );
        assert_eq!(s("🖕JS_"), "\"\\ud83d\\udd95JS_\"");
        assert_eq!(s("it's"), "\"it\\u0027s\"");
        assert_eq!(s("\u{2028}"), "\"\\u2028\"");
    }

    #[test]
    fn single_quoted_strings_escape_the_double_quote_too() {
        let mut out = String::new();
        write_js_str(&mut out, "a'b\"c", '\'');
        assert_eq!(out, "'a\\u0027b\\u0022c'");
    }
}
