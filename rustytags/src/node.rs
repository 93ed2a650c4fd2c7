//! Rendered HTML. An element is rendered when it is built, so nesting is concatenation.
//!
//! Small results are one `Arc<str>` (a single allocation); the buffer they are built in
//! comes from a per-thread pool and is reused. A child larger than [`SHARE_ABOVE`] is
//! shared by reference instead of copied, so wrapping a big subtree costs O(1) and a
//! 100,000-deep chain of wrappers is linear, not quadratic. Rendering and dropping walk
//! the references with an explicit stack: no recursion, whatever the depth.
use std::cell::RefCell;
use std::sync::Arc;

/// Children whose rendered size exceeds this many bytes are shared, not copied.
pub const SHARE_ABOVE: usize = 4096;

/// Rendered HTML, cheap to clone.
#[derive(Clone, Debug)]
pub enum Html {
    /// The whole rendering in one string.
    Flat(Arc<str>),
    /// A large rendering, possibly with shared children spliced in.
    Tree(Arc<Node>),
}

/// A large rendering: `buf`, with shared children spliced in at byte offsets.
#[derive(Debug, Default)]
pub struct Node {
    buf: String,
    /// (offset in `buf`, child), offsets in ascending order.
    shared: Vec<(usize, Html)>,
    /// Length of the full rendering.
    len: usize,
}

impl Html {
    pub fn from_str(s: &str) -> Html {
        if s.len() > SHARE_ABOVE {
            Html::Tree(Arc::new(Node {
                buf: s.to_owned(),
                shared: Vec::new(),
                len: s.len(),
            }))
        } else {
            Html::Flat(Arc::from(s))
        }
    }

    /// Length in bytes of the full rendering.
    #[inline]
    pub fn len(&self) -> usize {
        match self {
            Html::Flat(s) => s.len(),
            Html::Tree(node) => node.len,
        }
    }

    /// How many bytes a parent copies for this child (0 when it is shared instead).
    #[inline]
    pub fn copied_len(&self) -> usize {
        match self.as_flat() {
            Some(flat) if flat.len() <= SHARE_ABOVE => flat.len(),
            _ => 0,
        }
    }

    /// The rendering, when it is a single buffer.
    #[inline]
    pub fn as_flat(&self) -> Option<&str> {
        match self {
            Html::Flat(s) => Some(s),
            Html::Tree(node) => node.shared.is_empty().then_some(node.buf.as_str()),
        }
    }

    /// Writes the full rendering to `out`, iteratively.
    pub fn render_into(&self, out: &mut String) {
        let root = match self {
            Html::Flat(s) => return out.push_str(s),
            Html::Tree(node) => node,
        };
        out.reserve(root.len);
        // (node, index of the next shared child, offset in buf already written)
        let mut stack: Vec<(&Node, usize, usize)> = vec![(root, 0, 0)];
        while let Some((node, next, pos)) = stack.pop() {
            match node.shared.get(next) {
                Some((at, child)) => {
                    out.push_str(&node.buf[pos..*at]);
                    stack.push((node, next + 1, *at));
                    match child {
                        Html::Flat(s) => out.push_str(s),
                        Html::Tree(child) => stack.push((child, 0, 0)),
                    }
                }
                None => out.push_str(&node.buf[pos..]),
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.len());
        self.render_into(&mut out);
        out
    }

    /// The first bytes of the rendering (at least `n` if it is that long).
    fn prefix(&self, n: usize) -> String {
        let mut out = String::new();
        let mut html = self;
        loop {
            match html {
                Html::Flat(s) => {
                    out.push_str(s);
                    return out;
                }
                Html::Tree(node) => match node.shared.first() {
                    Some((at, child)) => {
                        out.push_str(&node.buf[..*at]);
                        if out.len() >= n {
                            return out;
                        }
                        html = child;
                    }
                    None => {
                        out.push_str(&node.buf);
                        return out;
                    }
                },
            }
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // Unlink uniquely owned children iteratively so a deep chain does not recurse.
        let mut pending: Vec<Arc<Node>> = Vec::new();
        let take = |shared: &mut Vec<(usize, Html)>, pending: &mut Vec<Arc<Node>>| {
            pending.extend(shared.drain(..).filter_map(|(_, c)| match c {
                Html::Tree(node) => Some(node),
                Html::Flat(_) => None,
            }));
        };
        take(&mut self.shared, &mut pending);
        while let Some(child) = pending.pop() {
            if let Some(mut node) = Arc::into_inner(child) {
                take(&mut node.shared, &mut pending);
            }
        }
    }
}

/// Buffers kept per thread for building elements; larger ones are not kept.
const POOL_SIZE: usize = 16;
const POOL_MAX_CAPACITY: usize = 16 * 1024;

thread_local! {
    static POOL: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn take_buffer() -> String {
    POOL.with(|pool| pool.borrow_mut().pop())
        .unwrap_or_else(|| String::with_capacity(256))
}

fn return_buffer(mut buf: String) {
    if buf.capacity() <= POOL_MAX_CAPACITY {
        buf.clear();
        POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOL_SIZE {
                pool.push(buf);
            }
        });
    }
}

/// Builds [`Html`]: text is appended to the buffer, children are copied or shared.
pub struct Builder {
    pub buf: String,
    shared: Vec<(usize, Html)>,
    shared_len: usize,
    /// Set when a child is (or holds) a `<script>`/`<style>` with `<` in its text.
    pub raw_lt: Option<&'static str>,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            buf: take_buffer(),
            shared: Vec::new(),
            shared_len: 0,
            raw_lt: None,
        }
    }

    /// Makes room for `additional` more bytes in the buffer.
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// Appends the rendering of `child`.
    #[inline]
    pub fn push_html(&mut self, child: &Html) {
        match child.as_flat() {
            Some(flat) if flat.len() <= SHARE_ABOVE => self.buf.push_str(flat),
            _ => {
                self.shared.push((self.buf.len(), child.clone()));
                self.shared_len += child.len();
            }
        }
    }

    /// Whether the content written after byte `from` starts with `prefix`.
    pub fn starts_with_at(&self, from: usize, prefix: &str) -> bool {
        match self.shared.first() {
            Some((at, child)) if *at == from => child.prefix(prefix.len()).starts_with(prefix),
            _ => self.buf[from..].starts_with(prefix),
        }
    }

    /// Inserts text at byte `at` of the buffer (before any shared child placed there).
    pub fn insert_str(&mut self, at: usize, s: &str) {
        self.buf.insert_str(at, s);
        for (pos, _) in &mut self.shared {
            if *pos >= at {
                *pos += s.len();
            }
        }
    }

    pub fn finish(mut self) -> Html {
        let buf = std::mem::take(&mut self.buf);
        if self.shared.is_empty() && buf.len() <= SHARE_ABOVE {
            let html = Html::Flat(Arc::from(buf.as_str()));
            return_buffer(buf);
            return html;
        }
        let len = buf.len() + self.shared_len;
        // A wrapper around shared children keeps only what it wrote (a 100,000-deep
        // chain would otherwise hold a pooled buffer's spare capacity per level).
        let buf = if buf.capacity() > 2 * buf.len() + 64 {
            let exact = String::from(buf.as_str());
            return_buffer(buf);
            exact
        } else {
            buf
        };
        Html::Tree(Arc::new(Node {
            buf,
            shared: std::mem::take(&mut self.shared),
            len,
        }))
    }
}

impl Drop for Builder {
    fn drop(&mut self) {
        // A builder abandoned on an error gives its buffer back.
        if self.buf.capacity() > 0 {
            return_buffer(std::mem::take(&mut self.buf));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(inner: &Html) -> Html {
        let mut b = Builder::new();
        b.buf.push_str("<i>");
        b.push_html(inner);
        b.buf.push_str("</i>");
        b.finish()
    }

    #[test]
    fn small_children_are_copied() {
        let inner = Html::from_str("<b>x</b>");
        let outer = wrap(&inner);
        assert!(matches!(outer, Html::Flat(_)));
        assert_eq!(outer.as_flat(), Some("<i><b>x</b></i>"));
        assert_eq!(outer.len(), 15);
    }

    #[test]
    fn large_children_are_shared_and_rendered_in_place() {
        let big = "y".repeat(SHARE_ABOVE + 1);
        let inner = Html::from_str(&big);
        let outer = wrap(&inner);
        assert!(outer.as_flat().is_none());
        let mut b = Builder::new();
        b.buf.push_str("<p>");
        b.push_html(&outer);
        b.push_html(&inner);
        b.buf.push_str("</p>");
        let html = b.finish();
        let expected = format!("<p><i>{big}</i>{big}</p>");
        assert_eq!(html.render(), expected);
        assert_eq!(html.len(), expected.len());
    }

    #[test]
    fn deep_chains_render_and_drop_without_recursion() {
        let mut html = Html::from_str(&"z".repeat(SHARE_ABOVE + 1));
        for _ in 0..200_000 {
            html = wrap(&html);
        }
        let out = html.render();
        assert_eq!(out.len(), SHARE_ABOVE + 1 + 200_000 * 7);
        assert!(out.starts_with("<i><i>"));
        assert!(out.ends_with("</i></i>"));
        drop(html);
    }

    #[test]
    fn insert_before_shared_child_moves_it() {
        let inner = Html::from_str(&"\n".repeat(SHARE_ABOVE + 1));
        let mut b = Builder::new();
        b.buf.push_str("<pre>");
        b.push_html(&wrap(&inner));
        assert!(b.starts_with_at(5, "<i>\n"));
        assert!(!b.starts_with_at(5, "\n"));
        b.insert_str(5, "\n");
        b.buf.push_str("</pre>");
        let out = b.finish().render();
        assert!(out.starts_with("<pre>\n<i>\n\n"));
        assert_eq!(out.len(), 5 + 1 + 3 + SHARE_ABOVE + 1 + 4 + 6);
    }

    #[test]
    fn buffers_are_reused() {
        let first = Builder::new();
        let ptr = first.buf.as_ptr();
        drop(first);
        let second = Builder::new();
        assert_eq!(second.buf.as_ptr(), ptr);
    }
}
