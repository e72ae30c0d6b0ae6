# SIP bytes for tests: a UDP socket that keeps what arrives and can answer, start line and
# header accessors, a minimal response builder. Not a SIP parser for untrusted input.

import re
import select
import socket
import time

from .baresip import netns

__all__ = ["UdpSink", "sip_method", "sip_status", "sip_header", "sip_response", "sip_body"]

# ---------------------------------------------------------------------------
# A UDP sink: what a SIP client sends to an address where nothing answers

class UdpSink:
    """Binds ADDR:PORT (UDP) in namespace NS and keeps every datagram received, with
    its source. wait_for(pred, timeout) returns the next (payload, source) PRED accepts;
    send() answers (e.g. with sip_response())."""

    def __init__(self, addr, port, ns=None):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        with netns(ns):
            self.sock = socket.socket(fam, socket.SOCK_DGRAM)
            self.sock.bind((addr, port))
        self.received = []
        self._taken = set()  # indexes in received that wait_for returned

    def poll(self, timeout):
        """Receives one datagram within TIMEOUT; returns (data, source) or None."""
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if r:
            data, src = self.sock.recvfrom(65536)
            self.received.append((src, data))
            return data, src
        return None

    def drain(self, quiet=0.5):
        """Receives until nothing arrived for QUIET seconds; returns the new (data,
        source) pairs."""
        n = len(self.received)
        while self.poll(quiet) is not None:
            pass
        return [(d, s) for s, d in self.received[n:]]

    def wait_for(self, pred, timeout=10.0):
        """The oldest datagram that PRED accepts and no earlier wait_for returned, as
        (data, source); None after TIMEOUT. Datagrams PRED rejects stay for later calls."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for i in range(seen, len(self.received)):
                src, data = self.received[i]
                if i not in self._taken and pred(data):
                    self._taken.add(i)
                    return data, src
            seen = len(self.received)
            left = deadline - time.monotonic()
            if left <= 0 or self.poll(left) is None:
                return None

    def send(self, data, dest):
        self.sock.sendto(data, dest)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def sip_method(data):
    """The request method of a SIP message ("INVITE"), "SIP/2.0" for a response, or None."""
    first = data.split(b"\r\n", 1)[0]
    m = re.match(rb"^([A-Z]+) \S+ SIP/2\.0$", first)
    if m:
        return m.group(1).decode()
    return "SIP/2.0" if first.startswith(b"SIP/2.0 ") else None


def sip_status(data):
    m = re.match(rb"^SIP/2\.0 (\d{3}) ", data)
    return int(m.group(1)) if m else None


_COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
            "l": "content-length", "c": "content-type", "k": "supported", "s": "subject",
            "e": "content-encoding", "r": "refer-to"}


def sip_header(data, name):
    """The value of the first header NAME (case-insensitive, compact forms of RFC 3261
    7.3.3 too) in a SIP message, as str; None when absent."""
    want = name.lower()
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    for line in head.split("\r\n")[1:]:
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and _COMPACT.get(key, key) == want:
            return value.strip()
    return None


def sip_response(request, code, reason, to_tag="sipcall1", headers=()):
    """A response to REQUEST (bytes) as RFC 3261 8.2.6.2 builds it: the Via lines, From,
    Call-ID and CSeq copied, To copied with TO_TAG added when it has no tag (not for 100),
    then HEADERS ("Name: value" strings) and an empty body. Enough for a test peer."""
    lines = request.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace").split("\r\n")[1:]
    out = [f"SIP/2.0 {code} {reason}"]
    for line in lines:
        key = line.partition(":")[0].strip().lower()
        key = _COMPACT.get(key, key)
        if key in ("via", "from", "call-id", "cseq"):
            out.append(line)
        elif key == "to":
            if code > 100 and ";tag=" not in line.lower() and to_tag:
                line += f";tag={to_tag}"
            out.append(line)
    out += list(headers) + ["Content-Length: 0", "", ""]
    return "\r\n".join(out).encode()


def sip_body(data):
    """The body after the blank line (b"" when none)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    return body if sep else b""
