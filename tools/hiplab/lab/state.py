# What a lab is while it runs: its state file under /run/hiplab/LAB, the
# namespaces that carry its prefix, the processes inside them, and teardown.
# Teardown works from the namespaces, so it also cleans up after a crash.

import json
import os
import shutil
import signal
import time

from . import names
from .run import LabError, cmd


def load(lab):
    path = os.path.join(names.state_dir(lab), "state.json")
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise LabError(f"{path}: unreadable state ({e})") from None


def save(lab, state):
    d = names.state_dir(lab)
    os.makedirs(d, mode=0o755, exist_ok=True)
    tmp = os.path.join(d, "state.json.tmp")
    with open(tmp, "w") as f:
        json.dump(state, f, indent=1, default=str)
    os.replace(tmp, os.path.join(d, "state.json"))


def all_netns():
    try:
        return sorted(os.listdir("/run/netns"))
    except FileNotFoundError:
        return []


def lab_netns(lab):
    wire = names.wire_ns(lab)
    return [ns for ns in all_netns() if ns == wire or ns.startswith(wire + ".")]


def labs():
    """Every lab with a namespace or a state folder, sorted."""
    found = {names.lab_of_ns(ns) for ns in all_netns()} - {None}
    if os.path.isdir(names.STATE_ROOT):
        found |= {d for d in os.listdir(names.STATE_ROOT) if names.LAB_RE.match(d)}
    return sorted(found)


def resolve(lab):
    """The lab a command is about: --lab, else $HIPLAB_LAB, else the only one up."""
    lab = lab or os.environ.get("HIPLAB_LAB")
    if lab:
        if lab not in labs():
            raise LabError(f"no lab '{lab}' is up (labs: {', '.join(labs()) or 'none'})")
        return lab
    up = labs()
    if len(up) == 1:
        return up[0]
    if not up:
        raise LabError("no lab is up (hiplab up FILE)")
    raise LabError(f"several labs are up ({', '.join(up)}): say which with --lab")


def _netns_inodes(namespaces):
    out = {}
    for ns in namespaces:
        try:
            out[os.stat(f"/run/netns/{ns}").st_ino] = ns
        except OSError:
            pass
    return out


def pids_in(namespaces):
    """{pid: (netns, comm)} of every process whose network namespace is one of these."""
    inodes = _netns_inodes(namespaces)
    me = {os.getpid(), os.getppid()}
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in me:
            continue
        try:
            ino = os.stat(f"/proc/{entry}/ns/net").st_ino
            if ino in inodes:
                with open(f"/proc/{entry}/comm") as f:
                    found[int(entry)] = (inodes[ino], f.read().strip())
        except OSError:
            continue
    return found


def _signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def kill_processes(namespaces, grace=2.0):
    """SIGTERM, up to `grace` seconds, then SIGKILL; returns every process stopped."""
    pids = pids_in(namespaces)
    stopped = dict(pids)
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        time.sleep(0.02)
        _reap()
        pids = {p: v for p, v in pids.items() if os.path.exists(f"/proc/{p}") and not _zombie(p)}
    _signal_all(pids, signal.SIGKILL)
    for _ in range(100):
        _reap()
        if not pids_in(namespaces):
            break
        time.sleep(0.01)
    return stopped


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def _reap():
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def teardown(lab):
    """Removes processes, namespaces (and with them every veth and bridge) and files."""
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        namespaces = lab_netns(lab)
        killed = kill_processes(namespaces)
        errors = []
        for ns in namespaces:
            p = cmd(["ip", "netns", "del", ns], check=False)
            if p.returncode != 0:
                errors.append(f"{ns}: {p.stderr.strip()}")
        shutil.rmtree(names.state_dir(lab), ignore_errors=True)
        if errors:
            raise LabError("could not remove " + "; ".join(errors))
        return namespaces, killed
    finally:
        signal.signal(signal.SIGINT, old)
