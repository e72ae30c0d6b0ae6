# Enters a named network namespace for a block of Python code (setns(2) via
# ctypes): sockets opened and sysctls written inside belong to that namespace.

import ctypes
import os
from contextlib import contextmanager

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextmanager
def netns(name):
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)


def sysctl(ns, values, optional=False):
    """Writes sysctls ("net.ipv4.ip_forward": "1") inside namespace ns; with
    optional, keys this kernel does not have are skipped."""
    with netns(ns):
        for key, value in values.items():
            path = "/proc/sys/" + key.replace(".", "/")
            if optional and not os.path.exists(path):
                continue
            with open(path, "w") as f:
                f.write(str(value))
