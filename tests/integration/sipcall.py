#!/usr/bin/env python3
# Test harness for SIP calls between real baresip clients: test tones, tone detection,
# a baresip controller (config, ctrl_tcp), pcap and tshark helpers. Not a SIP stack.
"""sipcall: drive real SIP calls with baresip and judge them.

Standard library only. Pieces (each usable alone):

* Tones: ``write_tone_wav(path, freq, seconds, amplitude)`` writes 8 kHz mono S16LE,
  the format baresip's aufile source needs for PCMU.
* Detection: ``detect_tone(samples, rate, freq)`` / ``analyse_wav(path, freq)`` cut the
  signal into 20 ms frames and, in each frame, compare the Goertzel power of the band
  around FREQ (Hann window, the bins FREQ - 50 Hz, FREQ, FREQ + 50 Hz) with the frame's
  total power (Parseval). A frame "has the tone" when the band holds at least
  ``min_share`` of the power and the frame is louder than ``min_level_dbfs``. The tone
  is found when such frames are at least ``min_fraction`` of the frames in the window
  and the dominant frequency (coarse Goertzel scan + parabolic peak) is within
  ``max_freq_error_hz`` of FREQ. Silence, white noise and another tone are rejected.
* ``Baresip``: writes a config folder, starts ``baresip -f DIR`` (in a network
  namespace with ``ip netns exec``), talks to it over ctrl_tcp (JSON in netstrings):
  ``dial``, ``wait_event``, ``hangup``, ``quit``; always kills it in ``stop()`` (also
  as a context manager); ``new_recordings()`` finds the ``dump-*-dec.wav`` files that
  the sndfile module wrote for a call.
* ``UdpSink``: a UDP socket in a namespace that keeps what arrives (e.g. baresip's
  REGISTER to an outbound proxy that is not there).
* ``udp_payloads(pcap)``, ``sip_messages(pcap)``, ``sip_body(msg)``: read a pcap.
* ``tshark_check(pcap)``: frames tshark calls malformed or flags with an expert
  warning (or worse), and counts of SIP, SDP, RTP, RTCP and STUN frames.

Command line (for shell tests): ``sipcall.py tone FILE [--freq HZ] [--seconds S]
[--amplitude A]``, ``sipcall.py detect FILE --freq HZ`` (JSON, exit 0 when found, 1 not),
``sipcall.py tshark PCAP [--decode-as udp.port==5062,sip]`` (JSON, exit 0 when clean).

Using it from a p2psipd call test: see tests/integration/README-sipcall.md.
"""

import argparse
import array
import glob
import json
import math
import os
import random
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, asdict

RATE = 8000
HERE = os.path.dirname(os.path.abspath(__file__))
SRC_DIR = os.environ.get("SRC_DIR") or os.path.normpath(os.path.join(HERE, "..", ".."))

# ---------------------------------------------------------------------------
# WAV files (RIFF PCM, S16LE)


def write_wav(path, samples, rate=RATE):
    """Writes mono S16LE PCM; samples are ints, clipped to 16 bits."""
    pcm = array.array("h", (max(-32768, min(32767, int(s))) for s in samples))
    if sys.byteorder == "big":
        pcm.byteswap()
    _write_pcm(path, pcm.tobytes(), rate)


def _write_pcm(path, data, rate):
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    header += b"fmt " + struct.pack("<I", len(fmt)) + fmt
    header += b"data" + struct.pack("<I", len(data))
    with open(path, "wb") as f:
        f.write(header + data)


def read_wav(path):
    """Returns (rate, samples) of a PCM S16LE WAV (first channel if several). Tolerates a
    data chunk whose size field is 0 or too large (a file still being written)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    pos, fmt = 12, None
    while pos + 8 <= len(blob):
        cid, size = blob[pos:pos + 4], struct.unpack_from("<I", blob, pos + 4)[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt = struct.unpack_from("<HHIIHH", blob, body)
        elif cid == b"data":
            if fmt is None:
                raise ValueError(f"{path}: data before fmt")
            return _pcm_of(path, fmt, blob, body, size)
        pos = body + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def _pcm_of(path, fmt, blob, body, size):
    tag, channels, rate, _, align, bits = fmt
    if tag not in (1, 0xFFFE) or bits != 16 or channels < 1:
        raise ValueError(f"{path}: not 16-bit PCM (format {tag}, {bits} bits)")
    end = len(blob) if size == 0 or body + size > len(blob) else body + size
    end -= (end - body) % align
    samples = struct.unpack_from("<%dh" % ((end - body) // 2), blob, body)
    return rate, list(samples[::channels])


def tone_samples(freq, seconds, amplitude=0.5, rate=RATE):
    """A sine of FREQ Hz; amplitude is a fraction of full scale (1.0 = 32767)."""
    n = int(round(seconds * rate))
    a = amplitude * 32767
    w = 2 * math.pi * freq / rate
    return [int(round(a * math.sin(w * i))) for i in range(n)]


def noise_samples(seconds, amplitude=0.3, rate=RATE, seed=1):
    """Gaussian white noise with RMS amplitude * full scale (reproducible)."""
    rnd = random.Random(seed)
    a = amplitude * 32767
    return [int(max(-32768, min(32767, rnd.gauss(0, a)))) for _ in range(int(seconds * rate))]


def write_tone_wav(path, freq=1000.0, seconds=10.0, amplitude=0.5, rate=RATE):
    write_wav(path, tone_samples(freq, seconds, amplitude, rate), rate)
    return path


def write_silence_wav(path, seconds=10.0, rate=RATE):
    _write_pcm(path, bytes(2 * int(seconds * rate)), rate)
    return path


# ---------------------------------------------------------------------------
# Tone detection


def goertzel_power(frame, freq, rate=RATE):
    """|X(freq)|^2 of the frame (the DTFT at FREQ, any FREQ, not only bin centres)."""
    coeff = 2.0 * math.cos(2.0 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in frame:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


_HANN = {}


def _hann(n):
    if n not in _HANN:
        _HANN[n] = [0.5 - 0.5 * math.cos(2 * math.pi * i / n) for i in range(n)]
    return _HANN[n]


@dataclass
class ToneReport:
    """What detect_tone measured. found: the verdict; fraction: frames with the tone
    among the frames of the window; dominant_hz: the strongest frequency (None when the
    window is silent); longest_run_s: the longest stretch of tone frames; level_dbfs: RMS
    of the window; median_share: median share of the power in the tone's band."""
    found: bool
    freq_hz: float
    fraction: float
    dominant_hz: float
    frames: int
    tone_frames: int
    longest_run_s: float
    level_dbfs: float
    median_share: float
    seconds: float
    reason: str = ""


def _dbfs(energy, n):
    if n == 0 or energy <= 0:
        return -200.0
    return 20 * math.log10(math.sqrt(energy / n) / 32768.0)


def _frame_share(y, freq, rate, energy):
    """Share of the (windowed) frame's power in the bins FREQ-d, FREQ, FREQ+d (d = rate/N).
    Those bins belong to one orthogonal set, so Parseval bounds the share by 1: the
    power at +-f is 2|X|^2 / (N * sum y^2) for a real signal."""
    n = len(y)
    d = rate / n
    band = sum(goertzel_power(y, freq + k * d, rate) for k in (-1, 0, 1))
    return min(1.0, 2.0 * band / (n * energy)) if energy > 0 else 0.0


def dominant_frequency(samples, rate=RATE, frame_ms=20, max_frames=25, step_hz=25.0):
    """The strongest frequency: a Goertzel scan (step_hz grid, Hann window) summed over up
    to max_frames of the loudest frames, refined by a parabola through the peak's log
    powers. None for silence."""
    n = int(rate * frame_ms / 1000)
    frames = [samples[i:i + n] for i in range(0, len(samples) - n + 1, n)]
    loud = sorted(frames, key=lambda f: sum(x * x for x in f), reverse=True)[:max_frames]
    loud = [f for f in loud if any(f)]
    if not loud:
        return None
    win = _hann(n)
    grid = [step_hz * k for k in range(1, int((rate / 2) / step_hz))]
    spectrum = [0.0] * len(grid)
    for f in loud:
        y = [a * b for a, b in zip(f, win)]
        for i, hz in enumerate(grid):
            spectrum[i] += goertzel_power(y, hz, rate)
    k = max(range(len(grid)), key=spectrum.__getitem__)
    if 0 < k < len(grid) - 1 and min(spectrum[k - 1:k + 2]) > 0:
        a, b, c = (math.log(spectrum[j]) for j in (k - 1, k, k + 1))
        den = a - 2 * b + c
        off = 0.5 * (a - c) / den if den < 0 else 0.0
        return grid[k] + max(-0.5, min(0.5, off)) * step_hz
    return grid[k]


def detect_tone(samples, rate, freq, *, frame_ms=20, start_s=0.0, end_s=None,
                min_share=0.5, min_level_dbfs=-45.0, min_fraction=0.5,
                max_freq_error_hz=30.0, min_frames=25):
    """Looks for a FREQ Hz tone in samples[start_s:end_s] (see the module docstring)."""
    n = int(rate * frame_ms / 1000)
    lo = int(start_s * rate)
    hi = len(samples) if end_s is None else min(len(samples), int(end_s * rate))
    window = samples[lo:hi]
    win = _hann(n)
    tone, shares, run, best, total = 0, [], 0, 0, 0.0
    nframes = len(window) // n
    for i in range(nframes):
        f = window[i * n:(i + 1) * n]
        raw = sum(x * x for x in f)
        total += raw
        y = [a * b for a, b in zip(f, win)]
        share = _frame_share(y, freq, rate, sum(v * v for v in y))
        shares.append(share)
        hit = share >= min_share and _dbfs(raw, n) >= min_level_dbfs
        tone += hit
        run = run + 1 if hit else 0
        best = max(best, run)
    dom = dominant_frequency(window, rate, frame_ms)
    fraction = tone / nframes if nframes else 0.0
    shares.sort()
    rep = ToneReport(found=False, freq_hz=freq, fraction=round(fraction, 3),
                     dominant_hz=None if dom is None else round(dom, 1), frames=nframes,
                     tone_frames=tone, longest_run_s=round(best * frame_ms / 1000, 3),
                     level_dbfs=round(_dbfs(total, nframes * n), 1),
                     median_share=round(shares[len(shares) // 2], 3) if shares else 0.0,
                     seconds=round(len(window) / rate, 3))
    rep.reason = _verdict(rep, min_frames, min_fraction, max_freq_error_hz, min_level_dbfs)
    rep.found = rep.reason == "found"
    return rep


def _verdict(rep, min_frames, min_fraction, max_err, min_level):
    if rep.frames < min_frames:
        return f"too short: {rep.frames} frames < {min_frames}"
    if rep.dominant_hz is None or rep.level_dbfs < min_level:
        return f"silent ({rep.level_dbfs} dBFS)"
    if rep.fraction < min_fraction:
        return f"tone in {rep.fraction:.0%} of frames < {min_fraction:.0%}"
    if abs(rep.dominant_hz - rep.freq_hz) > max_err:
        return f"dominant {rep.dominant_hz} Hz is not {rep.freq_hz} Hz"
    return "found"


def analyse_wav(path, freq, **kw):
    rate, samples = read_wav(path)
    return detect_tone(samples, rate, freq, **kw)


# ---------------------------------------------------------------------------
# Network namespaces (setns via ctypes: a socket belongs to the namespace it was made in)

_CLONE_NEWNET = 0x40000000


class netns:
    """with netns("hl-lab.a"): sockets made inside belong to that namespace. None: no-op."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        if not self.name:
            return self
        import ctypes
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._home = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            self._setns(fd)
        finally:
            os.close(fd)
        return self

    def _setns(self, fd):
        if self._libc.setns(fd, _CLONE_NEWNET) != 0:
            import ctypes
            err = ctypes.get_errno()
            raise OSError(err, f"setns: {os.strerror(err)}")

    def __exit__(self, *exc):
        if self.name:
            try:
                self._setns(self._home)
            finally:
                os.close(self._home)
        return False


def ns_argv(ns, argv):
    return (["ip", "netns", "exec", ns] if ns else []) + list(argv)


# ---------------------------------------------------------------------------
# baresip


class BaresipError(Exception):
    pass


@dataclass
class Account:
    """One baresip account line. aor: "sip:alice@p2psip.test"; outbound: the outbound
    proxy URI ("sip:127.0.0.1:5060"), None for none; regint: REGISTER interval in seconds,
    0 for no REGISTER; answermode: "auto" answers incoming calls at once."""
    aor: str
    outbound: str = None
    regint: int = 0
    answermode: str = "auto"
    codecs: str = "PCMU"
    extra: str = ""

    def line(self):
        s = f"<{self.aor}>"
        if self.outbound:
            s += f';outbound="{self.outbound}"'
        s += f";regint={self.regint};answermode={self.answermode};audio_codecs={self.codecs}"
        return s + (";" + self.extra if self.extra else "")


def _split_hostport(hp):
    if hp.startswith("["):
        host, _, port = hp[1:].partition("]:")
        return host, int(port)
    host, _, port = hp.rpartition(":")
    return host, int(port)


class Baresip:
    """One baresip process with its own config folder DIR (config, accounts, rec/,
    baresip.log). Parameters: sip_listen "IP:PORT"; account an Account; source_wav the
    WAV the aufile source plays (silence when None); ctrl "IP:PORT" for ctrl_tcp
    (default 127.0.0.1:4444, one per namespace); rtp_ports (lo, hi); net_interface the
    address baresip binds RTP to (default sip_listen's); netns the namespace (None: this
    one); extra_config lines appended to config; sip_trace adds -s (SIP messages in the
    log)."""

    def __init__(self, name, workdir, *, sip_listen, account, source_wav=None,
                 ctrl="127.0.0.1:4444", rtp_ports=(16000, 16099), net_interface=None,
                 netns=None, extra_config=(), sip_trace=False, binary="baresip"):
        self.name, self.dir, self.netns = name, os.path.abspath(workdir), netns
        self.sip_listen, self.account, self.ctrl = sip_listen, account, ctrl
        self.source_wav, self.rtp_ports = source_wav, rtp_ports
        self.net_interface = net_interface or _split_hostport(sip_listen)[0]
        self.extra_config, self.sip_trace, self.binary = list(extra_config), sip_trace, binary
        self.rec_dir = os.path.join(self.dir, "rec")
        self.log_path = os.path.join(self.dir, "baresip.log")
        self.proc, self.sock, self.events = None, None, []
        self._responses, self._cv, self._reader, self._token = {}, threading.Condition(), None, 0
        self.exit_code = None

    # -- config --------------------------------------------------------------
    def config_text(self):
        lo, hi = self.rtp_ports
        lines = [
            "poll_method epoll",
            f"sip_listen {self.sip_listen}",
            "call_local_timeout 120",
            "call_max_calls 4",
            "audio_player none",
            f"audio_source aufile,{self.source_wav}",
            "audio_alert none",
            "ausrc_srate 8000", "ausrc_channels 1", "auplay_srate 8000", "auplay_channels 1",
            f"rtp_ports {lo}-{hi}",
            "rtcp_mux no",
            "jitter_buffer_delay 5-10",
            f"net_interface {self.net_interface}",
            "module_path /usr/lib/baresip/modules",
            "module g711.so", "module aufile.so", "module sndfile.so",
            "module_tmp account.so",
            "module_app menu.so", "module_app ctrl_tcp.so",
            f"ctrl_tcp_listen {self.ctrl}",
            "statmode_default off",
            f"snd_path {self.rec_dir}",
        ]
        return "\n".join(lines + self.extra_config) + "\n"

    def write_config(self):
        os.makedirs(self.rec_dir, exist_ok=True)
        if not self.source_wav:
            self.source_wav = write_silence_wav(os.path.join(self.dir, "silence.wav"), 60)
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(self.config_text())
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(self.account.line() + "\n")

    # -- process ---------------------------------------------------------------
    def start(self, timeout=10.0):
        """Writes the config, starts baresip and connects to ctrl_tcp."""
        self.write_config()
        argv = [self.binary, "-f", self.dir] + (["-s"] if self.sip_trace else [])
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(ns_argv(self.netns, argv), stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        self._connect(timeout)
        return self

    def _connect(self, timeout):
        host, port = _split_hostport(self.ctrl)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise BaresipError(f"{self.name}: baresip exited ({self.proc.returncode}) "
                                   f"before ctrl_tcp answered; log: {self.log_tail()}")
            try:
                with netns(self.netns):
                    s = socket.create_connection((host, port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BaresipError(f"{self.name}: no ctrl_tcp on {self.ctrl}; "
                                       f"log: {self.log_tail()}")
                time.sleep(0.1)
        s.settimeout(None)
        self.sock = s
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=2000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    # -- ctrl_tcp: JSON in netstrings ("LEN:JSON,") ----------------------------
    def _read_loop(self):
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            buf = self._take_netstrings(buf)
        with self._cv:
            self._cv.notify_all()

    def _take_netstrings(self, buf):
        while True:
            colon = buf.find(b":")
            if colon < 0 or not buf[:colon].isdigit():
                return buf
            n = int(buf[:colon])
            if len(buf) < colon + 1 + n + 1:
                return buf
            body, buf = buf[colon + 1:colon + 1 + n], buf[colon + 2 + n:]
            try:
                msg = json.loads(body.decode("utf-8", "replace"))
            except ValueError:
                continue
            self._deliver(msg)

    def _deliver(self, msg):
        with self._cv:
            if msg.get("event"):
                msg["_t"] = time.monotonic()
                self.events.append(msg)
            elif msg.get("response"):
                self._responses[msg.get("token")] = msg
            self._cv.notify_all()

    def command(self, command, params=None, timeout=5.0):
        """Runs a baresip long command ("dial", "hangup", "quit", ...); returns the
        response {"ok": bool, "data": str}. Raises BaresipError without one."""
        if not self.sock:
            raise BaresipError(f"{self.name}: not connected")
        with self._cv:
            self._token += 1
            token = f"{self.name}-{self._token}"
        msg = {"command": command, "token": token}
        if params is not None:
            msg["params"] = params
        body = json.dumps(msg).encode()
        self.sock.sendall(b"%d:%s," % (len(body), body))
        deadline = time.monotonic() + timeout
        with self._cv:
            while token not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    raise BaresipError(f"{self.name}: no response to {command}")
                self._cv.wait(min(left, 0.2))
            return self._responses.pop(token)

    def wait_event(self, types, timeout=10.0, since=0):
        """Waits for an event whose type is in TYPES (a name or a list) among the events
        from index SINCE on; returns it (a dict: type, param, peeruri, direction, ...).
        Raises BaresipError on timeout."""
        types = [types] if isinstance(types, str) else list(types)
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for ev in self.events[since:]:
                    if ev.get("type") in types:
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [e.get("type") for e in self.events[since:]]
                    raise BaresipError(f"{self.name}: no {'/'.join(types)} within "
                                       f"{timeout} s (events: {seen})")
                self._cv.wait(min(left, 0.2))

    def mark(self):
        """An index for wait_event(since=...): only events after this point count."""
        with self._cv:
            return len(self.events)

    def event_types(self, since=0):
        with self._cv:
            return [e.get("type") for e in self.events[since:]]

    def dial(self, uri):
        r = self.command("dial", uri)
        if not r.get("ok"):
            raise BaresipError(f"{self.name}: dial {uri}: {r.get('data')}")
        return r

    def hangup(self):
        return self.command("hangup")

    def quit(self, timeout=5.0):
        """Asks baresip to quit and waits for it; returns its exit status (None if it
        did not exit in time)."""
        try:
            self.command("quit", timeout=2.0)
        except (BaresipError, OSError):
            pass
        try:
            self.exit_code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.exit_code

    def stop(self, quit_wait=3.0):
        """Ends the process whatever its state: quit, then SIGTERM (baresip then stops its
        user agents as on quit), a second SIGTERM (baresip exits at once), SIGKILL."""
        if self.proc is None:
            return
        if self.alive() and self.sock and quit_wait > 0:
            self.quit(timeout=quit_wait)
        for sig, wait in ((signal.SIGTERM, 1.0), (signal.SIGTERM, 2.0), (signal.SIGKILL, 3.0)):
            if not self.alive():
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        if self.exit_code is None:
            self.exit_code = self.proc.poll()
        if self.sock:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- recordings --------------------------------------------------------------
    def recordings(self, kind="dec"):
        """The sndfile dumps in rec/: kind "dec" (received audio) or "enc" (sent)."""
        return sorted(glob.glob(os.path.join(self.rec_dir, f"dump-*-{kind}.wav")))

    def new_recordings(self, before, kind="dec"):
        """Recordings not in BEFORE (a list taken with recordings() before the call)."""
        return [p for p in self.recordings(kind) if p not in set(before)]


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
        self._next = 0  # received[_next:] not yet looked at by wait_for

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
        """The first datagram not returned by an earlier wait_for that PRED accepts, as
        (data, source); None after TIMEOUT."""
        deadline = time.monotonic() + timeout
        while True:
            while self._next < len(self.received):
                src, data = self.received[self._next]
                self._next += 1
                if pred(data):
                    return data, src
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


# ---------------------------------------------------------------------------
# pcap reading (classic libpcap format; Ethernet, Linux cooked v1/v2, raw IP)


def _pcap_records(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 24:
        return
    magic = blob[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
             b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if order is None:
        raise ValueError(f"{path}: not a classic pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack_from(order + "I", blob, 20)[0] & 0xFFFF
    pos = 24
    while pos + 16 <= len(blob):
        sec, frac, incl, _ = struct.unpack_from(order + "IIII", blob, pos)
        pos += 16
        yield sec + frac / (1e9 if nano else 1e6), linktype, blob[pos:pos + incl]
        pos += incl


def _l3_of(linktype, frame):
    """(ethertype, payload) of a captured frame, or None."""
    if linktype == 1 and len(frame) >= 14:
        et, off = struct.unpack_from(">H", frame, 12)[0], 14
        while et == 0x8100 and len(frame) >= off + 4:
            et, off = struct.unpack_from(">H", frame, off + 2)[0], off + 4
        return et, frame[off:]
    if linktype == 113 and len(frame) >= 16:
        return struct.unpack_from(">H", frame, 14)[0], frame[16:]
    if linktype == 276 and len(frame) >= 20:
        return struct.unpack_from(">H", frame, 0)[0], frame[20:]
    if linktype in (12, 101) and frame:
        return (0x0800 if frame[0] >> 4 == 4 else 0x86DD), frame
    return None


def _udp_of(et, pkt):
    if et == 0x0800 and len(pkt) >= 20 and pkt[9] == 17:
        ihl = (pkt[0] & 15) * 4
        if struct.unpack_from(">H", pkt, 6)[0] & 0x3FFF:
            return None  # a fragment
        src, dst = socket.inet_ntop(socket.AF_INET, pkt[12:16]), socket.inet_ntop(socket.AF_INET, pkt[16:20])
        udp = pkt[ihl:]
    elif et == 0x86DD and len(pkt) >= 40 and pkt[6] == 17:
        src, dst = socket.inet_ntop(socket.AF_INET6, pkt[8:24]), socket.inet_ntop(socket.AF_INET6, pkt[24:40])
        udp = pkt[40:]
    else:
        return None
    if len(udp) < 8:
        return None
    sport, dport, ulen = struct.unpack_from(">HHH", udp, 0)
    return src, sport, dst, dport, udp[8:max(8, min(ulen, len(udp)))]


def udp_payloads(path):
    """[(time, src, sport, dst, dport, payload)] of the UDP datagrams in a pcap file
    (IPv4 unfragmented and IPv6 without extension headers)."""
    out = []
    for ts, lt, frame in _pcap_records(path):
        l3 = _l3_of(lt, frame)
        u = _udp_of(*l3) if l3 else None
        if u:
            out.append((ts,) + u)
    return out


def sip_messages(path):
    """[(time, src, sport, dst, dport, message bytes)] of the SIP messages over UDP."""
    return [r for r in udp_payloads(path) if sip_method(r[5])]


# ---------------------------------------------------------------------------
# tshark


PROTOCOLS = ("sip", "sdp", "rtp", "rtcp", "stun", "classicstun", "hip", "esp")


@dataclass
class TsharkReport:
    """frames: frames read; counts: frames per protocol of PROTOCOLS; problems: frames
    that are malformed or carry an expert warning or error, as dicts (frame,
    protocols, severity, message); ok: no problems."""
    frames: int = 0
    counts: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    ok: bool = True
    error: str = ""


TSHARK_HEURISTICS = ("rtp_udp", "rtcp_udp", "stun_udp")


def tshark_check(pcap, decode_as=(), heuristics=TSHARK_HEURISTICS, ignore=()):
    """Dissects PCAP with tshark (-n, the heuristics, decode_as entries like
    "udp.port==5062,sip"). Problems: frames with _ws.malformed or an expert item of
    severity Warning or Error, except messages matching a regex of IGNORE."""
    base = ["tshark", "-r", pcap, "-n"]
    for h in heuristics:
        base += ["--enable-heuristic", h]
    for d in decode_as:
        base += ["-d", d]
    rep = TsharkReport(counts={p: 0 for p in PROTOCOLS})
    r = subprocess.run(base + ["-T", "fields", "-e", "frame.number", "-e", "frame.protocols"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        rep.ok, rep.error = False, r.stderr.strip()[-500:]
        return rep
    for line in r.stdout.splitlines():
        num, _, protos = line.partition("\t")
        if not num:
            continue
        rep.frames += 1
        layers = set(protos.split(":"))
        for p in PROTOCOLS:
            rep.counts[p] += p in layers
    filt = '_ws.malformed || _ws.expert.severity >= "Warning"'
    r = subprocess.run(base + ["-Y", filt, "-T", "fields", "-E", "occurrence=a",
                               "-E", "aggregator=|", "-e", "frame.number",
                               "-e", "frame.protocols", "-e", "_ws.expert.severity",
                               "-e", "_ws.expert.message", "-e", "_ws.malformed"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        rep.ok, rep.error = False, r.stderr.strip()[-500:]
        return rep
    for line in r.stdout.splitlines():
        cols = (line.split("\t") + [""] * 5)[:5]
        if not cols[0]:
            continue
        if ignore and cols[3] and all(any(re.search(i, m) for i in ignore)
                                      for m in cols[3].split("|")):
            continue
        rep.problems.append({"frame": int(cols[0]), "protocols": cols[1],
                             "severity": cols[2], "message": cols[3] or cols[4]})
    rep.ok = not rep.problems
    return rep


# ---------------------------------------------------------------------------
# Command line


def _main(argv):
    ap = argparse.ArgumentParser(prog="sipcall.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tone", help="write a tone WAV (8 kHz mono S16LE)")
    t.add_argument("file")
    t.add_argument("--freq", type=float, default=1000.0)
    t.add_argument("--seconds", type=float, default=10.0)
    t.add_argument("--amplitude", type=float, default=0.5)
    d = sub.add_parser("detect", help="look for a tone in a WAV; exit 0 if found")
    d.add_argument("file")
    d.add_argument("--freq", type=float, required=True)
    d.add_argument("--min-fraction", type=float, default=0.5)
    d.add_argument("--start", type=float, default=0.0)
    d.add_argument("--end", type=float, default=None)
    s = sub.add_parser("tshark", help="dissect a pcap; exit 0 if no malformed/warning")
    s.add_argument("pcap")
    s.add_argument("--decode-as", action="append", default=[])
    s.add_argument("--ignore", action="append", default=[])
    a = ap.parse_args(argv)
    if a.cmd == "tone":
        write_tone_wav(a.file, a.freq, a.seconds, a.amplitude)
        return 0
    if a.cmd == "detect":
        rep = analyse_wav(a.file, a.freq, min_fraction=a.min_fraction, start_s=a.start,
                          end_s=a.end)
        print(json.dumps(asdict(rep)))
        return 0 if rep.found else 1
    rep = tshark_check(a.pcap, decode_as=a.decode_as, ignore=a.ignore)
    print(json.dumps(asdict(rep)))
    return 0 if rep.ok else 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
