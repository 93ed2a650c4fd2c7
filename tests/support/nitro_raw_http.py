"""HTTP/1.1 over a bare socket, for requests an HTTP client will not send.

httpx refuses URLs above 64 KiB and always sends whole bodies; these helpers send a
header that announces 400 MB and stop after a few KiB, or a chunked body without
``Content-Length``, and read the answer while still sending -- the way a server that
refuses early must be tested.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    #: Bytes of the request body the server had taken when its answer arrived.
    sent: int


def chunked(total: int, size: int = 64 * 1024) -> Iterable[bytes]:
    """``total`` bytes of a JSON-ish body, as ``Transfer-Encoding: chunked`` frames."""
    block = b" " * size
    while total > 0:
        data = block[: min(size, total)]
        total -= len(data)
        yield f"{len(data):x}\r\n".encode() + data + b"\r\n"
    yield b"0\r\n\r\n"


def raw_request(
    base_url: str,
    method: str,
    target: str,
    headers: Mapping[str, str] | None = None,
    body: Iterable[bytes] = (),
    timeout: float = 20,
) -> RawResponse:
    """Send the request line and headers, then the body pieces one by one, stopping as
    soon as the server answers (or closes); return the parsed answer."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}"]
    if headers and any(k.lower() == "host" for k in headers):
        lines.pop()
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock = socket.create_connection((host, port), timeout=timeout)
    sent = 0
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for piece in body:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break  # the server answered (or gave up) already
            try:
                sock.sendall(piece)
            except OSError:  # closed after answering: read what it said
                break
            sent += len(piece)
        return _read_response(sock, sent)
    finally:
        sock.close()


def _read_response(sock: socket.socket, sent: int) -> RawResponse:
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        headers = _headers(head)
        length = int(headers.get("content-length", "0") or 0)
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    except ConnectionResetError:
        head, _, rest = data.partition(b"\r\n\r\n")
    if not head:
        raise ConnectionError("the server closed the connection without an answer")
    status = int(head.split(b" ", 2)[1])
    return RawResponse(status, _headers(head), rest, sent)


def _headers(head: bytes) -> dict[str, str]:
    headers = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers
