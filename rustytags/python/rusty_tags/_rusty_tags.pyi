"""Type stubs and documentation for the compiled core of rusty_tags.

Every tag callable (`Div`, `Span`, `Input`, ...) returns an `Element`, which holds the
already rendered, escaped HTML.

Attribute names are translated from Python spelling: ``cls``/``class_``/``klass`` ->
``class``, ``for_``/``fr`` -> ``for``, one leading and one trailing ``_`` dropped, other ``_``
-> ``-``, and Datastar names such as ``data_on_click`` -> ``data-on:click`` (see
``docs/html.md``). Names that are not Python identifiers (``**{"@click": ...}``) are used as
given. Errors: ``ValueError`` for attribute names with whitespace, quotes, ``=``, ``<``,
``>`` or ``/``, for strings with lone surrogates, for children of void elements, for an
attribute given twice and for a ``<script>``/``<style>`` holding ``<`` inside ``<svg>`` or
``<math>``; ``TypeError`` for unsupported child or attribute value types. U+0000 in text
and attribute values is written as U+FFFD, as HTML parsers read it, so rendering stored
data never fails on it.
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
    "VOID_ELEMENTS",
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
    "Selectedcontent",
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
    "datastar_json",
    "js_string",
]

__version__: str
VOID_ELEMENTS: frozenset[str]
"""Names of the void elements (``input``, ``br``, ...), written without an end tag."""

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
written as compact JSON (then escaped), e.g. ``data_signals={"count": 0}``, with the
escapes of `datastar_json`.
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

    def __reduce__(self) -> tuple[object, tuple[str]]:
        """Pickles as ``Raw(html)``."""

    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

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

def datastar_json(value: object, /) -> str:
    """Compact JSON that Datastar reads back unchanged and never runs.

    Datastar compiles ``data-*`` values (``data-signals`` included) as JavaScript after
    rewriting them: ``@name(`` becomes an action call and its own escape markers are put
    back by name, inside string literals too. So besides JSON's own escapes, ``@``,
    ``$``, backticks, ``;``, both quotes, ``<`` and every non-ASCII character are
    written as ``\\uXXXX``. Accepts what attribute values accept (str,
    int, float, bool, None, dict, list, tuple); NaN and infinity are a ``ValueError``.
    Use it for ``data-signals`` strings and ``datastar-patch-signals`` events.
    """

def js_string(text: str, /) -> str:
    """A single-quoted JavaScript string literal of *text*, with the escapes of
    `datastar_json`: for text placed inside a Datastar expression, such as a URL in
    ``@get(...)`` or an id."""

# HTML elements: every element of the HTML living standard (plus MathML's `math`).
# Each builds its element from children and attributes, like `Tag` with a fixed name.

def A(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<a>``."""

def Abbr(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<abbr>``."""

def Address(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<address>``."""

def Area(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<area>``. Void: no children (``ValueError``), no end tag."""

def Article(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<article>``."""

def Aside(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<aside>``."""

def Audio(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<audio>``."""

def B(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<b>``."""

def Base(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<base>``. Void: no children (``ValueError``), no end tag."""

def Bdi(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<bdi>``."""

def Bdo(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<bdo>``."""

def Blockquote(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<blockquote>``."""

def Body(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<body>``."""

def Br(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<br>``. Void: no children (``ValueError``), no end tag."""

def Button(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<button>``."""

def Canvas(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<canvas>``."""

def Caption(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<caption>``."""

def Cite(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<cite>``."""

def Code(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<code>``."""

def Col(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<col>``. Void: no children (``ValueError``), no end tag."""

def Colgroup(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<colgroup>``."""

def Data(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<data>``."""

def Datalist(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<datalist>``."""

def Dd(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<dd>``."""

def Del(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<del>``."""

def Details(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<details>``."""

def Dfn(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<dfn>``."""

def Dialog(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<dialog>``."""

def Div(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<div>``."""

def Dl(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<dl>``."""

def Dt(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<dt>``."""

def Em(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<em>``."""

def Embed(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<embed>``. Void: no children (``ValueError``), no end tag."""

def Fieldset(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<fieldset>``."""

def Figcaption(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<figcaption>``."""

def Figure(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<figure>``."""

def Footer(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<footer>``."""

def Form(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<form>``."""

def H1(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<h1>``."""

def H2(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<h2>``."""

def H3(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<h3>``."""

def H4(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<h4>``."""

def H5(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<h5>``."""

def H6(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<h6>``."""

def Head(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<head>``."""

def Header(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<header>``."""

def Hgroup(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<hgroup>``."""

def Hr(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<hr>``. Void: no children (``ValueError``), no end tag."""

def Html(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<html>``."""

def I(*children: _Child, **attrs: _AttrValue) -> Element:  # noqa: E743
    """``<i>``."""

def Iframe(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<iframe>``."""

def Img(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<img>``. Void: no children (``ValueError``), no end tag."""

def Input(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<input>``. Void: no children (``ValueError``), no end tag."""

def Ins(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<ins>``."""

def Kbd(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<kbd>``."""

def Label(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<label>``."""

def Legend(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<legend>``."""

def Li(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<li>``."""

def Link(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<link>``. Void: no children (``ValueError``), no end tag."""

def Main(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<main>``."""

def Map(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<map>``."""

def Mark(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<mark>``."""

def Math(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<math>``."""

def Menu(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<menu>``."""

def Meta(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<meta>``. Void: no children (``ValueError``), no end tag."""

def Meter(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<meter>``."""

def Nav(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<nav>``."""

def Noscript(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<noscript>``."""

def Object(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<object>``."""

def Ol(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<ol>``."""

def Optgroup(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<optgroup>``."""

def Option(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<option>``."""

def OptionEl(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<option>``. Alias of `Option`, as in rusty-tags 0.7.0."""

def Output(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<output>``."""

def P(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<p>``."""

def Picture(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<picture>``."""

def Pre(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<pre>``. A leading newline in the content is kept (the parser drops one)."""

def Progress(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<progress>``."""

def Q(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<q>``."""

def Rp(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<rp>``."""

def Rt(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<rt>``."""

def Ruby(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<ruby>``."""

def S(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<s>``."""

def Samp(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<samp>``."""

def Script(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<script>``. Text is not escaped; text containing ``</script`` is a ``ValueError``."""

def Search(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<search>``."""

def Section(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<section>``."""

def Select(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<select>``."""

def Selectedcontent(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<selectedcontent>``."""

def Slot(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<slot>``."""

def Small(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<small>``."""

def Source(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<source>``. Void: no children (``ValueError``), no end tag."""

def Span(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<span>``."""

def Strong(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<strong>``."""

def Style(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<style>``. Text is not escaped; text containing ``</style`` is a ``ValueError``."""

def Sub(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<sub>``."""

def Summary(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<summary>``."""

def Sup(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<sup>``."""

def Table(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<table>``."""

def Tbody(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<tbody>``."""

def Td(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<td>``."""

def Template(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<template>``."""

def Textarea(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<textarea>``. A leading newline in the content is kept (the parser drops one)."""

def Tfoot(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<tfoot>``."""

def Th(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<th>``."""

def Thead(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<thead>``."""

def Time(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<time>``."""

def Title(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<title>``."""

def Tr(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<tr>``."""

def Track(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<track>``. Void: no children (``ValueError``), no end tag."""

def U(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<u>``."""

def Ul(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<ul>``."""

def Var(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<var>``."""

def Video(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<video>``."""

def Wbr(*children: _Child, **attrs: _AttrValue) -> Element:
    """``<wbr>``. Void: no children (``ValueError``), no end tag."""

# SVG elements (names such as ``linearGradient`` keep their case).

def Svg(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<svg>``."""

def G(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<g>``."""

def Defs(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<defs>``."""

def Symbol(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<symbol>``."""

def Use(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<use>``."""

def Circle(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<circle>``."""

def Ellipse(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<ellipse>``."""

def Line(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<line>``."""

def Path(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<path>``."""

def Polygon(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<polygon>``."""

def Polyline(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<polyline>``."""

def Rect(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<rect>``."""

def Text(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<text>``."""

def Tspan(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<tspan>``."""

def TextPath(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<textPath>``."""

def Image(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<image>``."""

def ForeignObject(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<foreignObject>``."""

def Marker(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<marker>``."""

def Pattern(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<pattern>``."""

def ClipPath(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<clipPath>``."""

def Mask(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<mask>``."""

def LinearGradient(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<linearGradient>``."""

def RadialGradient(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<radialGradient>``."""

def Stop(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<stop>``."""

def Filter(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<filter>``."""

def FeBlend(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<feBlend>``."""

def FeColorMatrix(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<feColorMatrix>``."""

def FeComposite(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<feComposite>``."""

def FeDropShadow(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<feDropShadow>``."""

def FeFlood(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<feFlood>``."""

def FeGaussianBlur(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<feGaussianBlur>``."""

def FeMerge(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<feMerge>``."""

def FeMergeNode(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<feMergeNode>``."""

def FeOffset(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<feOffset>``."""

def Animate(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<animate>``."""

def AnimateMotion(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<animateMotion>``."""

def AnimateTransform(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<animateTransform>``."""

def Desc(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<desc>``."""

def Metadata(*children: _Child, **attrs: _AttrValue) -> Element:
    """SVG ``<metadata>``."""
