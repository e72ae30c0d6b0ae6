#!/usr/bin/python3
# Tests of tools/hiplab/natprobe's command line on loopback: exit codes, JSON lines, mapping
# against a small in-test STUN responder, send/listen, punch between two processes. No NAT, no TURN.
import json
import os
import socket
import subprocess
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
HIPLAB = os.path.join(HERE, "..", "..", "tools", "hiplab")
NATPROBE = os.path.join(HIPLAB, "natprobe")
sys.path.insert(0, HIPLAB)
import stunmsg as s  # noqa: E402


def natprobe(*args, stdin=None, timeout=20):
    """(exit status, stdout as JSON objects, stderr); --help output is returned as text."""
    proc = subprocess.run([sys.executable, NATPROBE, *args], input=stdin, capture_output=True,
                          text=True, timeout=timeout)
    if "--help" in args:
        return proc.returncode, proc.stdout, proc.stderr
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr


class StunResponder:
    """Answers Binding requests on 127.0.0.1 with the source as XOR-MAPPED-ADDRESS;
    drop_first requests are ignored, to exercise retransmission."""

    def __init__(self, drop_first=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.drop = drop_first
        self.seen = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                data, src = self.sock.recvfrom(2048)
            except OSError:
                return
            req = s.parse(data)
            self.seen += 1
            if self.seen <= self.drop:
                continue
            resp = s.Message(s.BINDING, s.SUCCESS, txid=req.txid,
                             attrs=[(s.XOR_MAPPED_ADDRESS, src)])
            self.sock.sendto(s.build(resp, fingerprint=True), src)

    def close(self):
        self.sock.close()


class Usage(unittest.TestCase):
    def test_help(self):
        for sub in ([], ["mapping"], ["send"], ["punch"], ["turn"]):
            with self.subTest(sub=sub):
                rc, text, _ = natprobe(*sub, "--help")
                self.assertEqual(rc, 0)
                self.assertIn("usage: natprobe", text)

    def test_usage_errors_exit_2(self):
        for args in ([], ["mapping"], ["mapping", "--server", "127.0.0.1"],
                     ["mapping", "--server", "nohost:1"], ["mapping", "--server", "1.2.3.4:0"],
                     ["send", "--to", "127.0.0.1:9", "--count", "0"],
                     ["punch"], ["turn", "--server", "127.0.0.1:3478"],
                     ["mapping", "--server", "[::1]:3478", "--bind", "127.0.0.1"]):
            with self.subTest(args=args):
                rc, out, err = natprobe(*args)
                self.assertEqual(rc, 2, err)
                self.assertTrue(err)

    def test_punch_without_peer_on_stdin(self):
        rc, _, err = natprobe("punch", "--port", "0", stdin="")
        self.assertEqual(rc, 2)
        self.assertIn("standard input", err)

    def test_punch_bad_peer_on_stdin(self):
        rc, _, err = natprobe("punch", "--port", "0", stdin="127.0.0.1\n")
        self.assertEqual(rc, 2)
        self.assertIn("bad address", err)


class Mapping(unittest.TestCase):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for srv in self.servers:
            srv.close()

    def responder(self, **kw):
        srv = StunResponder(**kw)
        self.servers.append(srv)
        return srv.addr

    def test_two_servers_one_socket(self):
        a, b = self.responder(), self.responder(drop_first=2)
        rc, out, _ = natprobe("mapping", "--server", a, "--server", b)
        self.assertEqual(rc, 0)
        self.assertEqual(len(out), 1)
        self.assertEqual(out[0]["mapped"], [out[0]["local"]] * 2)
        self.assertTrue(out[0]["same"])
        self.assertEqual(self.servers[1].seen, 3)  # two retransmissions

    def test_no_answer_exits_1(self):
        silent = self.responder(drop_first=1000)
        rc, out, _ = natprobe("mapping", "--server", silent, "--stun-timeout", "0.5")
        self.assertEqual(rc, 1)
        self.assertEqual(out[0]["mapped"], [None])
        self.assertFalse(out[0]["same"])
        self.assertIn("no response", out[0]["error"])
        self.assertEqual(self.servers[0].seen, 3)  # at 0, 0.1 and 0.3 s

    def test_listen_reports_unsolicited(self):
        srv = self.responder()
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        proc = subprocess.Popen([sys.executable, NATPROBE, "mapping", "--server", srv,
                                 "--port", str(port), "--listen", "1.5"],
                                stdout=subprocess.PIPE, text=True)
        first = json.loads(proc.stdout.readline())
        self.assertEqual(first["local"], "127.0.0.1:%d" % port)
        rc, sent, _ = natprobe("send", "--to", first["local"], "--count", "3",
                               "--interval-ms", "10")
        self.assertEqual(rc, 0)
        rest, _ = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0)
        received = json.loads(rest)["received"]
        self.assertEqual([r["from"] for r in received], [sent[0]["local"]] * 3)
        self.assertEqual(sent[0]["sent"], 3)


class Punch(unittest.TestCase):
    def free_port(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        return port

    def start(self, port, *extra):
        return subprocess.Popen([sys.executable, NATPROBE, "punch", "--port", str(port),
                                 "--bind", "127.0.0.1", *extra],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def test_two_peers(self):
        pa, pb = self.free_port(), self.free_port()
        a, b = self.start(pa), self.start(pb)
        a.stdin.write("127.0.0.1:%d\n" % pb)
        a.stdin.flush()
        b.stdin.write("127.0.0.1:%d\n" % pa)
        b.stdin.flush()
        out_a, _ = a.communicate(timeout=20)
        out_b, _ = b.communicate(timeout=20)
        self.assertEqual((a.returncode, b.returncode), (0, 0))
        res_a, res_b = json.loads(out_a), json.loads(out_b)
        self.assertEqual(res_a["peer"], "127.0.0.1:%d" % pb)
        self.assertEqual(res_b["peer"], "127.0.0.1:%d" % pa)
        self.assertTrue(res_a["ok"] and res_b["ok"])
        self.assertLess(res_a["rtt_ms"], 1000)

    def test_silent_peer_times_out(self):
        rc, out, _ = natprobe("punch", "--port", "0", "--timeout", "0.5",
                              stdin="127.0.0.1:%d\n" % self.free_port())
        self.assertEqual(rc, 1)
        self.assertEqual(out[-1]["ok"], False)
        self.assertIn("timeout", out[-1]["error"])


if __name__ == "__main__":
    unittest.main()
