"""Helpers the benchmarks share (their waiting is the offline kit's `wait_until`)."""
import importlib.metadata as md
import os
import platform
from pathlib import Path


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def machine(packages: tuple[str, ...]) -> dict:
    """The machine, its load when the run starts, and the versions of `packages`, for the record."""
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "cpus_usable": len(os.sched_getaffinity(0))}
    try:
        info["cpu_model"] = next(line.split(":", 1)[1].strip()
                                 for line in Path("/proc/cpuinfo").read_text().splitlines()
                                 if line.startswith("model name"))
        info["memory_gb"] = round(int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                                            if line.startswith("MemTotal"))) / 1024 / 1024, 1)
        info["loadavg_at_start"] = Path("/proc/loadavg").read_text().split()[:3]
    except (OSError, StopIteration):
        pass
    for package in packages:
        try:
            info[package] = md.version(package)
        except md.PackageNotFoundError:
            pass
    return info
