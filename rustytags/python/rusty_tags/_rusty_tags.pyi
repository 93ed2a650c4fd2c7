"""Type stubs and documentation for the compiled core of rusty_tags.

Every tag callable (`Div`, `Span`, `Input`, ...) is a `TagFactory`; calling one returns
an `Element`, which holds the already rendered, escaped HTML.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol, final, type_check_only

__all__ = [
    "H1",
    "H2",
    "H3",
    "H4",
    "H5",
    "H6",
    "A",
    "Abbr",
    "Address",
    "Animate",
    "AnimateMotion",
    "AnimateTransform",
    "Area",
    "Article",
    "Aside",
    "Audio",
    "B",
    "Base",
    "Bdi",
    "Bdo",
    "Blockquote",
    "Body",
    "Br",
    "Button",
    "Canvas",
    "Caption",
    "Circle",
    "Cite",
    "ClipPath",
    "Code",
    "Col",
    "Colgroup",
    "Data",
    "Datalist",
    "Dd",
    "Defs",
    "Del",
    "Desc",
    "Details",
    "Dfn",
    "Dialog",
    "Div",
    "Dl",
    "Dt",
    "Element",
    "Ellipse",
    "Em",
    "Embed",
    "FeBlend",
    "FeColorMatrix",
    "FeComposite",
    "FeDropShadow",
    "FeFlood",
    "FeGaussianBlur",
    "FeMerge",
    "FeMergeNode",
    "FeOffset",
    "Fieldset",
    "Figcaption",
    "Figure",
    "Filter",
    "Footer",
    "ForeignObject",
    "Form",
    "Fragment",
    "G",
    "Head",
    "Header",
    "Hgroup",
    "Hr",
    "Html",
    "I",
    "Iframe",
    "Image",
    "Img",
    "Input",
    "Ins",
    "Kbd",
    "Label",
    "Legend",
    "Li",
    "Line",
    "LinearGradient",
    "Link",
    "Main",
    "Map",
    "Mark",
    "Marker",
    "Mask",
    "Math",
    "Menu",
    "Meta",
    "Metadata",
    "Meter",
    "Nav",
    "Noscript",
    "Object",
    "Ol",
    "Optgroup",
    "Option",
    "OptionEl",
    "Output",
    "P",
    "Path",
    "Pattern",
    "Picture",
    "Polygon",
    "Polyline",
    "Pre",
    "Progress",
    "Q",
    "RadialGradient",
    "Raw",
    "Rect",
    "Rp",
    "Rt",
    "Ruby",
    "S",
    "Samp",
    "Script",
    "Search",
    "Section",
    "Select",
    "Slot",
    "Small",
    "Source",
    "Span",
    "Stop",
    "Strong",
    "Style",
    "Sub",
    "Summary",
    "Sup",
    "Svg",
    "Symbol",
    "Table",
    "Tag",
    "TagFactory",
    "Tbody",
    "Td",
    "Template",
    "Text",
    "TextPath",
    "Textarea",
    "Tfoot",
    "Th",
    "Thead",
    "Time",
    "Title",
    "Tr",
    "Track",
    "Tspan",
    "U",
    "Ul",
    "Use",
    "Var",
    "Video",
    "Wbr",
    "__version__",
]

__version__: str

@type_check_only
class _HasHtml(Protocol):
    def __html__(self) -> str: ...

_Child = str | int | float | None | "Element" | _HasHtml | Sequence[_Child] | Iterator[_Child]
"""What can go inside an element.

``str`` is escaped; ``int``/``float`` are written with ``str()``; ``None`` and ``False`` are
skipped (``True`` is a ``TypeError``); lists, tuples and generators are flattened;
`Element` and any object with ``__html__`` (such as ``markupsafe.Markup``) are inserted
as they are. Anything else is a ``TypeError``.
"""

_AttrValue = str | int | float | bool | None | Mapping[str, object] | Sequence[object]
"""What an attribute value can be.

``str``, ``int`` and ``float`` are escaped; ``True`` writes the bare name (``hidden``);
``False`` and ``None`` leave the attribute out; ``dict``, ``list`` and ``tuple`` are
written as compact JSON (then escaped), e.g. ``data_signals={"count": 0}``.
"""

@final
class Element:
    """Rendered HTML: the result of every tag, `Fragment` and `Raw`.

    It is immutable and can be reused as a child any number of times. ``str()``,
    ``__html__()`` and ``render()`` all return the HTML, so an element drops into
    Jinja2 or markupsafe templates without being escaped again. Two elements are
    equal when their HTML is equal.
    """

    def __html__(self) -> str:
        """The HTML, for Jinja2 and markupsafe (``Markup(element)``)."""

    def render(self) -> str:
        """The HTML as a ``str``."""

    def _repr_html_(self) -> str:
        """The HTML, for Jupyter."""

    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class TagFactory:
    """A callable that builds one kind of element, e.g. `Div`.

    ``Div(*children, **attrs)`` returns an `Element`. Attribute names are translated
    from Python spelling: ``cls``/``class_``/``klass`` -> ``class``, ``for_``/``fr`` ->
    ``for``, one leading and one trailing ``_`` dropped, other ``_`` -> ``-``, and
    Datastar names such as ``data_on_click`` -> ``data-on:click`` (see ``docs/html.md``).
    Names that are not Python identifiers (``**{"@click": ...}``) are used as given.

    Raises ``ValueError`` for attribute names with whitespace, quotes, ``=``, ``<``,
    ``>`` or ``/``, for strings with lone surrogates or NUL, for children of void
    elements and for an attribute given twice; ``TypeError`` for unsupported child or
    attribute value types.
    """

    @property
    def name(self) -> str:
        """The tag name, e.g. ``"div"``."""

    @property
    def void(self) -> bool:
        """Whether the element is void (``<input>``, ``<br>``, ...): no children, no end tag."""

    def __call__(self, *children: _Child, **attrs: _AttrValue) -> Element:
        """Builds the element with these children and attributes."""

def Tag(name: str, /, *children: _Child, **attrs: _AttrValue) -> Element:
    """Builds an element with any tag name, e.g. ``Tag("my-widget", "hi", cls="x")``.

    The name must start with an ASCII letter, followed by letters, digits, ``-``, ``_``,
    ``.`` or ``:`` (``ValueError`` otherwise). Void names (``input``, ``br``, ...) are
    written without an end tag.
    """

def Fragment(*children: _Child) -> Element:
    """The children without a surrounding tag (it takes no attributes)."""

def Raw(html: str, /) -> Element:
    """Trusted HTML, inserted exactly as given, never escaped.

    Use it for markup you wrote or sanitized yourself, never for user input. (In
    rusty-tags 0.7.0, ``Safe(text)`` *escaped* its argument; text is now escaped by
    default, and `Raw` is the explicit opposite.)
    """

# HTML elements: every element of the HTML living standard (plus MathML's `math`).
A: TagFactory
"""``<a>``."""
Abbr: TagFactory
"""``<abbr>``."""
Address: TagFactory
"""``<address>``."""
Area: TagFactory
"""``<area>`` (void: no children, no end tag)."""
Article: TagFactory
"""``<article>``."""
Aside: TagFactory
"""``<aside>``."""
Audio: TagFactory
"""``<audio>``."""
B: TagFactory
"""``<b>``."""
Base: TagFactory
"""``<base>`` (void: no children, no end tag)."""
Bdi: TagFactory
"""``<bdi>``."""
Bdo: TagFactory
"""``<bdo>``."""
Blockquote: TagFactory
"""``<blockquote>``."""
Body: TagFactory
"""``<body>``."""
Br: TagFactory
"""``<br>`` (void: no children, no end tag)."""
Button: TagFactory
"""``<button>``."""
Canvas: TagFactory
"""``<canvas>``."""
Caption: TagFactory
"""``<caption>``."""
Cite: TagFactory
"""``<cite>``."""
Code: TagFactory
"""``<code>``."""
Col: TagFactory
"""``<col>`` (void: no children, no end tag)."""
Colgroup: TagFactory
"""``<colgroup>``."""
Data: TagFactory
"""``<data>``."""
Datalist: TagFactory
"""``<datalist>``."""
Dd: TagFactory
"""``<dd>``."""
Del: TagFactory
"""``<del>``."""
Details: TagFactory
"""``<details>``."""
Dfn: TagFactory
"""``<dfn>``."""
Dialog: TagFactory
"""``<dialog>``."""
Div: TagFactory
"""``<div>``."""
Dl: TagFactory
"""``<dl>``."""
Dt: TagFactory
"""``<dt>``."""
Em: TagFactory
"""``<em>``."""
Embed: TagFactory
"""``<embed>`` (void: no children, no end tag)."""
Fieldset: TagFactory
"""``<fieldset>``."""
Figcaption: TagFactory
"""``<figcaption>``."""
Figure: TagFactory
"""``<figure>``."""
Footer: TagFactory
"""``<footer>``."""
Form: TagFactory
"""``<form>``."""
H1: TagFactory
"""``<h1>``."""
H2: TagFactory
"""``<h2>``."""
H3: TagFactory
"""``<h3>``."""
H4: TagFactory
"""``<h4>``."""
H5: TagFactory
"""``<h5>``."""
H6: TagFactory
"""``<h6>``."""
Head: TagFactory
"""``<head>``."""
Header: TagFactory
"""``<header>``."""
Hgroup: TagFactory
"""``<hgroup>``."""
Hr: TagFactory
"""``<hr>`` (void: no children, no end tag)."""
Html: TagFactory
"""``<html>``."""
I: TagFactory
"""``<i>``."""
Iframe: TagFactory
"""``<iframe>``."""
Img: TagFactory
"""``<img>`` (void: no children, no end tag)."""
Input: TagFactory
"""``<input>`` (void: no children, no end tag)."""
Ins: TagFactory
"""``<ins>``."""
Kbd: TagFactory
"""``<kbd>``."""
Label: TagFactory
"""``<label>``."""
Legend: TagFactory
"""``<legend>``."""
Li: TagFactory
"""``<li>``."""
Link: TagFactory
"""``<link>`` (void: no children, no end tag)."""
Main: TagFactory
"""``<main>``."""
Map: TagFactory
"""``<map>``."""
Mark: TagFactory
"""``<mark>``."""
Math: TagFactory
"""``<math>``."""
Menu: TagFactory
"""``<menu>``."""
Meta: TagFactory
"""``<meta>`` (void: no children, no end tag)."""
Meter: TagFactory
"""``<meter>``."""
Nav: TagFactory
"""``<nav>``."""
Noscript: TagFactory
"""``<noscript>``."""
Object: TagFactory
"""``<object>``."""
Ol: TagFactory
"""``<ol>``."""
Optgroup: TagFactory
"""``<optgroup>``."""
Option: TagFactory
"""``<option>``."""
OptionEl: TagFactory
"""``<option>``."""
Output: TagFactory
"""``<output>``."""
P: TagFactory
"""``<p>``."""
Picture: TagFactory
"""``<picture>``."""
Pre: TagFactory
"""``<pre>``."""
Progress: TagFactory
"""``<progress>``."""
Q: TagFactory
"""``<q>``."""
Rp: TagFactory
"""``<rp>``."""
Rt: TagFactory
"""``<rt>``."""
Ruby: TagFactory
"""``<ruby>``."""
S: TagFactory
"""``<s>``."""
Samp: TagFactory
"""``<samp>``."""
Script: TagFactory
"""``<script>``."""
Search: TagFactory
"""``<search>``."""
Section: TagFactory
"""``<section>``."""
Select: TagFactory
"""``<select>``."""
Slot: TagFactory
"""``<slot>``."""
Small: TagFactory
"""``<small>``."""
Source: TagFactory
"""``<source>`` (void: no children, no end tag)."""
Span: TagFactory
"""``<span>``."""
Strong: TagFactory
"""``<strong>``."""
Style: TagFactory
"""``<style>``."""
Sub: TagFactory
"""``<sub>``."""
Summary: TagFactory
"""``<summary>``."""
Sup: TagFactory
"""``<sup>``."""
Table: TagFactory
"""``<table>``."""
Tbody: TagFactory
"""``<tbody>``."""
Td: TagFactory
"""``<td>``."""
Template: TagFactory
"""``<template>``."""
Textarea: TagFactory
"""``<textarea>``."""
Tfoot: TagFactory
"""``<tfoot>``."""
Th: TagFactory
"""``<th>``."""
Thead: TagFactory
"""``<thead>``."""
Time: TagFactory
"""``<time>``."""
Title: TagFactory
"""``<title>``."""
Tr: TagFactory
"""``<tr>``."""
Track: TagFactory
"""``<track>`` (void: no children, no end tag)."""
U: TagFactory
"""``<u>``."""
Ul: TagFactory
"""``<ul>``."""
Var: TagFactory
"""``<var>``."""
Video: TagFactory
"""``<video>``."""
Wbr: TagFactory
"""``<wbr>`` (void: no children, no end tag)."""

# SVG elements (names such as ``linearGradient`` keep their case).
Animate: TagFactory
"""SVG ``<animate>``."""
AnimateMotion: TagFactory
"""SVG ``<animateMotion>``."""
AnimateTransform: TagFactory
"""SVG ``<animateTransform>``."""
Circle: TagFactory
"""SVG ``<circle>``."""
ClipPath: TagFactory
"""SVG ``<clipPath>``."""
Defs: TagFactory
"""SVG ``<defs>``."""
Desc: TagFactory
"""SVG ``<desc>``."""
Ellipse: TagFactory
"""SVG ``<ellipse>``."""
FeBlend: TagFactory
"""SVG ``<feBlend>``."""
FeColorMatrix: TagFactory
"""SVG ``<feColorMatrix>``."""
FeComposite: TagFactory
"""SVG ``<feComposite>``."""
FeDropShadow: TagFactory
"""SVG ``<feDropShadow>``."""
FeFlood: TagFactory
"""SVG ``<feFlood>``."""
FeGaussianBlur: TagFactory
"""SVG ``<feGaussianBlur>``."""
FeMerge: TagFactory
"""SVG ``<feMerge>``."""
FeMergeNode: TagFactory
"""SVG ``<feMergeNode>``."""
FeOffset: TagFactory
"""SVG ``<feOffset>``."""
Filter: TagFactory
"""SVG ``<filter>``."""
ForeignObject: TagFactory
"""SVG ``<foreignObject>``."""
G: TagFactory
"""SVG ``<g>``."""
Image: TagFactory
"""SVG ``<image>``."""
Line: TagFactory
"""SVG ``<line>``."""
LinearGradient: TagFactory
"""SVG ``<linearGradient>``."""
Marker: TagFactory
"""SVG ``<marker>``."""
Mask: TagFactory
"""SVG ``<mask>``."""
Metadata: TagFactory
"""SVG ``<metadata>``."""
Path: TagFactory
"""SVG ``<path>``."""
Pattern: TagFactory
"""SVG ``<pattern>``."""
Polygon: TagFactory
"""SVG ``<polygon>``."""
Polyline: TagFactory
"""SVG ``<polyline>``."""
RadialGradient: TagFactory
"""SVG ``<radialGradient>``."""
Rect: TagFactory
"""SVG ``<rect>``."""
Stop: TagFactory
"""SVG ``<stop>``."""
Svg: TagFactory
"""SVG ``<svg>``."""
Symbol: TagFactory
"""SVG ``<symbol>``."""
Text: TagFactory
"""SVG ``<text>``."""
TextPath: TagFactory
"""SVG ``<textPath>``."""
Tspan: TagFactory
"""SVG ``<tspan>``."""
Use: TagFactory
"""SVG ``<use>``."""
