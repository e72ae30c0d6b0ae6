# Runs the commands that build a lab (ip, tc, nft, ethtool) and turns their
# failures into LabError with the command and what it printed. No policy here.

import subprocess


class LabError(Exception):
    """A lab operation that failed; the message says what and why."""


def cmd(args, ns=None, input=None, check=True):
    argv = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    try:
        p = subprocess.run(argv, input=input, capture_output=True, text=True)
    except FileNotFoundError:
        raise LabError(f"{args[0]} is not installed (tools/install-deps installs it)") from None
    if check and p.returncode != 0:
        where = f" in {ns}" if ns else ""
        msg = (p.stderr or p.stdout).strip().splitlines()
        raise LabError(f"'{' '.join(args)}'{where} failed: {msg[-1] if msg else p.returncode}")
    return p


def ip_batch(lines, ns=None):
    """Several ip(8) commands in one process; the first failure stops and is reported."""
    if not lines:
        return
    argv = ["ip"] + (["-n", ns] if ns else []) + ["-batch", "-"]
    p = subprocess.run(argv, input="\n".join(lines) + "\n", capture_output=True, text=True)
    if p.returncode != 0:
        where = f" in {ns}" if ns else ""
        raise LabError(f"ip{where}: {p.stderr.strip()}")
