"""What the kernel says about the service's processes (Linux `/proc`): their CPU and memory."""

import os
from pathlib import Path


def running(pid: int) -> bool:
    """Whether the process runs (it exists and is not a zombie, dead but not yet waited for)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def cpu_s(pid: int) -> float:
    """The CPU time the process has used so far (user and system); 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The process's resident set at its highest (`VmHWM`), read before it exits."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmHWM for process {pid}")


def machine_cpu_s() -> tuple[float, float]:
    """The CPU time all the machine's cores have spent busy, and in all, since it started
    (`/proc/stat`): whatever ran, this benchmark's processes and everyone else's."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and waiting for I/O
    total = sum(fields[:8])  # up to steal; guest time is counted in user time already
    ticks = os.sysconf("SC_CLK_TCK")
    return (total - idle) / ticks, total / ticks


def cpu_s_of(command: str) -> float:
    """The CPU time used so far by the processes of that command name (such as `postgres`,
    whichever databases they serve)."""
    used = 0.0
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit():
            continue
        try:
            named = (folder / "comm").read_text().strip() == command
        except (FileNotFoundError, ProcessLookupError):
            continue
        if named:
            used += cpu_s(int(folder.name))
    return used
