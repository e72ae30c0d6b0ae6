# Names of what a lab creates: namespaces, interfaces in the wire namespace,
# the state folder. One place, so that up, down and status agree.

import os
import re

PREFIX = "hl-"
STATE_ROOT = os.environ.get("HIPLAB_STATE_ROOT", "/run/hiplab")
LAB_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def wire_ns(lab):
    """The namespace holding the lab's bridges and link emulators."""
    return f"{PREFIX}{lab}"


def node_ns(lab, node):
    return f"{PREFIX}{lab}.{node}"


def lab_of_ns(ns):
    """The lab a namespace belongs to, or None if it is not a hiplab namespace."""
    if not ns.startswith(PREFIX):
        return None
    lab = ns[len(PREFIX):].split(".", 1)[0]
    return lab if LAB_RE.match(lab) else None


def bridge(link_index):
    return f"br{link_index}"


def wire_port(node_index, iface_index):
    """Wire-side peer of a node's interface (a bridge port, or the emulator's A side)."""
    return f"n{node_index}e{iface_index}"


def emu_pair(node_index, iface_index):
    """The emulator's B side and the bridge port it feeds, both in the wire namespace."""
    base = wire_port(node_index, iface_index)
    return f"{base}l", f"{base}b"


def state_dir(lab):
    return os.path.join(STATE_ROOT, lab)
