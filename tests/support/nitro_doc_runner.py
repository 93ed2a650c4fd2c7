"""Run the python blocks of one docs page, in order, in one namespace.

Reads ``[{"path", "where", "line", "source"}, ...]`` on stdin (see nitro_doc_blocks.py).
Each block is compiled with the markdown file as its file name and its own line numbers,
so a traceback points at the page's line. The namespace is a module named ``doc_page``
(registered in ``sys.modules``, so dataclasses and pydantic find it), never
``__main__``: ``if __name__ == "__main__": uvicorn.run(...)`` does not start a server.
On an error the runner prints ``DOC-BLOCK-FAILED <file>:<line> <exception>`` and the
traceback to stderr and exits with 1.
"""

from __future__ import annotations

import json
import sys
import traceback
import types


def main() -> int:
    blocks = json.load(sys.stdin)
    module = types.ModuleType("doc_page")
    sys.modules["doc_page"] = module
    namespace = module.__dict__
    for block in blocks:
        try:
            # Blank lines first, so the code's line numbers are the page's.
            source = "\n" * block["line"] + block["source"]
            exec(compile(source, block["path"], "exec", dont_inherit=True), namespace)
        except BaseException as error:
            sys.stdout.flush()
            summary = f"{type(error).__module__}.{type(error).__qualname__}".removeprefix(
                "builtins."
            )
            message = str(error).strip().splitlines()
            if message:
                summary += f": {message[0]}"
            print(f"DOC-BLOCK-FAILED {block['where']} {summary}", file=sys.stderr)
            traceback.print_exc()
            return 1
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
