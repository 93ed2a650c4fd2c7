//! The Python-facing types: `Element` (rendered HTML), the `Tag`, `Fragment` and `Raw`
//! constructors, and `build`, which the tag callables in `fastcall.rs` share.
use std::hash::{Hash, Hasher};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyIterator, PyList, PyString, PyTuple};

use crate::attrs;
use crate::error::{Error, Result};
use crate::escape::{check_end_tag, check_raw_text, escape_attr, escape_text, push_raw_text};
use crate::json::write_json;
use crate::node::{Builder, Html};
use crate::tags::{kind_of, valid_tag_name, Kind};
use crate::text::{py_str, type_name};

/// Lists, tuples and generators nested deeper than this are refused.
pub const MAX_CHILD_DEPTH: usize = 256;

/// A piece of rendered HTML: what every tag, `Fragment` and `Raw` returns.
#[pyclass(frozen, module = "rusty_tags", name = "Element")]
pub struct Element {
    node: Html,
    /// Where the `<script>`/`<style>` holding `<` is, when this element contains one
    /// outside an HTML integration point: such an element must not go inside
    /// `<svg>`/`<math>`, where that text is parsed as markup.
    raw_lt: Option<&'static str>,
}

impl Element {
    fn new(node: Html) -> Element {
        Element { node, raw_lt: None }
    }

    fn to_py<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        match self.node.as_flat() {
            Some(flat) => PyString::new(py, flat),
            None => PyString::new(py, &self.node.render()),
        }
    }
}

#[pymethods]
impl Element {
    fn __html__<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        self.to_py(py)
    }

    fn __str__<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        self.to_py(py)
    }

    fn render<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        self.to_py(py)
    }

    fn _repr_html_<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        self.to_py(py)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        const SHOWN: usize = 200;
        let text = self.node.render();
        let text = match text.char_indices().nth(SHOWN) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text,
        };
        Ok(format!("Element({})", PyString::new(py, &text).repr()?))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Element>() {
            Ok(other) => {
                let other = &other.get().node;
                self.node.len() == other.len() && self.node.render() == other.render()
            }
            Err(_) => false,
        }
    }

    /// Pickles as `Raw(html)`: the HTML is already rendered and escaped.
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyString>,))> {
        let raw = py.import("rusty_tags._rusty_tags")?.getattr("Raw")?;
        Ok((raw, (self.to_py(py),)))
    }

    fn __hash__(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.node.render().hash(&mut h);
        h.finish()
    }
}

/// Builds one element: start tag with attributes, children, end tag.
///
/// `children` and `attributes` are borrowed so that the fast-call entry point can pass
/// CPython's argument array without building a tuple and a dict.
pub(crate) fn build<'a, 'py>(
    name: &str,
    kind: Kind,
    children: impl ExactSizeIterator<Item = Borrowed<'a, 'py, PyAny>> + Clone,
    attributes: impl Iterator<Item = (Borrowed<'a, 'py, PyAny>, Borrowed<'a, 'py, PyAny>)>,
) -> Result<Element> {
    let mut b = Builder::new();
    b.buf.push('<');
    b.buf.push_str(name);
    let mut seen = Seen::new();
    for (key, value) in attributes {
        write_attr(&mut b.buf, &mut seen, &key, &value)?;
    }
    b.buf.push('>');
    if kind == Kind::Void {
        if children.len() != 0 {
            return Err(Error::VoidChildren {
                tag: name.to_owned(),
            });
        }
        return Ok(Element::new(b.finish()));
    }
    if children.len() >= 4 {
        // Size the buffer once for elements with many children (a table body).
        let size: usize = children
            .clone()
            .map(|c| {
                c.cast_exact::<Element>()
                    .map_or(16, |e| e.get().node.copied_len())
            })
            .sum();
        b.reserve(size + name.len() + 3);
    }
    let content = b.buf.len();
    for child in children {
        push_child(&mut b, &child, kind, name, 0)?;
    }
    if kind.leading_newline() && b.starts_with_at(content, "\n") {
        b.insert_str(content, "\n");
    }
    let raw_lt = foreign_check(&b, kind, name, content)?;
    b.buf.push_str("</");
    b.buf.push_str(name);
    b.buf.push('>');
    let mut element = Element::new(b.finish());
    element.raw_lt = raw_lt;
    Ok(element)
}

fn raw_text_name(tag: &str) -> &'static str {
    if tag.eq_ignore_ascii_case("script") {
        "script"
    } else {
        "style"
    }
}

/// The `raw_lt` mark of a new element (see [`Element::raw_lt`]); an error for
/// `<svg>`/`<math>` around a raw-text element holding `<`.
fn foreign_check(
    b: &Builder,
    kind: Kind,
    name: &str,
    content: usize,
) -> Result<Option<&'static str>> {
    if kind == Kind::RawText {
        let has_lt = b.buf[content..].contains('<') || b.raw_lt.is_some();
        return Ok(has_lt.then(|| raw_text_name(name)));
    }
    let Some(inner) = b.raw_lt else {
        return Ok(None);
    };
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "svg" | "math" => Err(Error::ForeignRawText {
            tag: lower,
            inner: inner.to_owned(),
        }),
        // HTML integration points: their content is parsed as HTML again.
        "foreignobject" | "desc" | "title" | "annotation-xml" => Ok(None),
        _ => Ok(Some(inner)),
    }
}

/// Offsets of the attribute names written so far, to refuse duplicates.
struct Seen {
    inline: [(u32, u32); 8],
    count: usize,
    more: Vec<(u32, u32)>,
}

impl Seen {
    fn new() -> Seen {
        Seen {
            inline: [(0, 0); 8],
            count: 0,
            more: Vec::new(),
        }
    }

    /// Records `buf[start..]` as a name; errors if an earlier one is the same name.
    fn add(&mut self, buf: &str, start: usize) -> Result<()> {
        let name = &buf[start..];
        let earlier = self.inline[..self.count.min(8)].iter().chain(&self.more);
        for &(s, e) in earlier {
            if buf[s as usize..e as usize].eq_ignore_ascii_case(name) {
                return Err(Error::DuplicateAttr {
                    name: name.to_owned(),
                });
            }
        }
        let span = (start as u32, buf.len() as u32);
        if self.count < 8 {
            self.inline[self.count] = span;
        } else {
            self.more.push(span);
        }
        self.count += 1;
        Ok(())
    }
}

/// Writes ` name="value"` (or ` name`, or nothing) for one keyword argument.
#[inline]
fn write_attr(
    buf: &mut String,
    seen: &mut Seen,
    key: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
) -> Result<()> {
    let key = key.cast::<PyString>().map_err(|_| Error::AttrName {
        name: key.to_string(),
        reason: "attribute names must be str",
    })?;
    let key = py_str(key, "attribute name")?;
    // None and False leave the attribute out.
    let bare = if value.is_none() {
        return Ok(());
    } else if let Ok(b) = value.cast_exact::<PyBool>() {
        if !b.is_true() {
            return Ok(());
        }
        true
    } else {
        false
    };
    buf.push(' ');
    let start = buf.len();
    attrs::push_name(buf, key)?;
    seen.add(buf, start)?;
    if bare {
        return Ok(());
    }
    let end = buf.len();
    buf.push_str("=\"");
    if let Ok(s) = value.cast_exact::<PyString>() {
        escape_attr(buf, py_str(s, "attribute value")?)?;
    } else {
        write_attr_value(buf, value).map_err(|err| match err {
            Error::AttrValue { type_name, .. } => Error::AttrValue {
                name: buf[start..end].to_owned(),
                type_name,
            },
            err => err,
        })?;
    }
    buf.push('"');
    Ok(())
}

/// Writes an attribute value; an `AttrValue` error gets its name filled in by the caller.
fn write_attr_value(buf: &mut String, value: &Bound<'_, PyAny>) -> Result<()> {
    if let Ok(s) = value.cast::<PyString>() {
        escape_attr(buf, py_str(s, "attribute value")?)
    } else if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
        escape_attr(buf, py_str(&value.str()?, "attribute value")?)
    } else if value.is_instance_of::<PyDict>()
        || value.is_instance_of::<PyList>()
        || value.is_instance_of::<PyTuple>()
    {
        let mut json = String::new();
        write_json(&mut json, value, 0)?;
        escape_attr(buf, &json)
    } else {
        Err(Error::AttrValue {
            name: String::new(),
            type_name: type_name(value),
        })
    }
}

#[inline]
fn push_text(b: &mut Builder, s: &Bound<'_, PyString>, kind: Kind, tag: &str) -> Result<()> {
    let s = py_str(s, "text")?;
    if kind == Kind::RawText {
        check_raw_text(tag, s)?;
        push_raw_text(&mut b.buf, s);
        Ok(())
    } else {
        escape_text(&mut b.buf, s)
    }
}

fn push_child(
    b: &mut Builder,
    obj: &Bound<'_, PyAny>,
    kind: Kind,
    tag: &str,
    depth: usize,
) -> Result<()> {
    if let Ok(s) = obj.cast_exact::<PyString>() {
        return push_text(b, s, kind, tag);
    }
    if let Ok(e) = obj.cast_exact::<Element>() {
        let element = e.get();
        let node = &element.node;
        if kind.text_only() {
            let text = node.render();
            check_end_tag(tag, &text)?;
            if kind == Kind::RawText && text.contains('<') {
                b.raw_lt = Some(raw_text_name(tag));
            }
        }
        if element.raw_lt.is_some() {
            b.raw_lt = element.raw_lt;
        }
        b.push_html(node);
        return Ok(());
    }
    if obj.is_none() {
        return Ok(());
    }
    if let Ok(flag) = obj.cast_exact::<PyBool>() {
        return if flag.is_true() {
            Err(Error::TrueChild)
        } else {
            Ok(())
        };
    }
    if obj.is_exact_instance_of::<PyInt>() || obj.is_exact_instance_of::<PyFloat>() {
        // Digits, '-', '.', 'e', '+', "inf", "nan": nothing to escape.
        b.buf.push_str(py_str(&obj.str()?, "text")?);
        return Ok(());
    }
    let nested = |b: &mut Builder, item: &Bound<'_, PyAny>| {
        if depth >= MAX_CHILD_DEPTH {
            return Err(Error::TooDeep {
                what: "child lists, tuples and generators",
                limit: MAX_CHILD_DEPTH,
            });
        }
        push_child(b, item, kind, tag, depth + 1)
    };
    if let Ok(list) = obj.cast_exact::<PyList>() {
        for item in list.iter() {
            nested(b, &item)?;
        }
        return Ok(());
    }
    if let Ok(tuple) = obj.cast_exact::<PyTuple>() {
        for item in tuple.iter() {
            nested(b, &item)?;
        }
        return Ok(());
    }
    let py = obj.py();
    if let Some(html) = obj.getattr_opt(pyo3::intern!(py, "__html__"))? {
        let markup = html.call0()?;
        let markup = markup.cast::<PyString>().map_err(|_| Error::Child {
            type_name: format!("{} (its __html__ did not return str)", type_name(obj)),
        })?;
        let markup = py_str(markup, "__html__ result")?;
        if kind.text_only() {
            check_end_tag(tag, markup)?;
            if kind == Kind::RawText && markup.contains('<') {
                b.raw_lt = Some(raw_text_name(tag));
            }
        }
        b.buf.push_str(markup);
        return Ok(());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return push_text(b, s, kind, tag);
    }
    if obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>() {
        let text = obj.str()?;
        return push_text(b, &text, kind, tag);
    }
    if obj.is_instance_of::<PyList>()
        || obj.is_instance_of::<PyTuple>()
        || obj.cast::<PyIterator>().is_ok()
    {
        for item in obj.try_iter()? {
            nested(b, &item?)?;
        }
        return Ok(());
    }
    Err(Error::Child {
        type_name: type_name(obj),
    })
}

/// Builds any element by name: `Tag("my-widget", "text", cls="x")`.
#[pyfunction]
#[pyo3(name = "Tag", signature = (name, /, *children, **attrs))]
pub fn tag(
    name: &Bound<'_, PyString>,
    children: &Bound<'_, PyTuple>,
    attrs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Element> {
    let name = py_str(name, "tag name")?;
    if !valid_tag_name(name) {
        return Err(Error::TagName {
            name: name.to_owned(),
        }
        .into());
    }
    let pairs: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> =
        attrs.map(|a| a.iter().collect()).unwrap_or_default();
    let attributes = pairs
        .iter()
        .map(|(k, v)| (k.as_borrowed(), v.as_borrowed()));
    let children: Vec<Bound<'_, PyAny>> = children.iter().collect();
    let children = children.iter().map(|c| c.as_borrowed());
    Ok(build(name, kind_of(name), children, attributes)?)
}

/// Children without a surrounding tag.
#[pyfunction]
#[pyo3(name = "Fragment", signature = (*children))]
pub fn fragment(children: &Bound<'_, PyTuple>) -> PyResult<Element> {
    let mut b = Builder::new();
    for child in children.iter() {
        push_child(&mut b, &child, Kind::Normal, "", 0)?;
    }
    let raw_lt = b.raw_lt;
    let mut element = Element::new(b.finish());
    element.raw_lt = raw_lt;
    Ok(element)
}

/// Trusted HTML, inserted exactly as given. Never pass user input.
#[pyfunction]
#[pyo3(name = "Raw", signature = (html, /))]
pub fn raw(html: &Bound<'_, PyString>) -> PyResult<Element> {
    let html = py_str(html, "raw HTML")?;
    Ok(Element::new(Html::from_str(html)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyo3::types::{PyList, PyTuple};

    /// Builds `<name>` from Python values, as a tag call would.
    fn render(
        name: &str,
        children: &Bound<'_, PyTuple>,
        attrs: &[(&str, Bound<'_, PyAny>)],
    ) -> Result<String> {
        let py = children.py();
        let pairs: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = attrs
            .iter()
            .map(|(k, v)| (PyString::new(py, k).into_any(), v.clone()))
            .collect();
        let items: Vec<Bound<'_, PyAny>> = children.iter().collect();
        let element = build(
            name,
            kind_of(name),
            items.iter().map(|c| c.as_borrowed()),
            pairs
                .iter()
                .map(|(k, v)| (k.as_borrowed(), v.as_borrowed())),
        )?;
        Ok(element.node.render())
    }

    #[test]
    fn element_with_attributes_and_children() {
        Python::attach(|py| {
            let inner = render("b", &PyTuple::new(py, ["x"]).unwrap(), &[]).unwrap();
            assert_eq!(inner, "<b>x</b>");
            let children = PyTuple::new(
                py,
                [
                    PyString::new(py, "a < b").into_any(),
                    py.None().into_bound(py),
                    Bound::new(py, Element::new(Html::from_str(&inner)))
                        .unwrap()
                        .into_any(),
                    PyList::new(py, [1, 2]).unwrap().into_any(),
                ],
            )
            .unwrap();
            let attrs = [
                ("cls", PyString::new(py, "c\"d").into_any()),
                (
                    "hidden",
                    true.into_pyobject(py).unwrap().to_owned().into_any(),
                ),
                ("title", py.None().into_bound(py)),
                ("data_on_click", PyString::new(py, "$a && $b").into_any()),
            ];
            assert_eq!(
                render("div", &children, &attrs).unwrap(),
                "<div class=\"c&quot;d\" hidden data-on:click=\"$a &amp;&amp; $b\">\
                 a &lt; b<b>x</b>12</div>"
            );
        });
    }

    #[test]
    fn void_and_json() {
        Python::attach(|py| {
            let signals = PyDict::new(py);
            signals.set_item("n", 0).unwrap();
            signals.set_item("s", "it's \"q\"").unwrap();
            signals
                .set_item("l", PyList::new(py, [1.5, 2.0]).unwrap())
                .unwrap();
            let attrs = [("data_signals", signals.into_any())];
            let empty = PyTuple::empty(py);
            assert_eq!(
                render("input", &empty, &attrs).unwrap(),
                "<input data-signals=\"{&quot;n&quot;:0,&quot;s&quot;:&quot;it\\u0027s \
                 \\&quot;q\\&quot;&quot;,&quot;l&quot;:[1.5,2.0]}\">"
            );
            let child = PyTuple::new(py, ["x"]).unwrap();
            assert!(matches!(
                render("br", &child, &[]),
                Err(Error::VoidChildren { .. })
            ));
        });
    }

    #[test]
    fn bad_input_is_an_error() {
        Python::attach(|py| {
            let empty = PyTuple::empty(py);
            let value = PyString::new(py, "v").into_any();
            assert!(matches!(
                render("div", &empty, &[("a b", value.clone())]),
                Err(Error::AttrName { .. })
            ));
            let object = py.eval(c"object()", None, None).unwrap();
            let children = PyTuple::new(py, [object]).unwrap();
            assert!(matches!(
                render("div", &children, &[]),
                Err(Error::Child { .. })
            ));
            let surrogate = py.eval(c"'\\ud800'", None, None).unwrap();
            let children = PyTuple::new(py, [surrogate]).unwrap();
            assert!(matches!(
                render("div", &children, &[]),
                Err(Error::Surrogate { .. })
            ));
        });
    }
}
