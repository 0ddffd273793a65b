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
    and with `cpu` also the CPU seconds of the child and all its descendants, and their peak
    memory together (MiB); both sampled by `ProcessTree`."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.demo",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        **(extra_env or {}),
    }
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tree = ProcessTree(process.pid)
    tree.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    tree.stop()
    assert process.stdout is not None and process.stderr is not None  # both are pipes
    out, err = process.stdout.read(), process.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{out}\n{err}")
    if cpu:
        return seconds, usage.ru_maxrss / 1024, tree.cpu_seconds, tree.peak_mib
    return seconds, usage.ru_maxrss / 1024


class ProcessTree(threading.Thread):
    """Samples a process and all its descendants every 0.2 s: the highest total proportional set
    size (PSS) seen, and each process's CPU time as last seen.

    PSS shares each page among the processes mapping it, so memory that worker processes share
    with their parent is counted once (RSS would count it in each). CPU time is read from each
    process itself, because the analysis's workers are children of multiprocessing's fork
    server, which the command never waits for (its rusage would not include them). A process's
    last 0.2 s may be missed. Linux only (/proc).
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mib = pid, 0.0
        self._cpu_ticks: dict[int, int] = {}
        self._stopping = threading.Event()

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        while not self._stopping.wait(0.2):
            table = _process_table()
            tree = _descendants(self.pid, table)
            self.peak_mib = max(self.peak_mib, sum(map(_pss_mib, tree)))
            self._cpu_ticks.update((pid, table[pid][1]) for pid in tree)

    def stop(self) -> None:
        self._stopping.set()
        self.join()


def _process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU ticks: utime + stime) for every process, from /proc/PID/stat."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    # pid (comm) state ppid ... utime stime (fields 14, 15 of proc(5)); comm may
                    # hold spaces, so split after its ')'.
                    fields = stat.read().rsplit(")", 1)[1].split()
                table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
            except (OSError, IndexError, ValueError):
                continue  # the process ended while we looked
    return table


def _descendants(root: int, table: dict[int, tuple[int, int]]) -> list[int]:
    """`root` and every process below it that is in `table`."""
    tree, frontier = [root] if root in table else [], [root]
    while frontier:
        parents = set(frontier)
        frontier = [pid for pid, (parent, _) in table.items() if parent in parents]
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
