# coturn as the lab's STUN and TURN server: its command line from the
# topology, start in the host's namespace, and a STUN Binding check that it
# answers. Not a STUN implementation (tools/hiplab/stunmsg.py is the probe's).

import os
import socket
import struct
import subprocess
import time

from . import names
from .nsenter import netns
from .run import LabError

MAGIC = 0x2112A442


def argv(turn, node, state_dir):
    addrs = [str(a.ip) for i in node.ifaces for a in i.ipv4 + i.ipv6]
    if not addrs:
        raise LabError(f"host {node.name} runs turn but has no address")
    base = os.path.join(state_dir, f"turn-{node.name}")
    a = ["turnserver", "-n", "--no-tls", "--no-dtls", "--no-cli", "--no-rfc5780",
         "--fingerprint", "--lt-cred-mech", f"--realm={turn.realm}",
         f"--listening-port={turn.port}", f"--userdb={base}.db",
         f"--pidfile={base}.pid", f"--log-file={base}.log", "--simple-log",
         "--no-software-attribute"]
    a += [f"--listening-ip={x}" for x in addrs]
    a += [f"--relay-ip={x}" for x in addrs]
    a += [f"--user={u}" for u in turn.users]
    for key in ("permission_lifetime", "channel_lifetime", "max_allocate_lifetime"):
        v = getattr(turn, key)
        if v:
            a.append(f"--{key.replace('_', '-')}={v}")
    return a, addrs


def start(lab, turn, node, state_dir):
    a, addrs = argv(turn, node, state_dir)
    out = open(os.path.join(state_dir, f"turn-{node.name}.out"), "ab")
    p = subprocess.Popen(["ip", "netns", "exec", names.node_ns(lab, node.name)] + a,
                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                         start_new_session=True, close_fds=True)
    out.close()
    return {"host": node.name, "kind": "turn", "pid": p.pid, "proc": p,
            "listen": [f"{x}:{turn.port}" if ":" not in x else f"[{x}]:{turn.port}" for x in addrs],
            "log": f"{os.path.join(state_dir, f'turn-{node.name}')}.log", "addrs": addrs,
            "port": turn.port}


def wait_ready(lab, svc, timeout=10.0):
    """Every listening address answers a STUN Binding request."""
    deadline = time.monotonic() + timeout
    for addr in svc["addrs"]:
        while not _binding_ok(lab, svc["host"], addr, svc["port"]):
            if svc["proc"].poll() is not None:
                raise LabError(f"coturn on {svc['host']} exited; see {svc['log']}")
            if time.monotonic() > deadline:
                raise LabError(f"coturn on {svc['host']} does not answer STUN on {addr} "
                               f"within {timeout} s; see {svc['log']}")
            time.sleep(0.02)


def _binding_ok(lab, host, addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    tid = os.urandom(12)
    req = struct.pack("!HHI", 0x0001, 0, MAGIC) + tid
    with netns(names.node_ns(lab, host)):
        s = socket.socket(family, socket.SOCK_DGRAM)
    with s:
        s.settimeout(0.05)
        try:
            s.sendto(req, (addr, port))
            data = s.recv(2048)
        except OSError:
            return False
    return len(data) >= 20 and data[:2] == b"\x01\x01" and data[8:20] == tid
