"""Helpers shared by the benchmarks: a fresh PostgreSQL database, child processes measured for
time and peak memory, and a plain table printer."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "var" / "bench-data"
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def fresh_postgres(name: str) -> str:
    """Drop and create database `name`, migrate it, return its URL."""
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{POSTGRES}/{name}"
    run_child([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], database_url=url)
    return url


def run_child(
    command: Sequence[str], *, database_url: str, extra_env: dict | None = None, cpu: bool = False
) -> tuple[float, ...]:
    """Run `command` from the repository root; return (seconds, peak resident MiB of the child),
    and with `cpu` also the CPU seconds of the child and of the processes it waited for, and the
    peak memory of the child and all its descendants together (MiB, see `TreeMemory`)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.demo",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        **(extra_env or {}),
    }
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tree = TreeMemory(process.pid)
    tree.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    tree.stop()
    out, err = process.stdout.read(), process.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{out}\n{err}")
    if cpu:
        return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, tree.peak_mib
    return seconds, usage.ru_maxrss / 1024


class TreeMemory(threading.Thread):
    """Samples, every 0.2 s, the proportional set size (PSS) of a process and all its descendants
    and keeps the highest total. PSS shares each page among the processes mapping it, so worker
    processes forked from the analysis are not counted twice for the memory they share with it
    (their RSS would be). Linux only (/proc/PID/smaps_rollup)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mib = pid, 0.0
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(0.2):
            self.peak_mib = max(self.peak_mib, sum(map(_pss_mib, _descendants(self.pid))))

    def stop(self) -> None:
        self._stopping.set()
        self.join()


def _descendants(root: int) -> list[int]:
    parent_of = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
                    parent_of[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # the process ended while we looked
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parent_of.items() if parent in set(frontier)]
        tree += frontier
    return tree


def _pss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print(
            "  " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


def self_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
