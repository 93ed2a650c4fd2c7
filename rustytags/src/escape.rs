//! HTML escaping for text and attribute values. Pure Rust, no Python.
//!
//! U+0000 cannot be carried by HTML: the parser replaces it (or drops it), so it is
//! written as U+FFFD REPLACEMENT CHARACTER, as the parsing spec does. Rendering stored
//! data therefore never fails on it.
use crate::error::{Error, Result};

/// What U+0000 is written as in text, attribute values and raw text.
pub const NUL_REPLACEMENT: &str = "\u{FFFD}";

const PLAIN: u8 = 0;
const AMP: u8 = 1;
const LT: u8 = 2;
const GT: u8 = 3;
const QUOT: u8 = 4;
const APOS: u8 = 5;
const CR: u8 = 6;
const NUL: u8 = 7;

const fn table(attr: bool) -> [u8; 256] {
    let mut t = [PLAIN; 256];
    t[b'&' as usize] = AMP;
    t[b'<' as usize] = LT;
    t[b'>' as usize] = GT;
    // A raw CR would be turned into LF by the parser; a character reference keeps it.
    t[b'\r' as usize] = CR;
    t[0] = NUL;
    if attr {
        t[b'"' as usize] = QUOT;
        t[b'\'' as usize] = APOS;
    }
    t
}

static TEXT: [u8; 256] = table(false);
static ATTR: [u8; 256] = table(true);

#[inline]
fn escape_with(out: &mut String, s: &str, table: &[u8; 256]) -> Result<()> {
    let bytes = s.as_bytes();
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let class = table[b as usize];
        if class == PLAIN {
            continue;
        }
        // Every byte we replace is ASCII, so `i` is always a char boundary.
        out.push_str(&s[last..i]);
        out.push_str(match class {
            AMP => "&amp;",
            LT => "&lt;",
            GT => "&gt;",
            QUOT => "&quot;",
            APOS => "&#x27;",
            CR => "&#13;",
            _ => NUL_REPLACEMENT,
        });
        last = i + 1;
    }
    out.push_str(&s[last..]);
    Ok(())
}

/// Escapes text content: `&`, `<`, `>` (and CR, which the parser would normalise).
#[inline]
pub fn escape_text(out: &mut String, s: &str) -> Result<()> {
    escape_with(out, s, &TEXT)
}

/// Escapes an attribute value for a double-quoted attribute: also `"` and `'`.
#[inline]
pub fn escape_attr(out: &mut String, s: &str) -> Result<()> {
    escape_with(out, s, &ATTR)
}

/// Appends raw text (the content of `<script>` or `<style>`), U+0000 replaced.
pub fn push_raw_text(out: &mut String, s: &str) {
    if s.as_bytes().contains(&0) {
        out.push_str(&s.replace('\0', NUL_REPLACEMENT));
    } else {
        out.push_str(s);
    }
}

/// Checks text that goes unescaped into `<script>` or `<style>`: it must not close
/// the element early or open an HTML comment that changes how the parser reads it.
pub fn check_raw_text(tag: &str, s: &str) -> Result<()> {
    if tag.eq_ignore_ascii_case("script") && s.contains("<!--") {
        return Err(Error::RawText {
            tag: tag.to_ascii_lowercase(),
            found: "<!--".to_owned(),
        });
    }
    check_end_tag(tag, s)
}

/// Checks that markup inserted as is into an element whose content the parser reads as
/// text (`script`, `style`, `title`, `textarea`) does not contain its end tag.
pub fn check_end_tag(tag: &str, s: &str) -> Result<()> {
    let end = format!("</{}", tag.to_ascii_lowercase());
    let found = s
        .as_bytes()
        .windows(end.len())
        .any(|w| w.eq_ignore_ascii_case(end.as_bytes()));
    if found {
        return Err(Error::RawText {
            tag: tag.to_ascii_lowercase(),
            found: end,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut out = String::new();
        escape_text(&mut out, s).unwrap();
        out
    }

    fn attr(s: &str) -> String {
        let mut out = String::new();
        escape_attr(&mut out, s).unwrap();
        out
    }

    #[test]
    fn text_escapes_markup_characters() {
        assert_eq!(text("a < b && c > d"), "a &lt; b &amp;&amp; c &gt; d");
        assert_eq!(text("</script>"), "&lt;/script&gt;");
    }

    #[test]
    fn text_keeps_quotes_and_unicode() {
        assert_eq!(text("\"it's\" – ünïcødé 🦀"), "\"it's\" – ünïcødé 🦀");
    }

    #[test]
    fn text_without_specials_is_unchanged() {
        assert_eq!(text(""), "");
        assert_eq!(text("plain text"), "plain text");
    }

    #[test]
    fn attr_escapes_quotes() {
        assert_eq!(attr(r#"a"b'c<d>&"#), "a&quot;b&#x27;c&lt;d&gt;&amp;");
    }

    #[test]
    fn carriage_return_becomes_a_reference() {
        assert_eq!(text("a\r\nb"), "a&#13;\nb");
        assert_eq!(attr("\r"), "&#13;");
    }

    #[test]
    fn nul_becomes_the_replacement_character() {
        assert_eq!(text("a\0b"), "a\u{FFFD}b");
        assert_eq!(attr("\0\0"), "\u{FFFD}\u{FFFD}");
        let mut out = String::new();
        push_raw_text(&mut out, "x\0");
        assert_eq!(out, "x\u{FFFD}");
    }

    #[test]
    fn escaping_appends() {
        let mut out = String::from("<p>");
        escape_text(&mut out, "1 < 2").unwrap();
        assert_eq!(out, "<p>1 &lt; 2");
    }

    #[test]
    fn raw_text_rejects_closing_tags() {
        assert!(check_raw_text("script", "if (a < b) { x() }").is_ok());
        assert!(check_raw_text("script", "x = '</SCRIPT>'").is_err());
        assert!(check_raw_text("script", "<!-- x").is_err());
        assert!(check_raw_text("style", "a > b { color: red }").is_ok());
        assert!(check_raw_text("style", "</style >").is_err());
        assert!(check_raw_text("style", "</script>").is_ok());
        assert!(check_end_tag("title", "a </TITLE b").is_err());
        assert!(check_end_tag("textarea", "</text").is_ok());
    }
}
