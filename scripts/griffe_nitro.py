"""griffe extensions for Nitro's API reference (mkdocs.yml, tests/test_docs_site.py).

- :class:`PkgutilNamespaceInit`: nitro-core's ``nitro/__init__.py`` starts with
  ``__path__ = __import__("pkgutil").extend_path(__path__, __name__)`` so the other
  distributions' ``nitro/`` directories add their subpackages (docs/contributing.md).
  griffe treats such a package as a namespace: it merges the directories but ignores
  the ``__init__.py``, so ``nitro.Entity``, ``nitro.action`` and the rest of
  ``nitro.__all__`` would be missing from the reference. The extension visits that
  ``__init__.py`` once the package is loaded and gives the package its docstring,
  members and ``__all__``.
- :class:`CommentDocstrings`: the sources document constants Sphinx's way, with a
  ``#:`` comment on the lines above the assignment (or after it on the same line);
  griffe reads only a string literal below it. The extension turns those comments
  into the attribute's docstring.
- :class:`PrivateBasesInline`: a long class is split into private mixins in modules
  of their own (``Bus(_Registration)``, ``SQLModelBackend(_Reads, ...)``); mkdocstrings
  leaves inherited members out, so the public class would lose those methods from its
  page. The extension lists the members of its private bases (``_``-named, or in a
  ``_``-named module) as the class's own.
- :class:`RstToMarkdown`: the docstrings are written in reST (``:class:`X```,
  ``literal::``) and mkdocstrings renders Markdown; the extension turns roles into code
  spans and quotes bare HTML tags (``Builds a <div> element``) so browsers show them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import griffe


class PkgutilNamespaceInit(griffe.Extension):
    """Merge the ``__init__.py`` of a pkgutil-style namespace package into the package."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if not isinstance(pkg.filepath, list):
            return
        inits = [Path(d) / "__init__.py" for d in pkg.filepath]
        inits = [init for init in inits if init.is_file()]
        if len(inits) != 1:
            return
        init = inits[0]
        code = init.read_text()
        loader.lines_collection[init] = code.splitlines()
        module = griffe.visit(
            pkg.path,
            init,
            code,
            extensions=loader.extensions,
            docstring_parser=loader.docstring_parser,
            docstring_options=loader.docstring_options,
            lines_collection=loader.lines_collection,
            modules_collection=loader.modules_collection,
        )
        for name, member in module.members.items():
            if name not in pkg.members:
                pkg.set_member(name, member)
        pkg.imports.update(module.imports)
        if module.docstring is not None:
            module.docstring.parent = pkg
            pkg.docstring = module.docstring
        if module.exports is not None:
            pkg.exports = module.exports
        loader.expand_exports(pkg)


class CommentDocstrings(griffe.Extension):
    """Use ``#:`` comments as the docstrings of the attributes they document."""

    def on_attribute_instance(
        self,
        *,
        node: ast.AST | griffe.ObjectNode,
        attr: griffe.Attribute,
        agent: griffe.Visitor | griffe.Inspector,
        **kwargs: Any,
    ) -> None:
        if attr.docstring is not None or not isinstance(agent, griffe.Visitor):
            return
        if attr.lineno is None:
            return
        lines = agent.code.splitlines()
        first = attr.lineno - 1  # 0-based index of the assignment's first line
        comment: list[str] = []
        index = first - 1
        while index >= 0 and lines[index].lstrip().startswith("#:"):
            comment.insert(0, lines[index].lstrip()[2:].strip())
            index -= 1
        if not comment and "#:" in lines[first]:
            comment = [lines[first].split("#:", 1)[1].strip()]
        if comment:
            attr.docstring = griffe.Docstring(
                "\n".join(comment),
                lineno=index + 2,
                endlineno=first,
                parent=attr,
                parser=agent.docstring_parser,
                parser_options=agent.docstring_options,
            )


class PrivateBasesInline(griffe.Extension):
    """Members of a class's private base classes (``_``-named, or in a ``_``-named
    module) become its own."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        for cls in _objects(pkg):
            if not isinstance(cls, griffe.Class):
                continue
            try:
                ancestors = cls.mro()
            except (ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
                continue
            for base in ancestors:
                if not any(part.startswith("_") for part in base.path.split(".")):
                    continue
                for name, member in base.members.items():
                    if name not in cls.members:
                        cls.set_member(name, griffe.Alias(name, member, parent=cls))


def _objects(pkg: griffe.Module) -> list[griffe.Object]:
    """*pkg* and every object defined in it, its submodules' too (not aliases)."""
    found: list[griffe.Object] = []
    seen: set[int] = set()
    stack: list[griffe.Object] = [pkg]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        found.append(obj)
        stack.extend(m for m in obj.members.values() if not m.is_alias)  # type: ignore[misc]
    return found


_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|exc|data|obj|const):`([^`]+)`")
_CODE_SPAN = re.compile(r"(``.+?``|`[^`\n]+`)")
_CODE_DIRECTIVE = re.compile(r"^\.\. (?:code-block|code|sourcecode)::.*$")
_HTML_TAG = re.compile(r"</?[a-z][a-z0-9-]*(?:\s[^<>\n]*)?/?>")


def _role_text(target: str) -> str:
    """What a Sphinx role shows: ``~a.b.C`` -> ``C``, ``Title <a.b>`` -> ``Title``."""
    if target.endswith(">") and " <" in target:
        return target.split(" <", 1)[0]
    if target.startswith("~"):
        return target[1:].rsplit(".", 1)[-1]
    return target.removeprefix("!")


def rst_to_markdown(text: str) -> str:
    """The docstring text with the reST the sources use made readable as Markdown.

    Roles (``:class:`~nitro.entity.Entity```) become code spans (``Entity``), literal
    blocks' ``::`` a colon, ``.. code-block::`` lines go (the indented block under them
    stays a code block), and bare HTML tags outside code (``Builds a <div>``) code
    spans, so the browser shows them rather than interpreting them.
    """
    lines = []
    for line in _ROLE.sub(lambda m: f"``{_role_text(m.group(1))}``", text).split("\n"):
        if _CODE_DIRECTIVE.match(line):
            continue
        if not line.startswith("    "):  # an indented line is a code block: as written
            parts = _CODE_SPAN.split(line)
            for index in range(0, len(parts), 2):
                parts[index] = _HTML_TAG.sub(lambda m: f"``{m.group(0)}``", parts[index])
            line = "".join(parts)
            if line.endswith("::"):
                line = line[:-1]
        lines.append(line)
    return "\n".join(lines)


class RstToMarkdown(griffe.Extension):
    """Rewrite every docstring of a loaded package with :func:`rst_to_markdown`."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        for obj in _objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = rst_to_markdown(obj.docstring.value)
