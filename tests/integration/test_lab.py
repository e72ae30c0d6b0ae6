#!/usr/bin/python3
# The lab's self-tests: NAT mapping and filtering measured with STUN through
# coturn, hole punching and TURN relaying, link delay, and that a lab leaves
# nothing behind however it ends. Needs root; exits 77 (skip) otherwise.

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.environ.get("SRC_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
BUILD = os.environ.get("BUILD_DIR") or os.path.join(SRC, "build")
HIPLAB = os.path.join(SRC, "tools", "hiplab", "hiplab")
NATPROBE = os.path.join(SRC, "tools", "hiplab", "natprobe")
TOPO = os.path.join(SRC, "tools", "hiplab", "topologies")
os.environ.setdefault("HIPLAB_LINKEMU", os.path.join(BUILD, "tools", "hiplab", "hiplab-linkemu"))

STUN1 = "203.0.113.3:3478"
STUN2 = "203.0.113.4:3478"
PREFIX = f"t{os.getpid()}"
_serial = iter(range(1000))


def hiplab(*args, check=True, **kw):
    p = subprocess.run([HIPLAB, *args], capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"hiplab {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def leftovers(lab):
    """Namespaces, processes and state files of `lab` that still exist."""
    found = []
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [l.split()[0] for l in ns.splitlines()
              if l.split() and (l.split()[0] == f"hl-{lab}" or l.split()[0].startswith(f"hl-{lab}."))]
    for pattern in (f"hiplab:{lab}( |$)", f"/run/hiplab/{lab}/"):
        p = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True)
        found += [f"process {l}" for l in p.stdout.splitlines()]
    if os.path.exists(f"/run/hiplab/{lab}"):
        found.append(f"/run/hiplab/{lab}")
    return found


def root_links():
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    return sorted(l.split(":")[1].strip().split("@")[0] for l in out.splitlines())


class Lab:
    """A lab for one test; leaving the block removes it and checks that nothing is left."""

    def __init__(self, topology, **env):
        self.topology = topology
        self.name = f"{PREFIX}-{next(_serial)}"
        self.env = dict(os.environ, **env)

    def __enter__(self):
        hiplab("up", self.topology, "--name", self.name, env=self.env)
        return self

    def __exit__(self, *exc):
        hiplab("down", "--lab", self.name)
        left = leftovers(self.name)
        if left:
            raise AssertionError(f"lab {self.name} left behind: {left}")

    def spawn(self, host, *argv):
        return subprocess.Popen([HIPLAB, "exec", "--lab", self.name, host, "--", *argv],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def probe(self, host, *args):
        return self.spawn(host, NATPROBE, *args)

    def capture(self, link, pcap):
        """hiplab capture in the background; returns once tcpdump listens."""
        p = subprocess.Popen([HIPLAB, "capture", "--lab", self.name, link, "-w", pcap],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line = p.stderr.readline()
        if "listening" not in line:
            raise AssertionError(f"capture did not start: {line}")
        return p

    def run(self, host, *argv, timeout=60):
        return subprocess.run([HIPLAB, "exec", "--lab", self.name, host, "--", *argv],
                              capture_output=True, text=True, timeout=timeout)


def read_json(proc, what):
    line = proc.stdout.readline()
    if not line:
        proc.wait(5)
        raise AssertionError(f"{what}: no output (exit {proc.returncode}): {proc.stderr.read()}")
    return json.loads(line)


def finish(proc, what, timeout=20):
    out, err = proc.communicate(timeout=timeout)
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    if not lines:
        raise AssertionError(f"{what}: no result (exit {proc.returncode}): {err.strip()}")
    return proc.returncode, lines[-1]


class NatBehaviour(unittest.TestCase):
    """Mapping and filtering of each NAT kind, measured from inside (RFC 4787 terms)."""

    def mapping_and_filtering(self, topology, nat_addr, pcap=None, address_dependent=False):
        with Lab(os.path.join(TOPO, topology)) as lab:
            cap = lab.capture("public", pcap) if pcap else None
            a = lab.probe("a", "mapping", "--server", STUN1, "--server", STUN2,
                          "--port", "40000", "--listen", "2")
            m = read_json(a, "mapping")
            self.assertEqual(len(m["mapped"]), 2, m)
            for mapped in m["mapped"]:
                self.assertEqual(mapped.rsplit(":", 1)[0], nat_addr, m)
            # A third address sends to the mapping a just used: the NAT must drop it.
            for target in m["mapped"]:
                s = lab.run("peer", NATPROBE, "send", "--to", target, "--count", "5")
                self.assertEqual(s.returncode, 0, s.stderr)
            # The STUN server's address, from another port, to the mapping a used
            # towards it: a good NAT lets it in (address-dependent filtering,
            # RFC 4787 REQ-8), a bad one does not (address and port).
            stun_ip = STUN1.rsplit(":", 1)[0]
            s = lab.run("stun", NATPROBE, "send", "--to", m["mapped"][0], "--count", "5",
                        "--bind", stun_ip, "--port", "4000")
            self.assertEqual(s.returncode, 0, s.stderr)
            rc, got = finish(a, "listen")
            froms = [r["from"] for r in got["received"]]
            third = [f for f in froms if not f.startswith(stun_ip + ":")]
            self.assertEqual(third, [], "unsolicited packets from a third host got through")
            known = [f for f in froms if f == stun_ip + ":4000"]
            if address_dependent:
                self.assertTrue(known, "the good NAT dropped a known address's other port")
            else:
                self.assertEqual(known, [], "the bad NAT let in another port of a known address")
            if cap:
                cap.send_signal(signal.SIGINT)
                cap.wait(10)
            return m

    def test_good_nat_maps_one_socket_to_one_public_port_and_filters_by_address(self):
        with tempfile.TemporaryDirectory() as d:
            pcap = os.path.join(d, "public.pcap")
            m = self.mapping_and_filtering("good-good.toml", "203.0.113.1", pcap,
                                           address_dependent=True)
            self.assertTrue(m["same"], f"good NAT gave two mappings to one socket: {m['mapped']}")
            self.check_capture(pcap, m)

    def check_capture(self, pcap, m):
        """hiplab capture saw the exchange on the public link; tshark finds no fault in it."""
        if subprocess.run(["sh", "-c", "command -v tshark"], capture_output=True).returncode:
            return
        tshark = ["tshark", "-n", "-r", pcap]
        stun = subprocess.run(tshark + ["-Y", "stun", "-T", "fields", "-e", "stun.type",
                                        "-e", "stun.att.port"], capture_output=True, text=True)
        rows = [l.split("\t") for l in stun.stdout.splitlines()]
        self.assertGreaterEqual(len([r for r in rows if r[0] == "0x0001"]), 2, stun.stdout)
        self.assertGreaterEqual(len([r for r in rows if r[0] == "0x0101"]), 2, stun.stdout)
        port = m["mapped"][0].rsplit(":", 1)[1]
        self.assertTrue(any(port in r[1].split(",") for r in rows if r[0] == "0x0101"), rows)
        bad = subprocess.run(tshark + ["-Y", '_ws.malformed || _ws.expert.severity >= "Warning"'],
                             capture_output=True, text=True)
        self.assertEqual(bad.stdout.strip(), "", "tshark finds malformed or warned frames")

    def test_bad_nat_maps_each_destination_to_its_own_port_and_drops_unsolicited(self):
        m = self.mapping_and_filtering("bad-bad.toml", "203.0.113.1")
        self.assertFalse(m["same"], f"bad NAT kept one mapping for two destinations: {m['mapped']}")


class Traversal(unittest.TestCase):
    """Hole punching works between good NATs, fails between bad ones, where TURN connects."""

    def punch(self, lab, timeout):
        a = lab.probe("a", "punch", "--port", "41000", "--stun", STUN1, "--timeout", str(timeout))
        b = lab.probe("b", "punch", "--port", "41000", "--stun", STUN1, "--timeout", str(timeout))
        ma, mb = read_json(a, "punch a")["mapped"], read_json(b, "punch b")["mapped"]
        a.stdin.write(mb + "\n")
        a.stdin.flush()
        b.stdin.write(ma + "\n")
        b.stdin.flush()
        return finish(a, "punch a", timeout + 10), finish(b, "punch b", timeout + 10)

    def test_hole_punching_between_two_good_nats_succeeds(self):
        with Lab(os.path.join(TOPO, "good-good.toml")) as lab:
            (rca, ra), (rcb, rb) = self.punch(lab, 5)
            self.assertTrue(ra["ok"] and rb["ok"], (ra, rb))
            self.assertEqual((rca, rcb), (0, 0))

    def test_hole_punching_between_two_bad_nats_fails_and_turn_connects_them(self):
        with Lab(os.path.join(TOPO, "bad-bad.toml")) as lab:
            (rca, ra), (rcb, rb) = self.punch(lab, 3)
            self.assertFalse(ra["ok"] or rb["ok"], ("punched through two symmetric NATs", ra, rb))
            self.assertEqual((rca, rcb), (1, 1))

            t = lab.probe("a", "turn", "--server", STUN1, "--user", "alice",
                          "--password", "secret", "--timeout", "10")
            relayed = read_json(t, "turn allocate")["relayed"]
            self.assertTrue(relayed.startswith("203.0.113.3:"), relayed)
            b = lab.probe("b", "punch", "--port", "41001", "--stun", STUN1, "--timeout", "8")
            mb = read_json(b, "punch b")["mapped"]
            t.stdin.write(mb.rsplit(":", 1)[0] + "\n")
            t.stdin.flush()
            time.sleep(0.3)  # the permission exists before b's first probe
            b.stdin.write(relayed + "\n")
            b.stdin.flush()
            rcb, rb = finish(b, "punch via relay")
            rct, rt = finish(t, "turn")
            self.assertTrue(rb["ok"], rb)
            self.assertTrue(rt["ok"], rt)
            self.assertEqual(rt["peer"].rsplit(":", 1)[0], "203.0.113.2", rt)


class Delay(unittest.TestCase):
    """Configured one-way delay gives twice that round-trip, +-2 ms at the median of 100 pings."""

    def ping(self, attachment, count):
        """Pings a from b, with a's attachment written as `attachment` in delay.toml."""
        with open(os.path.join(TOPO, "delay.toml")) as t:
            text = t.read().replace('delay = "20ms"', attachment)
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
            f.write(text)
            f.flush()
            with Lab(f.name) as lab:
                return lab.run("b", "ping", "-n", "-c", str(count), "-i", "0.01", "192.0.2.1")

    def median_rtt(self, delay_ms):
        p = self.ping(f'delay = "{delay_ms}ms"', 100)
        rtts = [float(x) for x in re.findall(r"time=([0-9.]+) ms", p.stdout)]
        self.assertGreaterEqual(len(rtts), 100, p.stdout[-300:] + p.stderr)
        return statistics.median(rtts)

    def test_20ms_one_way_gives_40ms_round_trip(self):
        rtt = self.median_rtt(20)
        print(f"\n  20 ms one-way: median RTT {rtt:.2f} ms", file=sys.stderr)
        self.assertLess(abs(rtt - 40), 2, rtt)

    def test_50ms_one_way_gives_100ms_round_trip(self):
        rtt = self.median_rtt(50)
        print(f"\n  50 ms one-way: median RTT {rtt:.2f} ms", file=sys.stderr)
        self.assertLess(abs(rtt - 100), 2, rtt)


    def test_20_percent_loss_one_way_loses_about_one_ping_in_five(self):
        p = self.ping('loss_out = "20%"', 300)
        m = re.search(r"(\d+) packets transmitted, (\d+) received", p.stdout)
        self.assertIsNotNone(m, p.stdout[-300:] + p.stderr)
        ratio = int(m.group(2)) / int(m.group(1))
        print(f"\n  20% loss on a's way out: {ratio:.1%} of 300 pings answered", file=sys.stderr)
        self.assertTrue(0.65 < ratio < 0.93, ratio)  # binomial: 80% +- 3 sd is 73..87%


class Cleanup(unittest.TestCase):
    """However a lab ends, it leaves no namespace, veth, process or file."""

    def setUp(self):
        self.links_before = root_links()

    def tearDown(self):
        self.assertEqual(root_links(), self.links_before, "interfaces appeared in the root namespace")

    def test_run_removes_the_lab_and_returns_the_commands_status(self):
        name = f"{PREFIX}-run"
        p = hiplab("run", os.path.join(TOPO, "paper.toml"), "--name", name, "--",
                   "sh", "-c", f'test "$HIPLAB_LAB" = {name} && exit 3', check=False)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(leftovers(name), [])

    def test_a_failure_in_every_phase_of_up_leaves_nothing(self):
        for point in ("after-namespaces", "after-links", "after-nat", "after-emulation",
                      "after-services"):
            name = f"{PREFIX}-fault"
            p = hiplab("up", os.path.join(TOPO, "paper.toml"), "--name", name, check=False,
                       env=dict(os.environ, HIPLAB_FAULT=point))
            self.assertEqual(p.returncode, 1, f"{point}: {p.stderr}")
            self.assertIn(point, p.stderr)
            self.assertEqual(leftovers(name), [], point)

    def test_ctrl_c_during_run_removes_the_lab(self):
        name = f"{PREFIX}-int"
        p = subprocess.Popen([HIPLAB, "run", os.path.join(TOPO, "paper.toml"), "--name", name,
                              "--", "sleep", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.wait_up(name, p)
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=30)
        self.assertEqual(p.returncode, 130)
        self.assertEqual(leftovers(name), [])

    def test_down_removes_what_a_killed_hiplab_left(self):
        name = f"{PREFIX}-kill"
        p = subprocess.Popen([HIPLAB, "run", os.path.join(TOPO, "paper.toml"), "--name", name,
                              "--", "sleep", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.wait_up(name, p)
        p.kill()
        p.communicate(timeout=10)
        self.assertNotEqual(leftovers(name), [], "a SIGKILLed run should leave its lab")
        d = hiplab("down", "--lab", name)
        self.assertIn("process", d.stdout)
        self.assertEqual(leftovers(name), [])

    def test_down_all_removes_every_lab(self):
        if hiplab("status", "--json").stdout and json.loads(hiplab("status", "--json").stdout)["labs"]:
            self.skipTest("other labs are up; down --all would remove them")
        names = [f"{PREFIX}-all{i}" for i in range(2)]
        for n in names:
            hiplab("up", os.path.join(TOPO, "good-bad.toml"), "--name", n)
        d = hiplab("down", "--all")
        for n in names:
            self.assertIn(f"lab {n}: removed", d.stdout)
            self.assertEqual(leftovers(n), [])

    def wait_up(self, name, proc):
        for _ in range(200):
            if proc.poll() is not None:
                self.fail(f"hiplab run ended early ({proc.returncode}): {proc.communicate()[1]}")
            st = hiplab("status", "--json", "--lab", name, check=False).stdout
            if st and any(l["name"] == name and l.get("status") == "up"
                          for l in json.loads(st)["labs"]):
                return
            time.sleep(0.05)
        self.fail(f"lab {name} did not come up")


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces)")
        return 77
    for tool in ("ip", "nft", "turnserver", "ping", "pgrep"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
            print(f"SKIP: {tool} missing")
            return 77
    result = unittest.main(argv=[sys.argv[0], "-v"] + sys.argv[1:], exit=False).result
    left = [l for l in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                      text=True).stdout.split() if l.startswith(f"hl-{PREFIX}")]
    if left:
        print(f"FAIL: namespaces left behind: {left}")
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
