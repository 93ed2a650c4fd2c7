//! Attribute names: Python keyword spelling -> HTML spelling, validated and cached.
//!
//! `cls`/`class_`/`klass` -> `class`, `for_`/`fr` -> `for`, one leading and one trailing
//! `_` dropped, other `_` -> `-`, Datastar 1.0 names (`data_on_click` -> `data-on:click`,
//! modifiers `__debounce_500ms` -> `__debounce.500ms`) and rusty-tags 0.7.0's short
//! spellings (`on_click`, `signals`, `bind`, ...). Names that are not Python identifiers
//! (`**{"data-on:click": ...}`) are used as given.
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use crate::error::{Error, Result};

/// Datastar plugins whose name has a hyphen and that take no `:key`.
const HYPHENATED_PLUGINS: &[&str] = &[
    "on_intersect",
    "on_interval",
    "on_signal_patch",
    "on_signal_patch_filter",
    "on_raf",
    "on_resize",
    "json_signals",
    "ignore_morph",
    "preserve_attr",
    "scroll_into_view",
    "view_transition",
    "custom_validity",
    "replace_url",
    "query_string",
    "match_media",
];

/// Datastar plugins written `data-<plugin>:<key>`.
const KEYED_PLUGINS: &[&str] = &[
    "on",
    "attr",
    "bind",
    "class",
    "computed",
    "indicator",
    "ref",
    "signals",
    "style",
    "persist",
];

/// rusty-tags 0.7.0's short spellings, taken whole: `signals=` -> `data-signals`.
/// None of them is an HTML attribute, so none hides one.
pub const SHORT_NAMES: &[(&str, &str)] = &[
    ("signals", "data_signals"),
    ("bind", "data_bind"),
    ("show", "data_show"),
    ("text", "data_text"),
    ("computed", "data_computed"),
    ("attrs", "data_attr"),
    ("indicator", "data_indicator"),
    ("effect", "data_effect"),
    ("ref", "data_ref"),
    ("persist", "data_persist"),
    ("ignore", "data_ignore"),
    ("ignore_morph", "data_ignore_morph"),
    ("json_signals", "data_json_signals"),
    ("preserve_attr", "data_preserve_attr"),
    ("scroll_into_view", "data_scroll_into_view"),
    ("view_transition", "data_view_transition"),
    ("custom_validity", "data_custom_validity"),
    ("replace_url", "data_replace_url"),
    ("query_string", "data_query_string"),
    ("animate", "data_animate"),
];

/// Short prefixes: `on_click` -> `data-on:click`, `attr_title` -> `data-attr:title`.
pub const SHORT_PREFIXES: &[&str] = &["on_", "attr_"];

fn is_identifier(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn hyphenate(out: &mut String, s: &str) {
    out.extend(s.chars().map(|c| if c == '_' { '-' } else { c }));
}

fn datastar(out: &mut String, name: &str) {
    // `name` starts with "data_".
    let (base, mods) = match name.find("__") {
        Some(i) => (&name[..i], Some(&name[i + 2..])),
        None => (name, None),
    };
    let rest = &base[5..];
    out.push_str("data-");
    if HYPHENATED_PLUGINS.contains(&rest) {
        hyphenate(out, rest);
    } else if let Some((plugin, key)) = KEYED_PLUGINS.iter().find_map(|p| {
        rest.strip_prefix(p)
            .and_then(|r| r.strip_prefix('_'))
            .filter(|key| !key.is_empty())
            .map(|key| (*p, key))
    }) {
        out.push_str(plugin);
        out.push(':');
        hyphenate(out, key);
    } else {
        hyphenate(out, rest);
    }
    if let Some(mods) = mods {
        for m in mods.split("__") {
            out.push_str("__");
            out.extend(m.chars().map(|c| if c == '_' { '.' } else { c }));
        }
    }
}

/// Translates a keyword-argument name to its HTML attribute name (not validated).
pub fn translate(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    if !is_identifier(name) || name.is_empty() {
        out.push_str(name);
        return out;
    }
    match name {
        "cls" | "class_" | "klass" | "_class" => return "class".to_owned(),
        "for_" | "fr" | "_for" => return "for".to_owned(),
        _ => {}
    }
    // Short spellings match the name exactly as written, so a leading or trailing `_`
    // (`text_=`) asks for the literal HTML attribute.
    let expanded;
    let mut n = name;
    let plain = !n.starts_with('_') && !n.ends_with('_');
    if let Some((_, long)) = SHORT_NAMES.iter().find(|(short, _)| plain && *short == n) {
        n = long;
    } else if plain
        && SHORT_PREFIXES
            .iter()
            .any(|p| n.len() > p.len() && n.starts_with(p))
    {
        expanded = format!("data_{n}");
        n = &expanded;
    } else {
        if n.len() > 1 {
            n = n.strip_prefix('_').unwrap_or(n);
        }
        if n.len() > 1 {
            n = n.strip_suffix('_').unwrap_or(n);
        }
    }
    if n.starts_with("data_") && n.len() > 5 {
        datastar(&mut out, n);
    } else {
        hyphenate(&mut out, n);
    }
    out
}

/// Checks that `name` can be written as an attribute name without changing the markup.
pub fn validate(name: &str) -> Result<()> {
    let bad = |reason| {
        Err(Error::AttrName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    for c in name.chars() {
        let reason = match c {
            ' ' | '\t' | '\n' | '\x0c' | '\r' => "it contains whitespace",
            '"' | '\'' => "it contains a quote",
            '=' => "it contains '='",
            '>' | '<' => "it contains '<' or '>'",
            '/' => "it contains '/'",
            '\0'..='\x1f' | '\x7f'..='\u{9f}' => "it contains a control character",
            '\u{fdd0}'..='\u{fdef}' => "it contains a Unicode noncharacter",
            c if (c as u32) & 0xfffe == 0xfffe => "it contains a Unicode noncharacter",
            _ => continue,
        };
        return bad(reason);
    }
    Ok(())
}

/// A fast, deterministic hasher for the short names in the cache (FxHash).
#[derive(Default)]
struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type Cache = HashMap<Box<str>, Rc<str>, BuildHasherDefault<FxHasher>>;

/// Enough for every name an application spells; names built at run time beyond this are
/// translated each time instead of growing the cache without bound.
const CACHE_LIMIT: usize = 4096;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

/// Appends the HTML name for keyword `name` to `out`, translating and validating it once
/// per thread and name.
#[inline]
pub fn push_name(out: &mut String, name: &str) -> Result<()> {
    CACHE.with(|cache| {
        if let Some(html) = cache.borrow().get(name) {
            out.push_str(html);
            return Ok(());
        }
        let html = translate(name);
        validate(&html)?;
        out.push_str(&html);
        let mut cache = cache.borrow_mut();
        if cache.len() < CACHE_LIMIT {
            cache.insert(name.into(), html.into());
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> String {
        translate(name)
    }

    #[test]
    fn class_and_for_aliases() {
        for n in ["cls", "class_", "klass", "_class"] {
            assert_eq!(t(n), "class");
        }
        for n in ["for_", "fr", "_for"] {
            assert_eq!(t(n), "for");
        }
    }

    #[test]
    fn underscores_become_hyphens() {
        assert_eq!(t("aria_label"), "aria-label");
        assert_eq!(t("hx_get"), "hx-get");
        assert_eq!(t("_hidden"), "hidden");
        assert_eq!(t("async_"), "async");
        assert_eq!(t("__x"), "-x");
        assert_eq!(t("id"), "id");
        assert_eq!(t("_"), "-");
    }

    #[test]
    fn non_identifiers_are_kept() {
        assert_eq!(
            t("data-on:click__debounce.500ms"),
            "data-on:click__debounce.500ms"
        );
        assert_eq!(t("@click"), "@click");
        assert_eq!(t("x-on:click"), "x-on:click");
    }

    #[test]
    fn datastar_keyed_plugins_use_a_colon() {
        assert_eq!(t("data_on_click"), "data-on:click");
        assert_eq!(t("data_on_my_event"), "data-on:my-event");
        assert_eq!(t("data_attr_title"), "data-attr:title");
        assert_eq!(t("data_class_active"), "data-class:active");
        assert_eq!(t("data_computed_x"), "data-computed:x");
        assert_eq!(t("data_signals_count"), "data-signals:count");
        assert_eq!(t("data_bind_name"), "data-bind:name");
        assert_eq!(
            t("data_style_background_color"),
            "data-style:background-color"
        );
    }

    #[test]
    fn datastar_plain_plugins() {
        for n in [
            "signals",
            "bind",
            "text",
            "show",
            "indicator",
            "effect",
            "init",
            "class",
        ] {
            assert_eq!(t(&format!("data_{n}")), format!("data-{n}"));
        }
        assert_eq!(t("data_foo_bar"), "data-foo-bar");
    }

    #[test]
    fn datastar_modifiers() {
        assert_eq!(
            t("data_on_input__debounce_500ms"),
            "data-on:input__debounce.500ms"
        );
        assert_eq!(
            t("data_on_keydown__window__debounce_500ms_leading"),
            "data-on:keydown__window__debounce.500ms.leading"
        );
        assert_eq!(t("data_init__delay_1s"), "data-init__delay.1s");
        assert_eq!(t("data_json_signals__terse"), "data-json-signals__terse");
    }

    #[test]
    fn datastar_hyphenated_plugins_keep_their_names() {
        assert_eq!(t("data_on_intersect"), "data-on-intersect");
        assert_eq!(t("data_on_intersect__once"), "data-on-intersect__once");
        assert_eq!(
            t("data_on_interval__duration_2s"),
            "data-on-interval__duration.2s"
        );
        assert_eq!(t("data_on_signal_patch"), "data-on-signal-patch");
        assert_eq!(
            t("data_on_signal_patch_filter"),
            "data-on-signal-patch-filter"
        );
        assert_eq!(t("data_ignore_morph"), "data-ignore-morph");
    }

    #[test]
    fn short_spellings() {
        assert_eq!(t("on_click"), "data-on:click");
        assert_eq!(t("on_click__prevent"), "data-on:click__prevent");
        assert_eq!(t("on_intersect"), "data-on-intersect");
        assert_eq!(t("signals"), "data-signals");
        assert_eq!(t("bind"), "data-bind");
        assert_eq!(t("show"), "data-show");
        assert_eq!(t("text"), "data-text");
        assert_eq!(t("attr_title"), "data-attr:title");
        assert_eq!(t("attrs"), "data-attr");
        assert_eq!(t("on"), "on");
    }

    #[test]
    fn underscore_turns_off_short_spellings() {
        assert_eq!(t("text_"), "text");
        assert_eq!(t("_show"), "show");
        assert_eq!(t("on_click_"), "on-click");
        assert_eq!(t("_on_click"), "on-click");
    }

    #[test]
    fn validation_rejects_markup_breaking_names() {
        for bad in [
            "", "a b", "a\"", "a'", "a=b", "a>", "a<", "a/b", "a\tb", "a\u{1}", "\u{fffe}",
        ] {
            assert!(validate(bad).is_err(), "{bad:?} should be rejected");
        }
        for good in [
            "class",
            "data-on:click__debounce.500ms",
            "@click",
            "x.y",
            "ünï",
        ] {
            assert!(validate(good).is_ok(), "{good:?} should be accepted");
        }
    }

    #[test]
    fn push_name_caches_and_validates() {
        let mut out = String::new();
        push_name(&mut out, "cls").unwrap();
        push_name(&mut out, "cls").unwrap();
        assert_eq!(out, "classclass");
        assert!(push_name(&mut out, "a b").is_err());
        assert!(push_name(&mut out, "a b").is_err());
    }
}
