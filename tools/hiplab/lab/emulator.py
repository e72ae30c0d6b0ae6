# Link delay and loss on a node's attachment: netem where the kernel has it,
# else the lab's userspace emulator (hiplab-linkemu) between node and bridge.
# Chooses and starts; the emulator itself is C (tools/hiplab/linkemu*.c).

import os
import shutil
import subprocess
import time

from . import names
from .run import LabError, cmd, ip_batch

HERE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
OFFLOADS = ["tx", "off", "tso", "off", "gso", "off", "gro", "off"]


def find_linkemu():
    env = os.environ.get("HIPLAB_LINKEMU")
    if env:
        if not os.access(env, os.X_OK):
            raise LabError(f"HIPLAB_LINKEMU={env} is not an executable")
        return env
    repo = os.path.dirname(os.path.dirname(HERE))
    for p in (os.path.join(HERE, "hiplab-linkemu"),
              os.path.join(repo, "build", "tools", "hiplab", "hiplab-linkemu"),
              shutil.which("hiplab-linkemu") or "",
              "/usr/local/libexec/hiplab-linkemu", "/usr/libexec/hiplab-linkemu"):
        if p and os.access(p, os.X_OK):
            return p
    raise LabError("the link emulator hiplab-linkemu is not built: run 'make', "
                   "or set HIPLAB_LINKEMU to its path")


def kernel_has_netem(wire_ns):
    """Tries a netem qdisc on a throwaway veth pair in the wire namespace."""
    ip_batch(["link add hlprobe0 type veth peer name hlprobe1"], wire_ns)
    try:
        p = cmd(["tc", "qdisc", "add", "dev", "hlprobe0", "root", "netem", "delay", "1ms"],
                ns=wire_ns, check=False)
        return p.returncode == 0
    finally:
        ip_batch(["link del hlprobe0"], wire_ns)


def choose(setting, wire_ns, needed):
    """'netem' or 'linkemu' for this lab; None when no attachment needs one."""
    if not needed:
        return None
    has_netem = kernel_has_netem(wire_ns)
    if setting == "netem" and not has_netem:
        raise LabError("emulator = \"netem\" but this kernel has no netem qdisc "
                       "(use \"auto\" or \"linkemu\")")
    if setting == "auto":
        return "netem" if has_netem else "linkemu"
    return setting


def _netem_args(delay_ms, loss_pct):
    return ["netem", "delay", f"{delay_ms}ms", "loss", f"{loss_pct}%", "limit", "100000"]


def setup_netem(lab, node, iface):
    """Egress of the node's interface = out; egress of its wire-side peer = in."""
    wire = names.wire_ns(lab)
    port = names.wire_port(node.index, iface.index)
    cmd(["tc", "qdisc", "add", "dev", iface.name, "root"]
        + _netem_args(iface.delay_out_ms, iface.loss_out), ns=names.node_ns(lab, node.name))
    cmd(["tc", "qdisc", "add", "dev", port, "root"]
        + _netem_args(iface.delay_in_ms, iface.loss_in), ns=wire)


def offloads_off(ns, dev):
    """The emulator forwards frames as read: they must be MTU-sized with full checksums."""
    cmd(["ethtool", "-K", dev] + OFFLOADS, ns=ns, check=False)
    p = cmd(["ethtool", "-k", dev], ns=ns)
    on = [l for l in p.stdout.splitlines()
          if l.split(":")[0].strip() in ("tx-checksumming", "generic-segmentation-offload",
                                          "tcp-segmentation-offload")
          and l.split(":")[1].strip().startswith("on")]
    if on:
        raise LabError(f"cannot turn off offloads on {dev} in {ns}: {'; '.join(on)}")


def start_linkemu(lab, node, iface, binary, log_dir):
    """Starts the emulator between the node's wire-side peer (A) and the bridge feed (B)."""
    wire = names.wire_ns(lab)
    a = names.wire_port(node.index, iface.index)
    b, _ = names.emu_pair(node.index, iface.index)
    stats = os.path.join(log_dir, f"linkemu-{node.name}-{iface.name}.json")
    log = open(os.path.join(log_dir, f"linkemu-{node.name}-{iface.name}.log"), "ab")
    argv = ["ip", "netns", "exec", wire, binary,
            "--delay-ab", f"{iface.delay_out_ms}", "--delay-ba", f"{iface.delay_in_ms}",
            "--loss-ab", f"{iface.loss_out}", "--loss-ba", f"{iface.loss_in}",
            "--stats", stats, "--tag", f"hiplab:{lab}", a, b]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True, close_fds=True)
    log.close()
    return {"pid": p.pid, "stats": stats, "log": log.name, "proc": p}


def wait_started(procs, timeout=5.0):
    """Each emulator has bound its sockets when its log says 'ready', or it died."""
    deadline = time.monotonic() + timeout
    for e in procs:
        while True:
            if e["proc"].poll() is not None:
                raise LabError(f"hiplab-linkemu exited at start: {_tail(e['log'])}")
            if "ready" in _tail(e["log"]):
                break
            if time.monotonic() > deadline:
                raise LabError(f"hiplab-linkemu did not start within {timeout} s: {_tail(e['log'])}")
            time.sleep(0.005)


def _tail(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-500:].strip()
    except OSError:
        return ""
