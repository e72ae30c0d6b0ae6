# A baresip controller for tests: config folder, process in a network namespace, ctrl_tcp
# (JSON in netstrings), events, recordings, one call run and judged. Not a SIP stack.

import ctypes
import glob
import json
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

from .tone import analyse_wav, write_silence_wav

__all__ = ["netns", "ns_argv", "BaresipError", "Account", "Baresip", "CallResult", "run_call"]

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

    def wait_registered(self, timeout=10.0, since=0):
        """Waits for REGISTER_OK; raises BaresipError on REGISTER_FAIL or timeout."""
        ev = self.wait_event(["REGISTER_OK", "REGISTER_FAIL"], timeout, since)
        if ev.get("type") != "REGISTER_OK":
            raise BaresipError(f"{self.name}: registration failed: {ev.get('param')}")
        return ev

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

    @classmethod
    def behind_proxy(cls, name, workdir, *, aor, netns=None, proxy="sip:127.0.0.1:5060",
                     sip_listen="127.0.0.1:5070", regint=600, source_wav=None,
                     ctrl="127.0.0.1:4444", rtp_ports=(16000, 16099), **kw):
        """A client as p2psipd serves it: listening on loopback (port 5070, since 5060 is
        the proxy's), its account AOR routed through the outbound PROXY, registering every
        REGINT seconds, answering calls by itself."""
        return cls(name, workdir, netns=netns, sip_listen=sip_listen,
                   account=Account(aor, outbound=proxy, regint=regint), source_wav=source_wav,
                   ctrl=ctrl, rtp_ports=rtp_ports, **kw)


# ---------------------------------------------------------------------------
# One call between two running clients, judged


@dataclass
class CallResult:
    """What run_call saw. established: CALL_ESTABLISHED at both ends and RTP both ways
    (CALL_RTPESTAB); setup_s: dial to the caller's CALL_ESTABLISHED; closed: CALL_CLOSED
    param per end (None: no CALL_CLOSED); audio_errors: AUDIO_ERROR events; wav_callee /
    wav_caller: the dec recordings; at_callee: ToneReport of the caller's tone at the
    callee; control: the same frequency at the caller (must not be found); back: the
    callee's tone at the caller (None when the callee sends silence); failures: what went
    wrong, in words (empty: the call is good)."""
    label: str
    established: bool = False
    setup_s: float = None
    closed: dict = field(default_factory=dict)
    audio_errors: list = field(default_factory=list)
    wav_callee: str = None
    wav_caller: str = None
    at_callee: object = None
    control: object = None
    back: object = None
    failures: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.failures


def run_call(caller, callee, uri, *, send_hz, back_hz=None, listen_s=3.0, setup_timeout=10.0,
             close_timeout=5.0, hangup_by="caller", label=None):
    """CALLER (a started Baresip playing a SEND_HZ tone) dials URI; CALLEE (started,
    answering by itself, playing BACK_HZ or silence) must answer; after LISTEN_S seconds
    HANGUP_BY ("caller" or "callee") hangs up; both must report CALL_CLOSED. Then the
    callee's dec recording must hold SEND_HZ, the caller's must not, and hold BACK_HZ when
    given. Leaves both clients running. Returns a CallResult."""
    res = CallResult(label or f"{caller.name}->{callee.name}")
    rec_caller, rec_callee = caller.recordings(), callee.recordings()
    mc, me = caller.mark(), callee.mark()
    t0 = time.monotonic()
    try:
        caller.dial(uri)
        caller.wait_event("CALL_ESTABLISHED", setup_timeout, since=mc)
        res.setup_s = round(time.monotonic() - t0, 3)
        callee.wait_event("CALL_ESTABLISHED", 5, since=me)
        callee.wait_event("CALL_RTPESTAB", 5, since=me)
        caller.wait_event("CALL_RTPESTAB", 5, since=mc)
        res.established = True
    except BaresipError as e:
        res.failures.append(f"not established: {e}")
    if res.established:
        time.sleep(listen_s)
    _hang_up(res, caller, callee, mc, me, hangup_by, close_timeout)
    res.audio_errors = [e for c, m in ((caller, mc), (callee, me)) for e in c.events[m:]
                        if e.get("type") == "AUDIO_ERROR"]
    if res.audio_errors:
        res.failures.append(f"AUDIO_ERROR (a source WAV shorter than the call?): "
                            f"{[e.get('param') for e in res.audio_errors]}")
    if res.established:
        _judge_audio(res, caller.new_recordings(rec_caller), callee.new_recordings(rec_callee),
                     send_hz, back_hz, listen_s)
    return res


def _hang_up(res, caller, callee, mc, me, hangup_by, timeout):
    (caller if hangup_by == "caller" else callee).hangup()
    for side, m in ((caller, mc), (callee, me)):
        try:
            res.closed[side.name] = side.wait_event("CALL_CLOSED", timeout, since=m).get("param")
        except BaresipError:
            res.closed[side.name] = None
            res.failures.append(f"no CALL_CLOSED at {side.name}")


def _judge_audio(res, heard_caller, heard_callee, send_hz, back_hz, listen_s):
    if len(heard_callee) != 1 or len(heard_caller) != 1:
        res.failures.append(f"expected one dec recording per end: {heard_callee} {heard_caller}")
        return
    res.wav_callee, res.wav_caller = heard_callee[0], heard_caller[0]
    res.at_callee = analyse_wav(res.wav_callee, send_hz)
    res.control = analyse_wav(res.wav_caller, send_hz)
    if not res.at_callee.found:
        res.failures.append(f"{send_hz} Hz not at the callee: {res.at_callee.reason}")
    if res.at_callee.seconds < listen_s - 0.5:
        res.failures.append(f"the callee heard only {res.at_callee.seconds} s")
    if res.control.found:
        res.failures.append(f"{send_hz} Hz also at the caller (control)")
    if back_hz is None:
        if res.control.level_dbfs >= -45:
            res.failures.append(f"the caller's recording is not silent ({res.control.level_dbfs} dBFS)")
        return
    res.back = analyse_wav(res.wav_caller, back_hz)
    if not res.back.found:
        res.failures.append(f"{back_hz} Hz not at the caller: {res.back.reason}")
