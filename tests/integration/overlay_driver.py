#!/usr/bin/env python3
"""Multi-process overlay test: N p2psipd processes, convergence against the sorted ID list
(successors, predecessors, fingers), put/get pairs from random nodes through the control
sockets, kill -9 of a quarter of the nodes, repair and every record found again, then one node
killed and started again at once with its identity, and every record found again. The driver
starts the nodes itself on loopback, or (--attach SPEC) drives nodes someone else started, e.g.
in a hiplab lab's namespaces (test_overlay_nat.sh): their control sockets are files, reachable
from here. Standard library only. Not the in-process engine test (tests/unit/test_ovl_node.c)."""
import argparse
import glob
import hashlib
import ipaddress
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

RING = 1 << 128


def call(path, req, timeout=30.0):
    """One request on a p2psipd control socket (4-byte big-endian length + JSON)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(path)
        body = json.dumps(req).encode()
        s.sendall(struct.pack(">I", len(body)) + body)
        hdr = b""
        while len(hdr) < 4:
            chunk = s.recv(4 - len(hdr))
            if not chunk:
                raise ConnectionError("closed")
            hdr += chunk
        n = struct.unpack(">I", hdr)[0]
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return json.loads(data)


def ident(text):
    return int(ipaddress.IPv6Address(text))


class Overlay:
    def __init__(self, binary, n, workdir, timers, log_level="warning"):
        self.binary, self.n, self.dir, self.timers = binary, n, workdir, timers
        self.log_level = log_level
        self.procs, self.socks, self.alive = [], [], []

    def start_node(self, i, bootstrap):
        """Starts node i (a new one, or again in place of a dead one: same state directory,
        so the same identity and node ID)."""
        sock = os.path.join(self.dir, f"n{i}.sock")
        args = [self.binary, "--listen", "127.0.0.1:0", "--state-dir",
                os.path.join(self.dir, f"n{i}"), "--ctl", sock, "--node", f"n{i}",
                "--log-level", self.log_level, "--no-sip",
                "--stamp", os.path.join(self.dir, f"n{i}.jsonl")] + self.timers
        if bootstrap:
            args += ["--bootstrap", bootstrap]
        with open(os.path.join(self.dir, f"n{i}.log"), "a") as log:
            p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        if i < len(self.procs):
            self.procs[i], self.alive[i] = p, True
        else:
            self.procs.append(p)
            self.socks.append(sock)
            self.alive.append(True)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                return call(sock, {"cmd": "status"}, 2.0)
            except (OSError, ConnectionError):
                if p.poll() is not None:
                    with open(os.path.join(self.dir, f"n{i}.log")) as f:
                        last = (f.read().strip().splitlines() or [""])[-1]
                    raise RuntimeError(f"p2psipd n{i} exited with {p.returncode}: {last}")
                time.sleep(0.05)
        raise RuntimeError(f"p2psipd n{i} did not open its control socket")

    def name(self, i):
        return f"n{i}"

    def start(self):
        st = self.start_node(0, None)
        boot = st["address"]
        for i in range(1, self.n):
            self.start_node(i, boot)

    def live(self):
        return [i for i in range(len(self.alive)) if self.alive[i]]

    def statuses(self):
        return {i: call(self.socks[i], {"cmd": "status"}, 5.0) for i in self.live()}

    def kill9(self, i):
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()
        self.alive[i] = False

    def restart(self, i):
        """kill -9 of node i and at once the daemon again, as systemd's Restart= would."""
        self.kill9(i)
        return self.start_node(i, self.statuses()[0]["address"])

    def stop(self):
        """SIGTERM (graceful leave) for every live node; their exit codes."""
        codes = {}
        for i in self.live():
            self.procs[i].send_signal(signal.SIGTERM)
        for i in self.live():
            try:
                codes[i] = self.procs[i].wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.procs[i].kill()
                codes[i] = "hung"
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        return codes


class Attached(Overlay):
    """Nodes started by someone else. SPEC: a JSON list of {"name", "sock", "pid", "group"};
    the first is the bootstrap node (never killed); group tells public from NATed nodes."""

    def __init__(self, spec):
        with open(spec) as f:
            self.nodes = json.load(f)
        self.n = len(self.nodes)
        self.socks = [x["sock"] for x in self.nodes]
        self.alive = [True] * self.n
        self.procs = []

    def name(self, i):
        return self.nodes[i]["name"]

    def start(self):
        pass

    def kill9(self, i):
        os.kill(self.nodes[i]["pid"], signal.SIGKILL)
        deadline = time.time() + 10
        while time.time() < deadline:  # gone, or a zombie of the shell that started it
            try:
                with open(f"/proc/{self.nodes[i]['pid']}/stat") as f:
                    if f.read().split(") ")[-1].startswith("Z"):
                        break
            except OSError:
                break
            time.sleep(0.05)
        self.alive[i] = False

    def stop(self):
        return {}  # the caller's cleanup stops what it started

    def victims(self, k, rnd):
        """k nodes other than the bootstrap: one behind a good NAT and one behind a bad NAT
        (groups nat-g*, nat-b*) among them, the rest drawn from all."""
        chosen = []
        for prefix in ("nat-g", "nat-b"):
            pool = [i for i in range(1, self.n)
                    if self.nodes[i].get("group", "").startswith(prefix)]
            if pool and len(chosen) < k:
                chosen.append(rnd.choice(pool))
        rest = [i for i in range(1, self.n) if i not in chosen]
        return chosen + rnd.sample(rest, k - len(chosen))


def link_report(st):
    """Every node's links by state and selected pair type (ice mode), summed."""
    count = {}
    for s in st.values():
        for ln in s.get("links", []):
            key = ln["state"] if ln["state"] != "up" else f"up/{ln.get('pair', '?')}"
            count[key] = count.get(key, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(count.items())) or "none reported"


def successor(ids, x):
    for v in ids:
        if v >= x:
            return v
    return ids[0]


def check_ring(st, with_fingers=True):
    """None if every node's predecessor, successor list and fingers are right; else why."""
    ids = sorted(ident(s["node_id"]) for s in st.values())
    n = len(ids)
    for i, s in st.items():
        me = ident(s["node_id"])
        k = ids.index(me)
        if s["state"] != "joined":
            return f"node {i} is {s['state']}"
        want_pred = ids[(k - 1) % n]
        if n > 1 and (s["predecessor"] is None or ident(s["predecessor"]) != want_pred):
            return f"n{i} predecessor {s['predecessor']}"
        succ = [ident(x) for x in s["successors"]]
        want = [ids[(k + j) % n] for j in range(1, min(len(succ), n - 1) + 1)]
        if not succ or succ != want or len(succ) < min(4, n - 1):
            bad = next((j for j in range(min(len(succ), len(want))) if succ[j] != want[j]),
                       min(len(succ), len(want)))
            return f"n{i} successors ({len(succ)} listed, first wrong at {bad})"
        if not with_fingers:
            continue
        covered = 0
        for f in s["fingers"]:
            node = ident(f["node"])
            for b in range(f["index"], f["last"] + 1):
                covered += 1
                if successor(ids, (me + (1 << b)) % RING) != node:
                    return f"n{i} finger {b}"
        if covered != 128:
            return f"n{i} has {covered} of 128 fingers"
    return None


def wait_ring(ov, timeout, what, poll=0.2):
    t0 = time.time()
    why = "?"
    said = t0
    while time.time() - t0 < timeout:
        try:
            why = check_ring(ov.statuses())
        except (OSError, ConnectionError) as e:
            why = str(e)
        if why is None:
            took = time.time() - t0
            print(f"{what}: ring correct after {took:.1f} s", flush=True)
            return took
        if time.time() - said >= 5:
            said = time.time()
            print(f"  {what}: after {said - t0:.0f} s still {why}", flush=True)
        time.sleep(poll)
    raise AssertionError(f"{what}: ring not correct after {timeout} s: {why}")


def put_get(ov, pairs, op, threads=8, deadline=None):
    """op 'put' or 'get' of pairs key-i = value-i from random live nodes; failures, hops.
    deadline: seconds after which the pairs not yet started count as failed (a broken
    overlay answers each request only at its timeout)."""
    failures, hops, lat = [], [], []
    lock = threading.Lock()
    todo = list(range(pairs))
    end = time.time() + deadline if deadline else None

    def worker(seed):
        rnd = random.Random(seed)
        while True:
            with lock:
                if not todo:
                    return
                if end and time.time() > end:
                    failures.extend((j, None, f"not tried: {deadline:.0f} s deadline")
                                    for j in todo)
                    todo.clear()
                    return
                i = todo.pop()
            node = rnd.choice(ov.live())
            req = {"cmd": op, "key": f"key-{i}"}
            if op == "put":
                req["value"] = f"value-{i}"
            try:
                r = call(ov.socks[node], req)
            except (OSError, ConnectionError) as e:
                r = {"ok": False, "error": str(e)}
            good = r.get("ok") and (op == "put" or
                                    [v.get("value") for v in r.get("values", [])] == [f"value-{i}"])
            with lock:
                if not good:
                    failures.append((i, node, r.get("error")))
                else:
                    hops.append(r["hops"])
                    lat.append(r["latency_ms"])

    ts = [threading.Thread(target=worker, args=(s,)) for s in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return failures, hops, lat


def dump_stores(ov, path):
    """Every live node's status and store, as JSON in path (kept with the logs); the dump."""
    dump = {}
    for i in ov.live():
        try:
            dump[ov.name(i)] = {"status": call(ov.socks[i], {"cmd": "status"}, 5.0),
                                "store": call(ov.socks[i], {"cmd": "store"}, 5.0)}
        except (OSError, ConnectionError) as e:
            dump[ov.name(i)] = str(e)
    with open(path, "w") as f:
        json.dump(dump, f, indent=1)
    return dump


def key_id(i):
    """The ID of key-i as p2psipd hashes it (store_key_from_string: 2001:22::/32 + SHA-256)."""
    return int("20010022" + hashlib.sha256(f"key-{i}".encode()).hexdigest()[:24], 16)


def where_held(dump, fails, dead=()):
    """Why gets failed: for each failed key, the nodes that held it in dump (taken just before
    the kill, or right after the failed gets). Every holder killed means no copy was left: more
    ring-adjacent nodes died at once than the replicas cover. Else the holders and roles, and
    the node the ring makes responsible (from the same dump)."""
    held, ids = {}, {}
    for name, d in dump.items():
        if not isinstance(d, dict):
            continue
        ids[name] = ident(d["status"]["node_id"])
        for r in d["store"]["records"]:
            held.setdefault(int(r["key"], 16), []).append(f"{name}/{r['role']}")
    order = sorted((v, k) for k, v in ids.items() if k not in dead)
    dead = set(dead)
    gone, rest = 0, []
    for f in fails:
        k = key_id(f[0])
        h = held.get(k, [])
        if h and {x.split("/")[0] for x in h} <= dead:
            gone += 1
            continue
        owner = next((nm for v, nm in order if v >= k), order[0][1] if order else "?")
        rest.append(f"key-{f[0]} asked at n{f[1]}, owner {owner}, held by {h or 'nobody'}")
    return (f"{gone} of the {len(fails)} failed keys had every copy on a killed node; "
            f"the others: {rest[:5]}")


def summary(hops, lat):
    if not hops:
        return "no successes"
    hs = sorted(hops)
    ls = sorted(lat)
    p99 = hs[min(len(hs) - 1, int(0.99 * len(hs)))]
    return (f"hops mean {sum(hs) / len(hs):.2f} p99 {p99}, latency mean "
            f"{sum(ls) / len(ls):.2f} ms p99 {ls[min(len(ls) - 1, int(0.99 * len(ls)))]:.2f} ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--p2psipd", help="the binary (not with --attach)")
    ap.add_argument("--nodes", type=int, default=16)
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--kill", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--attach", metavar="SPEC",
                    help="drive running nodes (JSON list of name, sock, pid, group)")
    ap.add_argument("--ring-timeout", type=float, default=60.0)
    ap.add_argument("--mode", default="plain", help="--connection-mode of the nodes started here")
    ap.add_argument("--log-level", default="warning", help="--log-level of the nodes started here")
    ap.add_argument("--ice-ta-ms", type=int,
                    help="--ice-ta-ms of the nodes started here (ice mode); checked in their stamps")
    ap.add_argument("--setup-times", nargs="+", metavar="STAMPS",
                    help="print ICE link set-up times from stamp files and exit")
    a = ap.parse_args()
    if a.setup_times:
        print(setup_times(a.setup_times))
        return 0
    random.seed(a.seed)
    if a.attach:
        return attached(a)
    if not a.p2psipd:
        ap.error("--p2psipd is needed (or --attach)")
    timers = ["--stabilize-ms", "200", "--fix-ms", "50", "--p2pp-t0-ms", "100",
              "--p2pp-t2-ms", "600", "--connection-mode", a.mode]
    if a.ice_ta_ms:
        timers += ["--ice-ta-ms", str(a.ice_ta_ms)]
    work = tempfile.mkdtemp(prefix="p2psip-ovl.")
    ov = Overlay(a.p2psipd, a.nodes, work, timers, a.log_level)
    ok = False
    try:
        ov.start()
        wait_ring(ov, 60, f"{a.nodes} nodes joined")
        if a.mode != "plain":
            print(f"links: {link_report(ov.statuses())}", flush=True)
        if a.ice_ta_ms:
            paced = checks_paced(glob.glob(os.path.join(work, "n*.jsonl")))
            print(f"ICE checks started: {sum(paced.values())}, by pacing {paced}", flush=True)
            assert paced and set(paced) == {f"Ta {a.ice_ta_ms} ms"}, \
                f"agents not paced at --ice-ta-ms {a.ice_ta_ms}: {paced}"
        for op in ("put", "get"):
            fails, hops, lat = put_get(ov, a.pairs, op)
            print(f"{a.pairs} {op}s from random nodes: {len(fails)} failed; "
                  f"{summary(hops, lat)}", flush=True)
            if fails and op == "get":
                dump = dump_stores(ov, os.path.join(work, "after-gets.json"))
                print(where_held(dump, fails), flush=True)
            assert not fails, f"{op} failures, e.g. {fails[:5]}"
        victims = random.sample(range(1, a.nodes), int(a.nodes * a.kill))
        before = dump_stores(ov, os.path.join(work, "before-kill.json"))
        for v in victims:
            ov.kill9(v)
        print(f"killed (SIGKILL) {len(victims)} nodes: {sorted(victims)}", flush=True)
        wait_ring(ov, 60, "after the failures")
        fails, hops, lat = put_get(ov, a.pairs, "get")
        print(f"{a.pairs} gets after the failures: {len(fails)} failed; {summary(hops, lat)}",
              flush=True)
        if fails:
            dump_stores(ov, os.path.join(work, "after-kill.json"))
            print(where_held(before, fails, {ov.name(v) for v in victims}), flush=True)
        assert not fails, f"get failures after kill, e.g. {fails[:5]}"
        # back with its ID before the ring noticed: nobody hands it its range, its records
        # are replicas at its successors (lookup_miss.c), and the ring still lists it
        back = random.choice([i for i in ov.live() if i != 0])
        ov.restart(back)
        print(f"restarted n{back} at once after kill -9 (same identity)", flush=True)
        wait_ring(ov, 60, "after the restart")
        fails, hops, lat = put_get(ov, a.pairs, "get")
        c = ov.statuses()[back]["counters"]
        print(f"{a.pairs} gets after the restart: {len(fails)} failed; {summary(hops, lat)}; "
              f"n{back} asked its successor {c['miss_asked']} times, found {c['miss_found']}",
              flush=True)
        assert not fails, f"get failures after the restart, e.g. {fails[:5]}"
        codes = ov.stop()
        bad = {i: c for i, c in codes.items() if c != 0}
        assert not bad, f"nodes did not stop cleanly on SIGTERM: {bad}"
        left = [s for s in ov.socks if os.path.exists(s) and
                ov.alive[ov.socks.index(s)]]
        assert not left, f"control sockets left behind: {left}"
        ok = True
        print("PASS", flush=True)
    finally:
        ov.stop()
        if ok and not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory (logs): {work}", file=sys.stderr)
    return 0 if ok else 1


def stamps(fn):
    """The events of one stamp file (JSON lines; a line cut short by a kill is skipped)."""
    with open(fn) as f:
        for line in f:
            try:
                yield json.loads(line)
            except ValueError:
                continue


def checks_paced(files):
    """How many ice.checks.start stamps name each pacing ("Ta 40 ms") in the stamp files."""
    paced = {}
    for e in (e for fn in files for e in stamps(fn)):
        if e.get("ev") == "ice.checks.start":
            ta = (e.get("detail") or "").partition(", ")[2] or "none"
            paced[ta] = paced.get(ta, 0) + 1
    return paced


def setup_times(files):
    """ice.link.connect.start (initiator) to ice.link.up per node and peer: median, p90, n."""
    took = []
    for fn in files:
        start = {}
        for e in stamps(fn):
            if e.get("ev") == "ice.link.connect.start" and e.get("detail") == "initiator":
                start[e["peer"]] = e["t"]
            elif e.get("ev") == "ice.link.up" and e.get("peer") in start:
                took.append((e["t"] - start.pop(e["peer"])) / 1e6)
    if not took:
        return "none"
    took.sort()
    return (f"median {took[len(took) // 2]:.0f}, p90 {took[int(0.9 * (len(took) - 1))]:.0f}, "
            f"n {len(took)}")


def attached(a):
    """The lab's run: nodes already started; their names in messages, no stop of ours. On a
    failure every live node's status and store go to SPEC.dump.json beside the spec."""
    ov = Attached(a.attach)
    try:
        return attached_run(a, ov)
    except AssertionError:
        dump = {}
        for i in ov.live():
            try:
                dump[ov.name(i)] = {"status": call(ov.socks[i], {"cmd": "status"}, 5.0),
                                    "store": call(ov.socks[i], {"cmd": "store"}, 5.0)}
            except (OSError, ConnectionError) as e:
                dump[ov.name(i)] = str(e)
        with open(a.attach + ".dump.json", "w") as f:
            json.dump(dump, f, indent=1)
        raise


def attached_run(a, ov):
    rnd = random.Random(a.seed)
    wait_ring(ov, a.ring_timeout, f"{ov.n} nodes joined")
    print(f"links: {link_report(ov.statuses())}", flush=True)
    for op in ("put", "get"):
        fails, hops, lat = put_get(ov, a.pairs, op)
        print(f"{a.pairs} {op}s from random nodes: {len(fails)} failed; "
              f"{summary(hops, lat)}", flush=True)
        assert not fails, f"{op} failures, e.g. {fails[:5]}"
    victims = ov.victims(int(ov.n * a.kill), rnd)
    for v in victims:
        ov.kill9(v)
    print(f"killed (SIGKILL) {len(victims)} nodes: {sorted(ov.name(v) for v in victims)}",
          flush=True)
    wait_ring(ov, a.ring_timeout, "after the failures")
    fails, hops, lat = put_get(ov, a.pairs, "get")
    print(f"{a.pairs} gets after the failures: {len(fails)} failed; {summary(hops, lat)}",
          flush=True)
    print(f"links: {link_report(ov.statuses())}", flush=True)
    assert not fails, f"get failures after kill, e.g. {fails[:5]}"
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
