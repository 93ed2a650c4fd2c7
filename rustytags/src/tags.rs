//! The element names exported as callables, and how each kind of element is written.

/// How an element's start tag, content and end tag are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `<div>...</div>`
    Normal,
    /// `<input ...>`: no content, no end tag.
    Void,
    /// `<script>`/`<style>`: text is not escaped (the parser does not decode it) and is
    /// checked instead.
    RawText,
    /// `<title>`: escaped text; markup inside is read as text up to `</title`.
    Title,
    /// `<textarea>`: like `Title`, and one newline right after the start tag is dropped
    /// by the parser.
    Textarea,
    /// `<pre>`/`<listing>`: the parser drops one newline right after the start tag, so
    /// content starting with a newline gets an extra one.
    Pre,
}

impl Kind {
    /// Whether a newline right after the start tag must be doubled.
    pub fn leading_newline(self) -> bool {
        matches!(self, Kind::Pre | Kind::Textarea)
    }

    /// Whether the parser reads the content as text up to the end tag, so markup
    /// inserted as is (elements, `__html__`) must not contain that end tag.
    pub fn text_only(self) -> bool {
        matches!(self, Kind::RawText | Kind::Title | Kind::Textarea)
    }
}

pub const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen",
];

/// The kind of element for a tag name (ASCII case-insensitive).
pub fn kind_of(name: &str) -> Kind {
    let lower = name.to_ascii_lowercase();
    let lower = lower.as_str();
    if VOID.contains(&lower) {
        Kind::Void
    } else if matches!(lower, "script" | "style") {
        Kind::RawText
    } else if lower == "title" {
        Kind::Title
    } else if lower == "textarea" {
        Kind::Textarea
    } else if matches!(lower, "pre" | "listing") {
        Kind::Pre
    } else {
        Kind::Normal
    }
}

/// Whether `name` can be written as a tag name.
pub fn valid_tag_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Every HTML element of the living standard (plus MathML's `math` root), as
/// (Python name, tag name).
pub const HTML_TAGS: &[(&str, &str)] = &[
    ("A", "a"),
    ("Abbr", "abbr"),
    ("Address", "address"),
    ("Area", "area"),
    ("Article", "article"),
    ("Aside", "aside"),
    ("Audio", "audio"),
    ("B", "b"),
    ("Base", "base"),
    ("Bdi", "bdi"),
    ("Bdo", "bdo"),
    ("Blockquote", "blockquote"),
    ("Body", "body"),
    ("Br", "br"),
    ("Button", "button"),
    ("Canvas", "canvas"),
    ("Caption", "caption"),
    ("Cite", "cite"),
    ("Code", "code"),
    ("Col", "col"),
    ("Colgroup", "colgroup"),
    ("Data", "data"),
    ("Datalist", "datalist"),
    ("Dd", "dd"),
    ("Del", "del"),
    ("Details", "details"),
    ("Dfn", "dfn"),
    ("Dialog", "dialog"),
    ("Div", "div"),
    ("Dl", "dl"),
    ("Dt", "dt"),
    ("Em", "em"),
    ("Embed", "embed"),
    ("Fieldset", "fieldset"),
    ("Figcaption", "figcaption"),
    ("Figure", "figure"),
    ("Footer", "footer"),
    ("Form", "form"),
    ("H1", "h1"),
    ("H2", "h2"),
    ("H3", "h3"),
    ("H4", "h4"),
    ("H5", "h5"),
    ("H6", "h6"),
    ("Head", "head"),
    ("Header", "header"),
    ("Hgroup", "hgroup"),
    ("Hr", "hr"),
    ("Html", "html"),
    ("I", "i"),
    ("Iframe", "iframe"),
    ("Img", "img"),
    ("Input", "input"),
    ("Ins", "ins"),
    ("Kbd", "kbd"),
    ("Label", "label"),
    ("Legend", "legend"),
    ("Li", "li"),
    ("Link", "link"),
    ("Main", "main"),
    ("Map", "map"),
    ("Mark", "mark"),
    ("Math", "math"),
    ("Menu", "menu"),
    ("Meta", "meta"),
    ("Meter", "meter"),
    ("Nav", "nav"),
    ("Noscript", "noscript"),
    ("Object", "object"),
    ("Ol", "ol"),
    ("Optgroup", "optgroup"),
    ("Option", "option"),
    ("OptionEl", "option"),
    ("Output", "output"),
    ("P", "p"),
    ("Picture", "picture"),
    ("Pre", "pre"),
    ("Progress", "progress"),
    ("Q", "q"),
    ("Rp", "rp"),
    ("Rt", "rt"),
    ("Ruby", "ruby"),
    ("S", "s"),
    ("Samp", "samp"),
    ("Script", "script"),
    ("Search", "search"),
    ("Section", "section"),
    ("Select", "select"),
    ("Selectedcontent", "selectedcontent"),
    ("Slot", "slot"),
    ("Small", "small"),
    ("Source", "source"),
    ("Span", "span"),
    ("Strong", "strong"),
    ("Style", "style"),
    ("Sub", "sub"),
    ("Summary", "summary"),
    ("Sup", "sup"),
    ("Table", "table"),
    ("Tbody", "tbody"),
    ("Td", "td"),
    ("Template", "template"),
    ("Textarea", "textarea"),
    ("Tfoot", "tfoot"),
    ("Th", "th"),
    ("Thead", "thead"),
    ("Time", "time"),
    ("Title", "title"),
    ("Tr", "tr"),
    ("Track", "track"),
    ("U", "u"),
    ("Ul", "ul"),
    ("Var", "var"),
    ("Video", "video"),
    ("Wbr", "wbr"),
];

/// Common SVG elements (case-sensitive names such as `linearGradient` kept).
pub const SVG_TAGS: &[(&str, &str)] = &[
    ("Svg", "svg"),
    ("G", "g"),
    ("Defs", "defs"),
    ("Symbol", "symbol"),
    ("Use", "use"),
    ("Circle", "circle"),
    ("Ellipse", "ellipse"),
    ("Line", "line"),
    ("Path", "path"),
    ("Polygon", "polygon"),
    ("Polyline", "polyline"),
    ("Rect", "rect"),
    ("Text", "text"),
    ("Tspan", "tspan"),
    ("TextPath", "textPath"),
    ("Image", "image"),
    ("ForeignObject", "foreignObject"),
    ("Marker", "marker"),
    ("Pattern", "pattern"),
    ("ClipPath", "clipPath"),
    ("Mask", "mask"),
    ("LinearGradient", "linearGradient"),
    ("RadialGradient", "radialGradient"),
    ("Stop", "stop"),
    ("Filter", "filter"),
    ("FeBlend", "feBlend"),
    ("FeColorMatrix", "feColorMatrix"),
    ("FeComposite", "feComposite"),
    ("FeDropShadow", "feDropShadow"),
    ("FeFlood", "feFlood"),
    ("FeGaussianBlur", "feGaussianBlur"),
    ("FeMerge", "feMerge"),
    ("FeMergeNode", "feMergeNode"),
    ("FeOffset", "feOffset"),
    ("Animate", "animate"),
    ("AnimateMotion", "animateMotion"),
    ("AnimateTransform", "animateTransform"),
    ("Desc", "desc"),
    ("Metadata", "metadata"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(kind_of("input"), Kind::Void);
        assert_eq!(kind_of("BR"), Kind::Void);
        assert_eq!(kind_of("script"), Kind::RawText);
        assert_eq!(kind_of("Style"), Kind::RawText);
        assert_eq!(kind_of("textarea"), Kind::Textarea);
        assert_eq!(kind_of("TITLE"), Kind::Title);
        assert_eq!(kind_of("pre"), Kind::Pre);
        assert_eq!(kind_of("div"), Kind::Normal);
        assert_eq!(kind_of("my-input"), Kind::Normal);
    }

    #[test]
    fn tag_names() {
        for good in ["div", "my-element", "svg:rect", "h1", "x_y"] {
            assert!(valid_tag_name(good), "{good}");
        }
        for bad in ["", "1div", "-x", "a b", "a>", "a\"", "dív"] {
            assert!(!valid_tag_name(bad), "{bad}");
        }
    }

    #[test]
    fn python_names_are_unique() {
        let mut names: Vec<&str> = HTML_TAGS.iter().chain(SVG_TAGS).map(|(n, _)| *n).collect();
        let before = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), before);
    }
}
