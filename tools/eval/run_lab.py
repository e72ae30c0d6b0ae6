#!/usr/bin/env python3
# The evaluation's lab runner (issue 8): the paper's session-setup scenario on a hiplab lab,
# R calls per case (hip/ice mode x good/bad NATs), RAW data (stamps, pcaps, calls.jsonl,
# keepalive.json, meta.json) under OUT/raw/<case>/. Not the analysis (tools/eval/analyze.py).
"""Runs the paper's session-establishment measurement (Fig. 6) for real and writes RAW data.

Scenario: a caller and a callee, each behind its own NAT (both good or both bad), four public
overlay peers p1..p4, coturn (STUN/TURN) on a public host. Each case brings a fresh lab up,
starts hipd (hip mode) and p2psipd on every host, waits for the ring, starts baresip on the
caller and the callee (their p2psipd as outbound proxy) and makes the calls; between first
calls the caller-callee connection is torn down (hip: the HIP association is CLOSEd by the
caller's hipd right before dialling; ice: the SIP ICE flow is closed on both sides with
`p2psipctl flow-close`), so each first call runs Lookup, Connect, ICE again; a "second" call
follows a first call at once with everything still up. After the last call the lab stays
idle for --keepalive-s seconds. The AORs are chosen (alice, alice1, ...; bob, ...) so that a
public peer holds each record and the lookup crosses the overlay.

Delays (one way, per attachment, both directions; hiplab's link emulator): each NATed host's
LAN link (host - NAT) has --access-delay-ms (default 20 ms: a residential access line, DSL /
cable / LTE first hop, is 10-30 ms one way); every node on the public link (the NAT routers'
outside, the public peers, coturn) has --core-delay-ms (default 10 ms), so two public nodes
are 20 ms apart, a NATed host is 30 ms from a public one and 60 ms from the other NATed host
(RTT 120 ms, a continental call). The paper gives no figures for its own setup.

RAW layout (the contract with tools/eval/analyze.py, see its docs): OUT/raw/<case>/
meta.json, calls.jsonl, keepalive.json, <host>/p2psipd.jsonl, <host>/hipd.jsonl (hip),
<host>/host.pcap (caller, callee), <host>/*.log, topology.toml, hiplab.log. Beyond the
contract: calls.jsonl's "bex" (hip mode: "call" when the call's INVITE triggered the base
exchange, "other" when something else had started it just before, e.g. overlay traffic
between caller and callee, who are overlay neighbours here; "none"), meta.json's "aors", "clock" {"monotonic_ns", "realtime_ns"} (read together: stamps and
calls are CLOCK_MONOTONIC, pcap times CLOCK_REALTIME) and "boot_id".
A case whose lab did not come up is tried again (--setup-tries); the failed attempts' files
go to OUT/failed/<case>-N. Needs root, baresip, coturn, tcpdump (tools/install-deps).
The lab files with the default delays are tools/hiplab/topologies/eval-{good,bad}.toml
(written by --write-topology).
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))

import overlay_driver as od  # noqa: E402
import sipcall  # noqa: E402
from sipcall import Baresip  # noqa: E402

CASES = ("hip-good", "hip-bad", "ice-good", "ice-bad")
PUBLIC = ("p1", "p2", "p3", "p4")
HOSTS = PUBLIC + ("caller", "callee")
# ICE pacing Ta of hipd's agents and of p2psipd's (ice mode: overlay links, SIP flows,
# media), so both modes' checks run alike: the ice/ library's default (RFC 8445 14.2: 50 ms).
ICE_TA_MS = 50
SERVER = "203.0.113.3:3478"
DOMAIN = "p2psip.test"
SIP_T1_MS, P2PP_T2_MS = 150, 6000


def log(msg):
    print(f"[eval {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class CaseError(Exception):
    """The case cannot run at all (lab, daemons, ring, clients)."""


# ---------------------------------------------------------------------------
# the topology


def topology(nat, access_ms, core_ms):
    """The lab file for NAT kind nat ("good" | "bad") with the given one-way delays."""
    core = f'delay = "{core_ms}ms"' if core_ms else ""
    acc = f'delay = "{access_ms}ms"' if access_ms else ""
    sep = lambda d: (", " + d) if d else ""  # noqa: E731
    peers = "".join(
        f'\n[host.{p}]\niface = [{{ link = "public", ipv4 = "203.0.113.{11 + i}"{sep(core)} }}]\n'
        for i, p in enumerate(PUBLIC))
    return f"""# The paper's evaluation scenario (issue 8), {nat} NATs: four public overlay peers, coturn,
# a caller and a callee each behind its own NAT. Written by tools/eval/run_lab.py (access
# {access_ms} ms on each NATed host's LAN link, core {core_ms} ms on each public attachment,
# one way); see its --help for why.
description = "eval: caller and callee behind {nat} NATs, 4 public peers, coturn"

[link.public]
ipv4 = "203.0.113.0/24"
ipv6 = "2001:db8:ffff::/64"

[link.lan-a]
ipv4 = "192.0.2.0/24"

[link.lan-b]
ipv4 = "198.51.100.0/24"

[router.nat-a]
nat = "{nat}"
iface = [{{ link = "public", ipv4 = "203.0.113.1", outside = true{sep(core)} }}, {{ link = "lan-a" }}]

[router.nat-b]
nat = "{nat}"
iface = [{{ link = "public", ipv4 = "203.0.113.2", outside = true{sep(core)} }}, {{ link = "lan-b" }}]

[host.stun]
iface = [{{ link = "public", ipv4 = ["203.0.113.3", "203.0.113.4"]{sep(core)} }}]
run = ["turn"]
{peers}
[host.caller]
iface = [{{ link = "lan-a"{sep(acc)} }}]

[host.callee]
iface = [{{ link = "lan-b"{sep(acc)} }}]

[turn]
realm = "{DOMAIN}"
users = ["alice:secret", "bob:secret"]
"""


# ---------------------------------------------------------------------------
# processes


class Lab:
    """One case's lab: namespaces (hiplab), daemons, captures, clients; down() removes all."""

    def __init__(self, args, case, raw):
        self.args, self.case, self.raw = args, case, raw
        self.mode, self.nat = case.split("-")
        self.name = f"ev{os.getpid() % 100000}{CASES.index(case)}"
        self.work = tempfile.mkdtemp(prefix="hipsip-eval.")  # sockets, state (short paths)
        self.procs, self.caps, self.clients = [], [], []
        self.up = False
        self.hit, self.addr = {}, {}
        b = os.path.abspath(args.build_dir)
        self.hiplab = os.path.join(SRC, "tools", "hiplab", "hiplab")
        self.hipd = os.path.join(b, "hipd", "hipd")
        self.hipconf = os.path.join(b, "tools", "hipconf", "hipconf")
        self.p2psipd = os.path.join(b, "p2psipd", "p2psipd")
        self.p2psipctl = os.path.join(b, "tools", "p2psipctl", "p2psipctl")
        self.env = dict(os.environ, HIPLAB_LINKEMU=os.path.join(b, "tools", "hiplab",
                                                                 "hiplab-linkemu"))

    def ns(self, host):
        return f"hl-{self.name}.{host}"

    def hostdir(self, host):
        d = os.path.join(self.raw, host)
        os.makedirs(d, exist_ok=True)
        return d

    def psock(self, host):
        return os.path.join(self.work, host, "p2psipd.sock")

    def hsock(self, host):
        return os.path.join(self.work, host, "hipd.sock")

    def run(self, argv, timeout=30, check=True):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=self.env)
        if check and r.returncode != 0:
            raise CaseError(f"{' '.join(argv[:4])}...: {r.stderr.strip() or r.stdout.strip()}")
        return r

    # -- lab -------------------------------------------------------------------
    def bring_up(self):
        topo = os.path.join(self.raw, "topology.toml")
        with open(topo, "w") as f:
            f.write(topology(self.nat, self.args.access_delay_ms, self.args.core_delay_ms))
        self.topology = topo
        self.up = True
        r = self.run([self.hiplab, "up", topo, "--name", self.name], timeout=120, check=False)
        with open(os.path.join(self.raw, "hiplab.log"), "w") as f:
            f.write(r.stdout + r.stderr)
        if r.returncode != 0:
            raise CaseError(f"hiplab up failed: {r.stderr.strip()[-500:]}")
        for h in HOSTS + ("stun",):
            self.addr[h] = self.run([self.hiplab, "addr", "--lab", self.name, h]).stdout.strip()
        # public hosts route as on the Internet: coturn drops a relay whose send fails with
        # ENETUNREACH (a peer's private host candidate, which ICE does try); so do the peers
        self.run(["ip", "-n", self.ns("stun"), "route", "add", "default", "via", self.addr["p1"]])
        for p in PUBLIC:
            self.run(["ip", "-n", self.ns(p), "route", "add", "default", "via",
                      SERVER.split(":")[0]])
        fd = os.open(os.path.join(self.work, "turn-pass"), os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("secret\n")

    def capture(self, host):
        path = os.path.join(self.hostdir(host), "host.pcap")
        logp = path + ".log"
        with open(logp, "wb") as lf:
            p = subprocess.Popen([self.hiplab, "capture", "--lab", self.name, f"{host}:eth0",
                                  "-w", path], stdout=lf, stderr=subprocess.STDOUT,
                                 start_new_session=True, env=self.env)
        self.caps.append(p)
        end = time.monotonic() + 10
        while time.monotonic() < end and p.poll() is None:
            with open(logp, "rb") as f:
                if b"listening on" in f.read():
                    return
            time.sleep(0.1)
        raise CaseError(f"capture on {host} did not start: {open(logp).read()[-300:]}")

    def spawn(self, host, what, argv):
        logp = os.path.join(self.hostdir(host), f"{what}.log")
        with open(logp, "ab") as lf:
            p = subprocess.Popen(["ip", "netns", "exec", self.ns(host)] + argv,
                                 stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT,
                                 start_new_session=True, env=self.env)
        self.procs.append((host, what, p))
        return p

    def wait_sock(self, path, proc, what, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if os.path.exists(path):
                return
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        raise CaseError(f"{what} did not start (see its log)")

    # -- daemons ---------------------------------------------------------------
    def start_hipd(self):
        for h in HOSTS:
            os.makedirs(os.path.join(self.work, h), exist_ok=True)
            argv = [self.hipd, "--state-dir", os.path.join(self.work, h, "state"),
                    "--socket", self.hsock(h),
                    "--stamps", os.path.join(self.hostdir(h), "hipd.jsonl"), "--node", h,
                    "--hi", "ecdsa-p256", "--transport", "udp", "--no-raw", "--rto-ms", "300",
                    "--dataplane", "userspace", "--nat", "ice", "--ice-ta-ms", str(ICE_TA_MS),
                    "--stun", SERVER, "--turn", SERVER, "--turn-user", "alice",
                    "--turn-pass-file", os.path.join(self.work, "turn-pass")]
            p = self.spawn(h, "hipd", argv)
            self.wait_sock(self.hsock(h), p, f"hipd on {h}")
        for h in HOSTS:
            out = self.hc(h, "daemon", "get", "hi", "default")
            self.hit[h] = next(i["hit"] for i in out["identities"] if i.get("default"))

    def hc(self, host, *argv, check=True):
        r = self.run([self.hipconf, "--socket", self.hsock(host), "--json", *argv],
                     check=check)
        try:
            return json.loads(r.stdout) if r.stdout.strip() else {}
        except ValueError:
            return {}

    def pc(self, host, *argv, check=False):
        r = self.run([self.p2psipctl, "--socket", self.psock(host), "--json", *argv],
                     check=check)
        try:
            return json.loads(r.stdout) if r.stdout.strip() else {}
        except ValueError:
            return {}

    def start_p2psipd(self):
        common = ["--stabilize-ms", "1000", "--fix-ms", "200", "--p2pp-t0-ms", "600",
                  "--p2pp-t2-ms", str(P2PP_T2_MS), "--sip-timer-c-ms", "60000",
                  "--sip-t1-ms", str(SIP_T1_MS), "--log-level", "info"]
        for h in HOSTS:
            os.makedirs(os.path.join(self.work, h), exist_ok=True)
            argv = [self.p2psipd, "--connection-mode", self.mode, "--node", h,
                    "--ctl", self.psock(h), "--state-dir", os.path.join(self.work, h, "p2psip"),
                    "--stamp", os.path.join(self.hostdir(h), "p2psipd.jsonl")] + common
            if self.mode == "hip":
                argv += ["--identity", os.path.join(self.work, h, "state", "hi-ecdsa-p256.pem"),
                         "--hipd-socket", self.hsock(h)]
                if h in PUBLIC:
                    argv += ["--hip-locator", self.addr[h]]
                if h != "p1":
                    argv += ["--bootstrap", f"{self.hit['p1']}@{self.addr['p1']}"]
            else:
                argv += ["--listen", f"{self.addr[h]}:6084", "--stun", SERVER, "--turn", SERVER,
                         "--turn-user", "alice", "--ice-ta-ms", str(ICE_TA_MS),
                         "--turn-pass-file", os.path.join(self.work, "turn-pass")]
                if h != "p1":
                    argv += ["--bootstrap", f"{self.addr['p1']}:6084"]
            p = self.spawn(h, "p2psipd", argv)
            self.wait_sock(self.psock(h), p, f"p2psipd on {h}")
            if self.mode == "ice":
                self.hit[h] = self.pc(h, "status").get("node_id")

    def ring_wrong(self):
        """None when every node has joined with the right predecessor and successor list
        (lookups are then routed right; fingers only make them shorter and are refreshed
        one per --fix-ms), else what is wrong."""
        try:
            st = {h: od.call(self.psock(h), {"cmd": "status"}, 5.0) for h in HOSTS}
        except (OSError, ConnectionError) as e:
            return str(e)
        why = od.check_ring({i: st[h] for i, h in enumerate(HOSTS)}, with_fingers=False)
        if why:
            return why
        self.node_id = {h: v["node_id"] for h, v in st.items()}
        return None

    def wait_ring(self, timeout):
        t0 = time.monotonic()
        why = "?"
        while time.monotonic() - t0 < timeout:
            why = self.ring_wrong()
            if why is None:
                return
            time.sleep(0.25)
        raise CaseError(f"the ring did not form in {timeout} s: {why}")

    def pick_aors(self):
        """AORs whose records neither the caller's nor the callee's node is responsible for,
        nor the node just before the responsible one: the caller's lookup then goes through
        public peers only (a node serves keys it is responsible for locally, so with 6 nodes
        one call in six would have no Lookup at all; and in hip mode a lookup routed through
        the callee would wait for the caller-callee association that is closed before each
        first call)."""
        ours = {od.ident(self.node_id[h]) for h in ("caller", "callee")}
        ring = sorted(od.ident(v) for v in self.node_id.values())
        aors = {}
        for h, user in (("caller", "alice"), ("callee", "bob")):
            for i in range(64):
                aor = f"sip:{user}{i or ''}@{DOMAIN}"
                r = self.pc("p1", "lookup", aor)
                if not r.get("ok"):
                    continue
                node = od.ident(r["node"])
                pred = ring[ring.index(node) - 1] if node in ring else None
                if node not in ours and pred not in ours:
                    aors[h] = aor
                    break
            else:
                raise CaseError(f"no AOR for {h} held by a public peer after a public peer")
        return aors

    def start_clients(self, tone_hz=(1000, 1500)):
        self.aor = self.pick_aors()
        CALLER_AOR, CALLEE_AOR = self.aor["caller"], self.aor["callee"]
        d = {h: self.hostdir(h) for h in ("caller", "callee")}
        secs = 600
        wav = {h: sipcall.write_tone_wav(os.path.join(self.work, f"{h}.wav"), hz, secs)
               for h, hz in zip(("caller", "callee"), tone_hz)}
        self.caller = Baresip.behind_proxy("alice", os.path.join(d["caller"], "baresip"),
                                           netns=self.ns("caller"), aor=CALLER_AOR,
                                           source_wav=wav["caller"])
        self.callee = Baresip.behind_proxy("bob", os.path.join(d["callee"], "baresip"),
                                           netns=self.ns("callee"), aor=CALLEE_AOR,
                                           source_wav=wav["callee"])
        for c in (self.caller, self.callee):
            self.clients.append(c)
            c.start()
        for h, aor in (("caller", CALLER_AOR), ("callee", CALLEE_AOR)):
            if not wait_for(lambda: self.registered(h, aor), 30):
                raise CaseError(f"{aor} did not register at {h}'s p2psipd")
        other = {"caller": "callee", "callee": "caller"}
        for h, aor in (("caller", CALLER_AOR), ("callee", CALLEE_AOR)):
            ok = wait_for(lambda: self.pc(other[h], "resolve", aor).get("hits") ==
                          [self.hit[h]], 30)
            if not ok:
                raise CaseError(f"{aor} does not resolve to {h}'s HIT from {other[h]}")

    def registered(self, host, aor):
        return any(r.get("aor") == aor and r.get("state") == "active"
                   for r in self.pc(host, "registrations").get("registrations", []))

    # -- teardown --------------------------------------------------------------
    def down(self):
        for c in self.clients:
            try:
                c.stop(quit_wait=2.0)
            except Exception as e:  # noqa: BLE001 - teardown goes on
                log(f"  stopping {c.name}: {e}")
        for p in self.caps:
            stop_proc(p, group=True)
        for host, what, p in reversed(self.procs):
            stop_proc(p, group=True)
        if self.up:
            subprocess.run([self.hiplab, "down", "--lab", self.name], capture_output=True,
                           env=self.env, timeout=120)
            self.up = False
        shutil.rmtree(self.work, ignore_errors=True)


def stop_proc(p, group=False, wait=5.0):
    if p.poll() is not None:
        return
    for sig, t in ((signal.SIGTERM, wait), (signal.SIGKILL, 3.0)):
        try:
            if group:
                os.killpg(p.pid, sig)
            else:
                p.send_signal(sig)
        except ProcessLookupError:
            return
        try:
            p.wait(t)
            return
        except subprocess.TimeoutExpired:
            pass


def wait_for(cond, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return False


# ---------------------------------------------------------------------------
# tearing down the caller-callee connection between first calls


def ha_state(lab, host, peer_hit):
    out = lab.hc(host, "daemon", "get", "ha", "all", check=False)
    for a in out.get("associations", []):
        if a.get("peer_hit") == peer_hit:
            return a.get("state")
    return "none"


def fresh_hip(lab):
    """CLOSE the caller-callee HIP association (RFC 7401 5.3.7) from the caller's side; the
    call is dialled right after, while the CLOSE is still under way. Waiting for CLOSED is
    no use in this lab: caller and callee are overlay neighbours (6 nodes, 8 successors), so
    P2PP between them and link_hip's trigger of known peers start a new base exchange
    within ~100 ms of the close. The call's INVITE then finds the association CLOSING or
    CLOSED and its packet triggers the BEX itself (hipd's dp.trigger), unless the overlay
    was first: calls.jsonl's "bex" says which ("call" / "other"). Returns None or why not."""
    he = lab.hit["callee"]
    st = ha_state(lab, "caller", he)
    if st in ("ESTABLISHED", "R2-SENT", "I2-SENT", "I1-SENT"):
        lab.hc("caller", "daemon", "close", he, check=False)
    if not wait_for(lambda: ha_state(lab, "caller", he) in ("none", "CLOSING", "CLOSED",
                                                             "UNASSOCIATED"), 2, 0.02):
        return f"association still {ha_state(lab, 'caller', he)} after the close"
    return None


def fresh_ice(lab):
    """Close the SIP ICE flow between the caller's and the callee's p2psipd on both sides."""
    for h, peer in (("caller", "callee"), ("callee", "caller")):
        lab.pc(h, "flow-close", lab.hit[peer])
    ours = {od.ident(lab.hit["caller"]), od.ident(lab.hit["callee"])}
    left = [f for h in ("caller", "callee") for f in lab.pc(h, "flows").get("flows", [])
            if od.ident(f.get("peer")) in ours]
    return f"flows still up: {left}" if left else None


# ---------------------------------------------------------------------------
# one call


def make_call(lab, index, second, fresh, args):
    rec = {"index": index, "second": second, "ok": False, "call_id": None, "t_start_ns": None,
           "t_answered_ns": None, "t_end_ns": None, "tone_ok": None, "fresh": fresh,
           "error": None}
    caller, callee = lab.caller, lab.callee
    mc = caller.mark()
    rec["t_start_ns"] = time.monotonic_ns()
    r = sipcall.run_call(caller, callee, lab.aor["callee"], send_hz=1000, back_hz=1500,
                         listen_s=args.tone_s, setup_timeout=args.setup_timeout,
                         label=f"call {index}")
    rec["t_end_ns"] = time.monotonic_ns()
    for ev in caller.events[mc:]:
        if ev.get("type") == "CALL_ESTABLISHED" and rec["t_answered_ns"] is None:
            rec["t_answered_ns"] = int(ev["_t"] * 1e9)
        if ev.get("id") and not rec["call_id"]:
            rec["call_id"] = ev.get("id")
    closed = r.closed and all(v is not None for v in r.closed.values())
    rec["ok"] = bool(r.established and closed)
    if args.tone_s > 0 and r.established:
        rec["tone_ok"] = bool(r.at_callee and r.at_callee.found and r.back and r.back.found)
    if r.failures:
        rec["error"] = "; ".join(str(f) for f in r.failures)[:500]
    if lab.mode == "hip":
        rec["bex"] = bex_trigger(lab, rec)
    return rec


def bex_trigger(lab, rec):
    """hip mode, beyond the contract: who started the caller-callee base exchange seen in
    the call: "call" (the first I1 between them, sent by either hipd, went after the caller's
    p2psipd sent the INVITE: the call's own BEX), "other" (a BEX, but started before the
    INVITE: overlay traffic between them, or p2psipd/link/link_hip.c's trigger of known
    peers, by either side) or "none" (the association was up)."""
    t0, t1 = rec["t_start_ns"], rec["t_end_ns"]
    p2p = stamps(os.path.join(lab.raw, "caller", "p2psipd.jsonl"), t0, t1)
    inv = next((s["t"] for s in p2p if s["ev"] == "sip.invite.sent"), None)
    since = t0 - (500_000_000 if rec["fresh"] else 0)  # the close went just before t0
    i1 = []
    for host, peer in (("caller", "callee"), ("callee", "caller")):
        for s in stamps(os.path.join(lab.raw, host, "hipd.jsonl"), since, t1):
            if s.get("peer") == lab.hit[peer] and s["ev"] in ("bex.i1_sent", "bex.i1_received"):
                i1.append(s["t"])
    if not i1:
        return "none"
    return "call" if inv is not None and min(i1) >= inv else "other"


def stamps(path, t0, t1):
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    s = json.loads(line)
                except ValueError:
                    continue
                if t0 <= s.get("t", 0) <= t1:
                    out.append(s)
    except OSError:
        pass
    return out


def sanity(lab, rec):
    """A line on the call's stamps: setup (sip.lookup.start -> sip.200.received at the
    caller's p2psipd) and what else ran; also the list of missing stamps."""
    t0, t1 = rec["t_start_ns"], rec["t_end_ns"] or time.monotonic_ns()
    st = stamps(os.path.join(lab.raw, "caller", "p2psipd.jsonl"), t0, t1)
    first = {}
    for s in st:
        first.setdefault(s["ev"], s["t"])
    want = ["sip.lookup.start", "sip.lookup.done", "sip.invite.sent", "sip.200.received"]
    if lab.mode == "ice":
        want += ["media.ice.done"]
        if rec["fresh"]:
            want += ["sip.connect.start", "sip.ice.done"]
    else:
        hs = stamps(os.path.join(lab.raw, "caller", "hipd.jsonl"), t0, t1)
        callee = lab.hit["callee"]
        for s in hs:
            if s.get("peer") in (callee, None):
                first.setdefault(s["ev"], s["t"])
        if rec["fresh"]:
            want += ["bex.i1_sent", "bex.established", "ice.checks.done"]
    missing = [w for w in want if w not in first]
    setup = None
    if "sip.lookup.start" in first and "sip.200.received" in first:
        setup = (first["sip.200.received"] - first["sip.lookup.start"]) / 1e6
    parts = []
    for a, b, name in (("sip.lookup.start", "sip.lookup.done", "lookup"),
                       ("bex.i1_sent", "bex.established", "bex"),
                       ("sip.connect.start", "sip.ice.done", "sip-flow"),
                       ("media.ice.gather.start", "media.ice.done", "media-ice")):
        if a in first and b in first:
            parts.append(f"{name} {(first[b] - first[a]) / 1e6:.0f}")
    return setup, missing, parts


# ---------------------------------------------------------------------------
# one case


def run_case(args, case, out):
    """The case, its setup tried up to --setup-tries times (a failed attempt's files move
    to OUT/failed/CASE-N). False when it could not run at all."""
    for attempt in range(1, args.setup_tries + 1):
        r = run_case_once(args, case, out)
        if r != "setup":
            return r
        dst = os.path.join(out, "failed", f"{case}-{attempt}")
        shutil.rmtree(dst, ignore_errors=True)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.move(os.path.join(out, "raw", case), dst)
        log(f"{case}: setup attempt {attempt} failed; its files are in {dst}")
    return False


def run_case_once(args, case, out):
    raw = os.path.join(out, "raw", case)
    if os.path.exists(raw):
        shutil.rmtree(raw)
    os.makedirs(raw)
    lab = Lab(args, case, raw)
    t_case = time.monotonic()
    meta = {"case": case, "mode": lab.mode, "nat": lab.nat,
            "delays": {"access_ms": args.access_delay_ms, "core_ms": args.core_delay_ms},
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "calls": args.calls, "second": args.second, "keepalive_s": args.keepalive_s,
            "tone_s": args.tone_s, "clock": clocks(), "boot_id": boot_id()}
    n_ok = n_calls = 0
    try:
        log(f"{case}: lab up ({lab.name})")
        lab.bring_up()
        meta["topology"] = lab.topology
        for h in ("caller", "callee"):
            lab.capture(h)
        if lab.mode == "hip":
            lab.start_hipd()
        lab.start_p2psipd()
        log(f"{case}: daemons up ({time.monotonic() - t_case:.1f} s); waiting for the ring")
        lab.wait_ring(args.ring_timeout)
        lab.start_clients()
        log(f"{case}: ring formed, clients registered ({time.monotonic() - t_case:.1f} s)")
        meta["hosts"] = {h: {"ns": lab.ns(h), "addr": lab.addr[h], "hit": lab.hit.get(h),
                             "lan_addr": lab.addr[h] if h in ("caller", "callee") else None}
                         for h in HOSTS}
        meta["aors"] = lab.aor
        meta["hosts"]["stun"] = {"ns": lab.ns("stun"), "addr": lab.addr["stun"], "hit": None,
                                 "lan_addr": None}
        for h in ("caller", "callee"):  # the NAT's public address for the host
            meta["hosts"][h]["addr"] = "203.0.113.1" if h == "caller" else "203.0.113.2"
        write_json(os.path.join(raw, "meta.json"), meta)
        calls_path = os.path.join(raw, "calls.jsonl")
        index = 0
        for i in range(args.calls):
            plan = [False] + ([True] if args.second else [])
            for second in plan:
                fresh = not second
                err = None
                if fresh:
                    time.sleep(0.5)  # the BYE transaction's last retransmissions
                    err = fresh_hip(lab) if lab.mode == "hip" else fresh_ice(lab)
                if err:
                    rec = {"index": index, "second": second, "ok": False, "call_id": None,
                           "t_start_ns": None, "t_answered_ns": None, "t_end_ns": None,
                           "tone_ok": None, "fresh": False, "error": f"teardown: {err}"}
                else:
                    try:
                        rec = make_call(lab, index, second, fresh, args)
                    except (sipcall.BaresipError, OSError) as e:
                        rec = {"index": index, "second": second, "ok": False, "call_id": None,
                               "t_start_ns": None, "t_answered_ns": None, "t_end_ns": None,
                               "tone_ok": None, "fresh": fresh, "error": f"client: {e}"}
                with open(calls_path, "a") as f:
                    f.write(json.dumps(rec) + "\n")
                n_calls += 1
                n_ok += rec["ok"]
                kind = "second" if second else "first"
                took = ((rec["t_end_ns"] - rec["t_start_ns"]) / 1e9 if rec["t_end_ns"] else 0)
                line = f"{case}: call {i + 1}/{args.calls} ({kind}) "
                line += "ok" if rec["ok"] else f"FAILED ({rec['error']})"
                if rec["t_answered_ns"]:
                    line += f", answered after {(rec['t_answered_ns'] - rec['t_start_ns']) / 1e6:.0f} ms"
                if rec.get("bex") and rec["bex"] != ("call" if fresh else "none"):
                    line += f" (BEX: {rec['bex']})"
                if rec["t_start_ns"]:
                    setup, missing, parts = sanity(lab, rec)
                    if setup is not None:
                        line += f"; setup {setup:.0f} ms (lookup.start->200)"
                    if parts:
                        line += " [" + ", ".join(parts) + " ms]"
                    if missing:
                        line += f"; MISSING stamps {missing}"
                line += f"; {took:.1f} s"
                log(line)
                index += 1
        ka0 = time.monotonic_ns()
        log(f"{case}: keepalive window {args.keepalive_s} s")
        time.sleep(args.keepalive_s)
        write_json(os.path.join(raw, "keepalive.json"),
                   {"t_start_ns": ka0, "t_end_ns": time.monotonic_ns()})
    except CaseError as e:
        log(f"{case}: CANNOT RUN: {e}")
        meta["error"] = str(e)
        write_json(os.path.join(raw, "meta.json"), meta)
        return "setup"
    finally:
        lab.down()
        log(f"{case}: down; {n_ok}/{n_calls} calls ok; case took "
            f"{time.monotonic() - t_case:.1f} s")
    return True


def clocks():
    """CLOCK_MONOTONIC (the stamps' clock) and CLOCK_REALTIME (the captures') read together:
    the realtime read between two monotonic ones, paired with their midpoint."""
    best = None
    for _ in range(5):
        m0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        r = time.clock_gettime_ns(time.CLOCK_REALTIME)
        m1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        if best is None or m1 - m0 < best[2]:
            best = ((m0 + m1) // 2, r, m1 - m0)
    return {"monotonic_ns": best[0], "realtime_ns": best[1]}


def boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return None


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="run_lab.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (RAW data in OUT/raw/)")
    ap.add_argument("--cases", default=",".join(CASES),
                    help=f"comma-separated, of {', '.join(CASES)} (default all)")
    ap.add_argument("--calls", type=int, default=10, help="first calls per case (default 10)")
    ap.add_argument("--no-second", dest="second", action="store_false",
                    help="no second call (same peer, nothing torn down) after each first call")
    ap.add_argument("--keepalive-s", type=float, default=60,
                    help="idle window after the last call, for keepalive counts (default 60)")
    ap.add_argument("--access-delay-ms", type=int, default=20,
                    help="one-way delay of each NATed host's access link (default 20)")
    ap.add_argument("--core-delay-ms", type=int, default=10,
                    help="one-way delay of each public node's attachment to the core "
                         "(default 10)")
    ap.add_argument("--tone-s", type=float, default=1.0,
                    help="seconds of tone per call before hang-up (default 1; checked)")
    ap.add_argument("--setup-timeout", type=float, default=30.0,
                    help="seconds a call may take to be answered (default 30)")
    ap.add_argument("--ring-timeout", type=float, default=45.0,
                    help="seconds for the overlay ring to form (default 45)")
    ap.add_argument("--setup-tries", type=int, default=3,
                    help="fresh labs tried per case when the ring or the clients do not come "
                         "up (default 3)")
    ap.add_argument("--build-dir", default=os.path.join(SRC, "build"),
                    help="meson build directory (default SRC/build)")
    ap.add_argument("--write-topology", metavar="DIR",
                    help="only write eval-good.toml and eval-bad.toml with the delays to DIR")
    a = ap.parse_args(argv)
    a.cases = [c.strip() for c in a.cases.split(",") if c.strip()]
    bad = [c for c in a.cases if c not in CASES]
    if bad:
        ap.error(f"unknown case(s) {bad}; known: {', '.join(CASES)}")
    if a.calls < 1:
        ap.error("--calls must be at least 1")
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.write_topology:
        for nat in ("good", "bad"):
            with open(os.path.join(args.write_topology, f"eval-{nat}.toml"), "w") as f:
                f.write(topology(nat, args.access_delay_ms, args.core_delay_ms))
        return 0
    if os.geteuid() != 0:
        log("needs root (network namespaces)")
        return 2
    for t in ("baresip", "turnserver", "tcpdump", "ip", "nft"):
        if shutil.which(t) is None:
            log(f"{t} missing: run tools/install-deps")
            return 2
    for p in ("hipd/hipd", "p2psipd/p2psipd", "tools/p2psipctl/p2psipctl",
              "tools/hipconf/hipconf"):
        if not os.access(os.path.join(args.build_dir, p), os.X_OK):
            log(f"no {p} in {args.build_dir}: build first (meson setup build; ninja -C build)")
            return 2
    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "raw"), exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    t0 = time.monotonic()
    failed = []
    try:
        for case in args.cases:
            if not run_case(args, case, out):
                failed.append(case)
    except KeyboardInterrupt:
        log("interrupted; the lab was taken down")
        return 130
    log(f"done in {time.monotonic() - t0:.1f} s; RAW data in {out}/raw"
        + (f"; cases that could not run: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
