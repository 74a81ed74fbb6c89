"""What each parallel test process (a pytest-xdist worker) owns, so workers never meet.

Ports: a test that needs a port for a server the bot opens itself (the webhook endpoint, the
metrics endpoint) cannot bind to port 0; it picks a free port and hands its number over. A port
found free by binding to 0 and closing is free for everyone, and another worker's server could
take it before the bot listens. So each worker picks from a range of its own, below the
system's ephemeral range (where binding to 0 never lands), and moves on through it.
Temporary folders and PostgreSQL databases are the worker's own already (pytest's per-worker
basetemp; a cluster or database names per worker: tests/postgres.py).

A round that a module's tests share (a module fixture) must run on one worker: the module is
an xdist_group, and `run_once` fails the run should a scheduler split it after all.
"""

from __future__ import annotations

import itertools
import os
import socket
from pathlib import Path
from typing import Final

import pytest

#: Ports each worker may hand out; tests take a few each, and the range wraps around.
PORTS_PER_WORKER: Final = 400
#: Linux's default when /proc does not say (net.ipv4.ip_local_port_range).
DEFAULT_EPHEMERAL_LOW: Final = 32768
LOWEST_PORT: Final = 1024

_taken = itertools.count()


def worker_name() -> str:
    """The worker's name under pytest-xdist ("gw0", "gw1", ...); "main" in a single process."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def worker_index() -> int:
    name = worker_name()
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0


def run_once(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Claims `name` for this test run; a second claim, by another worker of the same run, is
    an error: the round would run (and cost its minutes) once per worker."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return  # one process: a module fixture runs once anyway
    run_folder = tmp_path_factory.getbasetemp().parent  # shared by this run's workers
    try:
        os.close(os.open(run_folder / f"once-{name}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        raise RuntimeError(
            f"{name} already ran on another worker of this run: its module is an xdist_group "
            "and must stay on one worker (run with --dist loadgroup; see the pytest pin in "
            "pyproject.toml)"
        ) from None


def _ephemeral_low() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return DEFAULT_EPHEMERAL_LOW


def port_range(index: int | None = None) -> range:
    """This worker's ports: the `index`-th block of PORTS_PER_WORKER below the ephemeral range."""
    slot = worker_index() if index is None else index
    top = _ephemeral_low() - slot * PORTS_PER_WORKER
    bottom = top - PORTS_PER_WORKER
    if bottom < LOWEST_PORT:
        raise RuntimeError(
            f"no port range for worker {slot}: fewer workers (pytest -n) or a higher "
            "net.ipv4.ip_local_port_range"
        )
    return range(bottom, top)


def free_port() -> int:
    """A port of this worker's range that nothing listens on now."""
    ports = port_range()
    for _ in ports:
        port = ports[next(_taken) % len(ports)]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"every port of {ports.start}-{ports.stop - 1} is in use")
