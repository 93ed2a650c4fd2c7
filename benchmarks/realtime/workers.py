"""The load-generator processes (``loadgen.py``), driven as one pool."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from children import die_with_parent

LOADGEN = Path(__file__).resolve().parent / "loadgen.py"


class Workers:
    """``procs`` load generators sharing ``connections`` streams of one server."""

    def __init__(self, processes: list[asyncio.subprocess.Process]):
        self.processes = processes

    @classmethod
    async def start(
        cls,
        port: int,
        path: str,
        connections: int,
        procs: int,
        transport: str = "sse",
        deadline: float = 600.0,
    ) -> Workers:
        shares = [connections // procs + (i < connections % procs) for i in range(procs)]
        processes = []
        for share in shares:
            if share == 0:
                continue
            command = [
                sys.executable, str(LOADGEN), "--port", str(port), "--path", path,
                "--connections", str(share), "--transport", transport,
                "--deadline", str(deadline),
            ]  # fmt: skip
            processes.append(
                await asyncio.create_subprocess_exec(
                    *command,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=256 * 1024 * 1024,
                    cwd=LOADGEN.parent,
                    preexec_fn=die_with_parent,
                )
            )
        return cls(processes)

    async def _read_all(self) -> list[dict[str, Any]]:
        async def read(process: asyncio.subprocess.Process) -> dict[str, Any]:
            assert process.stdout is not None
            line = await process.stdout.readline()
            if not line:
                raise RuntimeError(f"load generator {process.pid} exited")
            return json.loads(line)

        return list(await asyncio.gather(*(read(p) for p in self.processes)))

    async def _send(self, command: bytes) -> None:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write(command + b"\n")
            await process.stdin.drain()

    async def ready(self) -> list[dict[str, Any]]:
        """Each process's answer once all its connections are open (or failed)."""
        return await self._read_all()

    async def report(self) -> list[dict[str, Any]]:
        await self._send(b"report")
        return await self._read_all()

    async def close(self) -> None:
        """Ask them to close their connections and exit; kill those that do not."""
        for process in self.processes:
            if process.returncode is None and process.stdin is not None:
                try:
                    process.stdin.write(b"close\n")
                    process.stdin.close()
                except (BrokenPipeError, ConnectionResetError):
                    pass
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
