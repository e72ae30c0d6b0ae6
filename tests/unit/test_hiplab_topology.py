#!/usr/bin/python3
# Unit tests of hiplab's topology reader: addresses, delays, routes through
# NATs, and a clear error for every kind of bad file. No root, no namespaces.

import os
import random
import sys
import tomllib
import unittest

SRC = os.environ.get("SRC_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
sys.path.insert(0, os.path.join(SRC, "tools", "hiplab"))

from lab import nat, topology  # noqa: E402
from lab.topology import TopologyError  # noqa: E402

TOPO = os.path.join(SRC, "tools", "hiplab", "topologies")


def parse(text):
    return topology.parse(tomllib.loads(text), "t.toml")


NAT_LAB = """
[link.public]
ipv4 = "203.0.113.0/24"
[link.lan]
ipv4 = "192.0.2.0/24"
ipv6 = "2001:db8:1::/64"
[router.nat]
nat = "bad"
iface = [{ link = "public", outside = true }, { link = "lan" }]
[host.in]
iface = [{ link = "lan", delay = "20ms", loss_in = "1.5%" }]
[host.out]
iface = [{ link = "public", ipv4 = "203.0.113.9" }]
"""


class Reading(unittest.TestCase):
    def test_shipped_topologies_all_parse(self):
        files = sorted(f for f in os.listdir(TOPO) if f.endswith(".toml"))
        self.assertGreaterEqual(len(files), 5)
        for f in files:
            t = topology.load(os.path.join(TOPO, f))
            self.assertTrue(t.nodes, f)

    def test_addresses_are_assigned_in_file_order_after_explicit_ones(self):
        t = parse(NAT_LAB)
        self.assertEqual(str(t.nodes["nat"].ifaces[0].ipv4[0]), "203.0.113.1/24")
        self.assertEqual(str(t.nodes["nat"].ifaces[1].ipv4[0]), "192.0.2.1/24")
        self.assertEqual(str(t.nodes["in"].ifaces[0].ipv4[0]), "192.0.2.2/24")
        self.assertEqual(str(t.nodes["in"].ifaces[0].ipv6[0]), "2001:db8:1::2/64")
        self.assertEqual(str(t.nodes["out"].ifaces[0].ipv4[0]), "203.0.113.9/24")
        self.assertEqual(t.nodes["out"].ifaces[0].ipv6, [])

    def test_an_explicit_address_is_not_given_twice(self):
        t = parse(NAT_LAB.replace('ipv4 = "203.0.113.9"', 'ipv4 = "203.0.113.1"'))
        self.assertEqual(str(t.nodes["nat"].ifaces[0].ipv4[0]), "203.0.113.2/24")

    def test_delay_and_loss_apply_per_direction(self):
        i = parse(NAT_LAB).nodes["in"].ifaces[0]
        self.assertEqual((i.delay_out_ms, i.delay_in_ms), (20.0, 20.0))
        self.assertEqual((i.loss_out, i.loss_in), (0.0, 1.5))
        self.assertTrue(i.emulated)
        self.assertFalse(parse(NAT_LAB).nodes["out"].ifaces[0].emulated)

    def test_delay_units(self):
        for text, ms in (("500us", 0.5), ("1.5ms", 1.5), ("2s", 2000.0)):
            i = parse(NAT_LAB.replace('"20ms"', f'"{text}"')).nodes["in"].ifaces[0]
            self.assertEqual(i.delay_out_ms, ms)


class Routes(unittest.TestCase):
    def test_hosts_behind_a_nat_route_out_through_it_with_a_default(self):
        r = parse(NAT_LAB).nodes["in"].routes4
        self.assertIn(("203.0.113.0/24", "192.0.2.1", "eth0"), [(x.dest, x.via, x.dev) for x in r])
        self.assertIn(("default", "192.0.2.1", "eth0"), [(x.dest, x.via, x.dev) for x in r])

    def test_nobody_outside_routes_into_a_nat(self):
        t = parse(NAT_LAB)
        self.assertEqual(t.nodes["out"].routes4, [])
        self.assertEqual(t.nodes["out"].routes6, [])

    def test_plain_routers_are_crossed_both_ways_and_chains_are_followed(self):
        t = parse("""
[link.l1]
ipv4 = "192.0.2.0/26"
[link.l2]
ipv4 = "192.0.2.64/26"
[link.l3]
ipv4 = "192.0.2.128/26"
[router.r1]
iface = [{ link = "l1" }, { link = "l2" }]
[router.r2]
iface = [{ link = "l2" }, { link = "l3" }]
[host.x]
iface = [{ link = "l1" }]
[host.y]
iface = [{ link = "l3" }]
""")
        x = {r.dest: r.via for r in t.nodes["x"].routes4}
        y = {r.dest: r.via for r in t.nodes["y"].routes4}
        self.assertEqual(x["192.0.2.128/26"], "192.0.2.1")
        self.assertEqual(y["192.0.2.0/26"], "192.0.2.129")
        self.assertEqual(x["default"], "192.0.2.1")

    def test_nat_ruleset_names_the_outside_interface_and_kind(self):
        good = nat.ruleset("t", "good", "eth0")
        bad = nat.ruleset("t", "bad", "eth0")
        self.assertIn('oifname "eth0" masquerade\n', good)
        self.assertIn('oifname "eth0" masquerade random', bad)
        self.assertIn("policy drop", good)


class BadFiles(unittest.TestCase):
    def assertRejected(self, text, *needles):
        with self.assertRaises(TopologyError) as cm:
            parse(text)
        msg = str(cm.exception)
        self.assertTrue(msg.startswith("t.toml: "), msg)
        for n in needles:
            self.assertIn(n, msg)

    def test_every_mistake_gets_a_message_naming_the_place(self):
        cases = [
            ("", "no [host.NAME]"),
            ("[host.a]\niface = []", "host.a.iface", "needs a list"),
            ('[host.a]\niface = [{ link = "x" }]', "unknown link 'x'"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[host.a]\niface = [{ link = "l", delay = "fast" }]',
             "host.a.iface[0].delay", "'fast'"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[host.a]\niface = [{ link = "l", loss = "150%" }]',
             "more than 100%"),
            ('[link.l]\nipv4 = "192.0.2.1/24"\n[host.a]\niface = [{ link = "l" }]', "link.l.ipv4"),
            ('[link.l]\nipv4 = "2001:db8::/64"\n[host.a]\niface = [{ link = "l" }]', "not an IPv4"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[host.a]\niface = [{ link = "l", ipv4 = "10.0.0.1" }]',
             "not in the link's prefix"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[link.m]\nipv4 = "192.0.2.128/25"\n[host.a]\niface = [{ link = "l" }]',
             "overlaps"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[host.A]\niface = [{ link = "l" }]', "bad name 'A'"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[host.a]\niface = [{ link = "l", colour = 1 }]',
             "unknown key colour"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[link.m]\nipv4 = "198.51.100.0/24"\n'
             '[router.r]\nnat = "good"\niface = [{ link = "l" }, { link = "m" }]', "exactly one interface with outside"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[link.m]\nipv4 = "198.51.100.0/24"\n'
             '[router.r]\nnat = "full-cone"\niface = [{ link = "l" }, { link = "m" }]', "'full-cone' is not one of"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[host.a]\niface = [{ link = "l" }]\nrun = ["ftp"]', "'ftp'"),
            ('[link.l]\nipv4 = "192.0.2.0/30"\n[host.a]\niface = [{ link = "l" }]\n[host.b]\niface = [{ link = "l" }]\n'
             '[host.c]\niface = [{ link = "l" }]', "no free address"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[host.a]\niface = [{ link = "l" }]\n[turn]\nport = 0', "turn.port"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[host.a]\niface = [{ link = "l" }]\n[turn]\nusers = ["nopass"]',
             "user:password"),
            ('[link.l]\nipv4 = "192.0.2.0/24"\n[host.wire]\niface = [{ link = "l" }]', "reserved"),
            ('emulator = "qdisc"\n[link.l]\nipv4 = "192.0.2.0/24"\n[host.a]\niface = [{ link = "l" }]', "emulator"),
        ]
        for case in cases:
            with self.subTest(case[0][:60]):
                self.assertRejected(*case)

    def test_an_unreadable_or_non_toml_file_is_an_error(self):
        with self.assertRaises(TopologyError) as cm:
            topology.load("/nonexistent/x.toml")
        self.assertIn("No such file", str(cm.exception))
        with self.assertRaises(TopologyError) as cm:
            topology.load(__file__)
        self.assertIn("not valid TOML", str(cm.exception))


class Mutations(unittest.TestCase):
    """Random byte edits of the shipped files: a topology or a TopologyError, nothing else."""

    def test_mutated_files_never_raise_anything_but_topology_error(self):
        rng = random.Random(1234)
        files = []
        for f in sorted(os.listdir(TOPO)):
            if f.endswith(".toml"):
                with open(os.path.join(TOPO, f), "rb") as fh:
                    files.append(fh.read())
        accepted = 0
        for _ in range(3000):
            data = bytearray(rng.choice(files))
            for _ in range(rng.randint(1, 4)):
                pos = rng.randrange(len(data))
                op = rng.randrange(3)
                if op == 0:
                    data[pos] = rng.randrange(256)
                elif op == 1:
                    del data[pos:pos + rng.randint(1, 20)]
                else:
                    data[pos:pos] = rng.choice([b"=", b"[", b"]", b"\"", b"\n", b"0", b"-", b"/99"])
            try:
                topology.loads(bytes(data), "m.toml")
                accepted += 1
            except TopologyError:
                pass
        self.assertGreater(accepted, 0)


if __name__ == "__main__":
    unittest.main()
