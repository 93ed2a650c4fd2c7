//! Rendered HTML. An element is rendered when it is built, so nesting is concatenation.
//!
//! Small children are copied into the parent's buffer. A child larger than
//! [`SHARE_ABOVE`] is shared by reference instead, so wrapping a big subtree costs O(1)
//! and a 100,000-deep chain of wrappers is linear, not quadratic. Rendering and dropping
//! walk the references with an explicit stack: no recursion, whatever the depth.
use std::sync::Arc;

/// Children whose rendered size exceeds this many bytes are shared, not copied.
pub const SHARE_ABOVE: usize = 4096;

/// Rendered HTML: `buf`, with shared children spliced in at byte offsets.
#[derive(Debug, Default)]
pub struct Node {
    buf: String,
    /// (offset in `buf`, child), offsets in ascending order.
    shared: Vec<(usize, Arc<Node>)>,
    /// Length of the full rendering.
    len: usize,
}

impl Node {
    pub fn from_string(buf: String) -> Node {
        let len = buf.len();
        Node {
            buf,
            shared: Vec::new(),
            len,
        }
    }

    /// Length in bytes of the full rendering.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The rendering, when it is a single buffer.
    #[inline]
    pub fn as_flat(&self) -> Option<&str> {
        self.shared.is_empty().then_some(self.buf.as_str())
    }

    /// Writes the full rendering to `out`, iteratively.
    pub fn render_into(&self, out: &mut String) {
        if let Some(flat) = self.as_flat() {
            out.push_str(flat);
            return;
        }
        out.reserve(self.len);
        // (node, index of the next shared child, offset in buf already written)
        let mut stack: Vec<(&Node, usize, usize)> = vec![(self, 0, 0)];
        while let Some((node, next, pos)) = stack.pop() {
            if let Some((at, child)) = node.shared.get(next) {
                out.push_str(&node.buf[pos..*at]);
                stack.push((node, next + 1, *at));
                stack.push((child, 0, 0));
            } else {
                out.push_str(&node.buf[pos..]);
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.len);
        self.render_into(&mut out);
        out
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // Unlink uniquely owned children iteratively so a deep chain does not recurse.
        let mut pending: Vec<Arc<Node>> = self.shared.drain(..).map(|(_, c)| c).collect();
        while let Some(child) = pending.pop() {
            if let Some(mut node) = Arc::into_inner(child) {
                pending.extend(node.shared.drain(..).map(|(_, c)| c));
            }
        }
    }
}

/// Builds a [`Node`]: text is appended to the buffer, children are copied or shared.
#[derive(Default)]
pub struct Builder {
    pub buf: String,
    shared: Vec<(usize, Arc<Node>)>,
    shared_len: usize,
}

impl Builder {
    pub fn with_capacity(cap: usize) -> Builder {
        Builder {
            buf: String::with_capacity(cap),
            shared: Vec::new(),
            shared_len: 0,
        }
    }

    /// Appends the rendering of `child`.
    #[inline]
    pub fn push_node(&mut self, child: &Arc<Node>) {
        match child.as_flat() {
            Some(flat) if flat.len() <= SHARE_ABOVE => self.buf.push_str(flat),
            _ => {
                self.shared.push((self.buf.len(), Arc::clone(child)));
                self.shared_len += child.len;
            }
        }
    }

    /// Whether the content written after byte `from` starts with `prefix`.
    pub fn starts_with_at(&self, from: usize, prefix: &str) -> bool {
        match self.shared.first() {
            Some((at, child)) if *at == from => {
                let mut first = String::new();
                // Only the first bytes matter; shared children are large, render the start.
                let mut node: &Node = child;
                loop {
                    match node.shared.first() {
                        Some((0, c)) => node = c,
                        Some((at, _)) => {
                            first.push_str(&node.buf[..*at]);
                            break;
                        }
                        None => {
                            first.push_str(&node.buf);
                            break;
                        }
                    }
                }
                first.starts_with(prefix)
            }
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

    pub fn finish(self) -> Node {
        let len = self.buf.len() + self.shared_len;
        Node {
            buf: self.buf,
            shared: self.shared,
            len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(inner: &Arc<Node>) -> Arc<Node> {
        let mut b = Builder::default();
        b.buf.push_str("<i>");
        b.push_node(inner);
        b.buf.push_str("</i>");
        Arc::new(b.finish())
    }

    #[test]
    fn small_children_are_copied() {
        let inner = Arc::new(Node::from_string("<b>x</b>".into()));
        let outer = wrap(&inner);
        assert_eq!(outer.as_flat(), Some("<i><b>x</b></i>"));
        assert_eq!(outer.len(), 15);
    }

    #[test]
    fn large_children_are_shared_and_rendered_in_place() {
        let big = "y".repeat(SHARE_ABOVE + 1);
        let inner = Arc::new(Node::from_string(big.clone()));
        let outer = wrap(&inner);
        assert!(outer.as_flat().is_none());
        let mut b = Builder::default();
        b.buf.push_str("<p>");
        b.push_node(&outer);
        b.push_node(&inner);
        b.buf.push_str("</p>");
        let node = b.finish();
        let expected = format!("<p><i>{big}</i>{big}</p>");
        assert_eq!(node.render(), expected);
        assert_eq!(node.len(), expected.len());
    }

    #[test]
    fn deep_chains_render_and_drop_without_recursion() {
        let mut node = Arc::new(Node::from_string("z".repeat(SHARE_ABOVE + 1)));
        for _ in 0..200_000 {
            node = wrap(&node);
        }
        let out = node.render();
        assert_eq!(out.len(), SHARE_ABOVE + 1 + 200_000 * 7);
        assert!(out.starts_with("<i><i>"));
        assert!(out.ends_with("</i></i>"));
        drop(node);
    }

    #[test]
    fn insert_before_shared_child_moves_it() {
        let inner = Arc::new(Node::from_string("\n".repeat(SHARE_ABOVE + 1)));
        let mut b = Builder::default();
        b.buf.push_str("<pre>");
        b.push_node(&inner);
        assert!(b.starts_with_at(5, "\n"));
        b.insert_str(5, "\n");
        b.buf.push_str("</pre>");
        let out = b.finish().render();
        assert!(out.starts_with("<pre>\n\n"));
        assert_eq!(out.len(), 5 + 1 + SHARE_ABOVE + 1 + 6);
    }
}
