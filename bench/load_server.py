"""``caisse serve`` as a subprocess for the load test: start on a free port of 127.0.0.1,
wait until ``/v1/health`` answers, stop (its whole session: the server and its workers,
nothing else)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"caisse serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/v1/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("caisse serve did not become healthy in time")


def start_server(
    url: str,
    port: int,
    workers: int,
    log: Path,
    postgres_options: str | None = None,
    tree: Path = ROOT,
) -> subprocess.Popen[bytes]:
    """``postgres_options``: PGOPTIONS for the server's connections (a what-if's settings);
    ``tree``: the source tree whose ``app`` serves (first on PYTHONPATH, also the working
    directory; the repository's own by default, another checkout for a before/after)."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(tree)}
    if postgres_options:
        env["PGOPTIONS"] = postgres_options
    command = [
        str(ROOT / ".venv" / "bin" / "caisse"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log.open("wb") as out:
        # A session of its own, so stopping it stops its workers and nothing else.
        return subprocess.Popen(
            command, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
