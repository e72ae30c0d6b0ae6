#!/usr/bin/python3
# Unit tests of the SIP call harness (sipcall.py) without root or baresip: WAV files,
# tone detection, the ctrl_tcp client against a fake baresip, pcap reading. Not a call test.

import contextlib
import io
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sipcall  # noqa: E402
from sipcall.cli import main as sipcall_cli_main  # noqa: E402

R = sipcall.RATE
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("SRC_DIR") or os.path.dirname(os.path.dirname(HERE))
CUTEHIP = os.path.join(SRC, "..", "shared", "data", "cutehip.pcap")


def mulaw_roundtrip(samples):
    """G.711 mu-law encode and decode (ITU-T G.711 segment law, 14-bit magnitude), as a
    PCMU call does to the tone."""
    out = []
    for s in samples:
        sign = -1 if s < 0 else 1
        mag = min(abs(s) >> 2, 8158) + 33
        exp = max(0, mag.bit_length() - 6)
        mant = (mag >> (exp + 1)) & 15
        dec = (((mant << 1) | 33) << exp) - 33
        out.append(sign * (dec << 2))
    return out


class Wav(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "t.wav")

    def tearDown(self):
        self.tmp.cleanup()

    def test_tone_wav_is_8khz_mono_s16le_of_the_requested_length(self):
        sipcall.write_tone_wav(self.path, 1000, 2.0, 0.5)
        with open(self.path, "rb") as f:
            head = f.read(44)
        tag, ch, rate, brate, align, bits = struct.unpack_from("<HHIIHH", head, 20)
        self.assertEqual((tag, ch, rate, brate, align, bits), (1, 1, 8000, 16000, 2, 16))
        self.assertEqual(struct.unpack_from("<I", head, 40)[0], 2 * 16000)
        rate, s = sipcall.read_wav(self.path)
        self.assertEqual((rate, len(s)), (8000, 16000))
        self.assertAlmostEqual(max(s), 0.5 * 32767, delta=2)

    def test_read_wav_takes_the_rest_of_the_file_when_the_data_size_is_zero(self):
        # libsndfile writes the sizes on close; a file read during the call has 0 there
        sipcall.write_tone_wav(self.path, 1000, 1.0)
        with open(self.path, "r+b") as f:
            f.seek(40)
            f.write(b"\0\0\0\0")
        self.assertEqual(len(sipcall.read_wav(self.path)[1]), 8000)

    def test_read_wav_rejects_what_is_not_16_bit_pcm(self):
        with open(self.path, "wb") as f:
            f.write(b"RIFF\0\0\0\0WAVEfmt " + struct.pack("<IHHIIHH", 16, 3, 1, 8000, 32000, 4, 32)
                    + b"data\0\0\0\0")
        with self.assertRaises(ValueError):
            sipcall.read_wav(self.path)
        with open(self.path, "wb") as f:
            f.write(b"not a wav file at all")
        with self.assertRaises(ValueError):
            sipcall.read_wav(self.path)

    def test_read_wav_keeps_the_first_channel_of_a_stereo_file(self):
        data = struct.pack("<8h", 1, -1, 2, -2, 3, -3, 4, -4)
        fmt = struct.pack("<HHIIHH", 1, 2, 8000, 32000, 4, 16)
        with open(self.path, "wb") as f:
            f.write(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<I", 16)
                    + fmt + b"data" + struct.pack("<I", len(data)) + data)
        self.assertEqual(sipcall.read_wav(self.path)[1], [1, 2, 3, 4])


class Detect(unittest.TestCase):
    def test_goertzel_measures_a_bin_centred_tone_at_its_full_power(self):
        n = 160
        frame = sipcall.tone_samples(1000, n / R, 1.0)
        a = 32767
        self.assertAlmostEqual(sipcall.goertzel_power(frame, 1000) / (a * n / 2) ** 2, 1, 2)
        self.assertLess(sipcall.goertzel_power(frame, 1500) / (a * n / 2) ** 2, 1e-4)

    def test_a_1khz_tone_is_found_with_its_frequency(self):
        r = sipcall.detect_tone(sipcall.tone_samples(1000, 3), R, 1000)
        self.assertTrue(r.found, r)
        self.assertEqual(r.fraction, 1.0)
        self.assertAlmostEqual(r.dominant_hz, 1000, delta=2)
        self.assertAlmostEqual(r.longest_run_s, 3.0, delta=0.03)

    def test_a_tone_off_the_bin_grid_is_found_at_its_own_frequency(self):
        r = sipcall.detect_tone(sipcall.tone_samples(1234, 3), R, 1234)
        self.assertTrue(r.found, r)
        self.assertAlmostEqual(r.dominant_hz, 1234, delta=3)

    def test_the_tone_survives_pcmu(self):
        r = sipcall.detect_tone(mulaw_roundtrip(sipcall.tone_samples(1000, 3)), R, 1000)
        self.assertTrue(r.found, r)
        self.assertGreater(r.median_share, 0.95)

    def test_the_tone_is_found_in_moderate_noise(self):
        mix = [a + b for a, b in zip(sipcall.tone_samples(1000, 3, 0.3),
                                     sipcall.noise_samples(3, 0.1))]
        self.assertTrue(sipcall.detect_tone(mix, R, 1000).found)

    def test_silence_is_rejected(self):
        r = sipcall.detect_tone([0] * 3 * R, R, 1000)
        self.assertFalse(r.found)
        self.assertIsNone(r.dominant_hz)
        self.assertEqual(r.fraction, 0.0)

    def test_pcmu_silence_with_its_quantisation_noise_is_rejected(self):
        hiss = mulaw_roundtrip(sipcall.noise_samples(3, 0.0003))
        self.assertFalse(sipcall.detect_tone(hiss, R, 1000).found)

    def test_white_noise_is_rejected(self):
        r = sipcall.detect_tone(sipcall.noise_samples(3, 0.3), R, 1000)
        self.assertFalse(r.found)
        self.assertLess(r.fraction, 0.05)
        self.assertLess(r.median_share, 0.15)

    def test_another_tone_is_rejected_and_reported_as_dominant(self):
        for other in (500, 1100, 1500, 3000):
            r = sipcall.detect_tone(sipcall.tone_samples(other, 3), R, 1000)
            self.assertFalse(r.found, (other, r))
            self.assertAlmostEqual(r.dominant_hz, other, delta=3)

    def test_a_tone_50hz_off_passes_the_frames_but_not_the_frequency_check(self):
        r = sipcall.detect_tone(sipcall.tone_samples(1050, 3), R, 1000)
        self.assertFalse(r.found)
        self.assertIn("dominant", r.reason)

    def test_a_tone_too_quiet_to_be_audio_is_rejected(self):
        self.assertFalse(sipcall.detect_tone(sipcall.tone_samples(1000, 3, 0.001), R, 1000).found)

    def test_a_tone_in_too_few_frames_is_rejected_unless_the_window_holds_it(self):
        s = [0] * 4 * R + sipcall.tone_samples(1000, 1) + [0] * 4 * R
        r = sipcall.detect_tone(s, R, 1000)
        self.assertFalse(r.found)
        self.assertAlmostEqual(r.fraction, 1 / 9, delta=0.01)
        self.assertTrue(sipcall.detect_tone(s, R, 1000, min_fraction=0.1).found)
        self.assertTrue(sipcall.detect_tone(s, R, 1000, start_s=4, end_s=5).found)

    def test_a_recording_too_short_to_judge_is_rejected(self):
        r = sipcall.detect_tone(sipcall.tone_samples(1000, 0.2), R, 1000)
        self.assertFalse(r.found)
        self.assertIn("too short", r.reason)

    def test_analyse_wav_and_the_command_line_agree(self):
        with tempfile.TemporaryDirectory() as d:
            p = sipcall.write_tone_wav(os.path.join(d, "t.wav"), 1000, 2)
            self.assertTrue(sipcall.analyse_wav(p, 1000).found)
            with contextlib.redirect_stdout(io.StringIO()) as out:
                self.assertEqual(sipcall_cli_main(["detect", p, "--freq", "1000"]), 0)
                self.assertEqual(sipcall_cli_main(["detect", p, "--freq", "2000"]), 1)
            lines = [json.loads(x) for x in out.getvalue().splitlines()]
            self.assertEqual([x["found"] for x in lines], [True, False])
            self.assertEqual(lines[1]["dominant_hz"], 1000.0)


class FakeBaresip:
    """A ctrl_tcp server speaking baresip's netstring JSON: answers every command, and
    after "dial" sends CALL_RINGING and CALL_ESTABLISHED, after "hangup" CALL_CLOSED."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.commands = []
        threading.Thread(target=self.run, daemon=True).start()

    def send(self, conn, obj, split=False):
        body = json.dumps(obj).encode()
        msg = b"%d:%s," % (len(body), body)
        if split:  # a netstring cut across two segments
            conn.sendall(msg[:5])
            conn.sendall(msg[5:])
        else:
            conn.sendall(msg)

    def run(self):
        conn, _ = self.srv.accept()
        buf = b""
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buf += data
            while b"," in buf:
                n, _, rest = buf.partition(b":")
                body, buf = rest[:int(n)], rest[int(n) + 1:]
                cmd = json.loads(body)
                self.commands.append(cmd)
                ev = {"event": True, "class": "call", "peeruri": "sip:b@x", "id": "1"}
                if cmd["command"] == "dial":
                    self.send(conn, dict(ev, type="CALL_RINGING"))
                self.send(conn, {"response": True, "ok": cmd["command"] != "bad", "data": "",
                                 "token": cmd["token"]}, split=True)
                if cmd["command"] == "dial":
                    self.send(conn, dict(ev, type="CALL_ESTABLISHED"))
                if cmd["command"] == "hangup":
                    self.send(conn, dict(ev, type="CALL_CLOSED", param="bye"))
                if cmd["command"] == "quit":
                    conn.close()
                    return


class Ctrl(unittest.TestCase):
    def test_commands_get_their_responses_and_events_are_kept_in_order(self):
        fake = FakeBaresip()
        b = sipcall.Baresip("t", tempfile.gettempdir(), sip_listen="127.0.0.1:1",
                            account=sipcall.Account("sip:t@x"), ctrl=f"127.0.0.1:{fake.port}")

        class Proc:  # stands in for the baresip process
            pid, returncode = -1, None

            def poll(self):
                return None

        b.proc = Proc()
        b._connect(5)
        m = b.mark()
        self.assertTrue(b.dial("sip:b@x")["ok"])
        self.assertEqual(b.wait_event("CALL_ESTABLISHED", 5, since=m)["peeruri"], "sip:b@x")
        self.assertEqual(b.command("bad")["ok"], False)
        with self.assertRaises(sipcall.BaresipError):
            b.wait_event("CALL_CLOSED", 0.3, since=m)
        b.hangup()
        self.assertEqual(b.wait_event(["CALL_CLOSED"], 5, since=m)["param"], "bye")
        self.assertEqual(b.event_types(m), ["CALL_RINGING", "CALL_ESTABLISHED", "CALL_CLOSED"])
        self.assertEqual([c["command"] for c in fake.commands], ["dial", "bad", "hangup"])
        self.assertEqual(fake.commands[0]["params"], "sip:b@x")

    def test_the_account_line_has_the_outbound_proxy_quoted(self):
        a = sipcall.Account("sip:alice@p2psip.test", outbound="sip:127.0.0.1:5060", regint=600)
        self.assertEqual(a.line(), '<sip:alice@p2psip.test>;outbound="sip:127.0.0.1:5060";'
                                   'regint=600;answermode=auto;audio_codecs=PCMU')
        self.assertEqual(sipcall.Account("sip:b@192.0.2.2").line(),
                         "<sip:b@192.0.2.2>;regint=0;answermode=auto;audio_codecs=PCMU")

    def test_the_config_names_the_source_the_recordings_and_ctrl_tcp(self):
        with tempfile.TemporaryDirectory() as d:
            b = sipcall.Baresip("a", d, sip_listen="192.0.2.1:5070",
                                account=sipcall.Account("sip:a@192.0.2.1"), ctrl="127.0.0.1:4445",
                                rtp_ports=(16000, 16009))
            b.write_config()
            with open(os.path.join(d, "config")) as f:
                conf = f.read()
            self.assertIn("sip_listen 192.0.2.1:5070\n", conf)
            self.assertIn("net_interface 192.0.2.1\n", conf)
            self.assertIn(f"audio_source aufile,{d}/silence.wav\n", conf)
            self.assertIn(f"snd_path {d}/rec\n", conf)
            self.assertIn("ctrl_tcp_listen 127.0.0.1:4445\n", conf)
            self.assertIn("rtp_ports 16000-16009\n", conf)
            self.assertTrue(os.path.isdir(os.path.join(d, "rec")))
            self.assertEqual(sipcall.read_wav(os.path.join(d, "silence.wav"))[0], 8000)


class SipBytes(unittest.TestCase):
    REG = (b"REGISTER sip:p2psip.test SIP/2.0\r\n"
           b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1;rport\r\n"
           b"v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK0\r\n"
           b"Route: <sip:127.0.0.1:5060;lr>\r\n"
           b"t: <sip:alice@p2psip.test>\r\n"
           b"From: <sip:alice@p2psip.test>;tag=abc\r\n"
           b"Call-ID: c1\r\nCSeq: 7 REGISTER\r\nContent-Length: 0\r\n\r\n")

    def test_sip_header_is_case_insensitive_and_knows_compact_forms(self):
        # RFC 3261 7.3.1 (names case-insensitive) and 7.3.3 (compact forms)
        self.assertEqual(sipcall.sip_header(self.REG, "to"), "<sip:alice@p2psip.test>")
        self.assertEqual(sipcall.sip_header(self.REG, "VIA"),
                         "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1;rport")
        self.assertEqual(sipcall.sip_header(self.REG, "Call-ID"), "c1")
        self.assertIsNone(sipcall.sip_header(self.REG, "Contact"))
        self.assertIsNone(sipcall.sip_header(b"garbage", "Via"))

    def test_a_response_copies_via_from_callid_cseq_and_tags_to(self):
        # RFC 3261 8.2.6.2
        r = sipcall.sip_response(self.REG, 200, "OK", headers=["Contact: <sip:x@y>;expires=60"])
        self.assertTrue(r.startswith(b"SIP/2.0 200 OK\r\n"))
        self.assertEqual(sipcall.sip_status(r), 200)
        self.assertEqual(r.count(b"SIP/2.0/UDP"), 2)
        self.assertLess(r.index(b"127.0.0.1:5070"), r.index(b"10.0.0.1"))
        self.assertEqual(sipcall.sip_header(r, "To"), "<sip:alice@p2psip.test>;tag=sipcall1")
        self.assertEqual(sipcall.sip_header(r, "CSeq"), "7 REGISTER")
        self.assertEqual(sipcall.sip_header(r, "Contact"), "<sip:x@y>;expires=60")
        self.assertNotIn(b"Route", r)
        self.assertTrue(r.endswith(b"Content-Length: 0\r\n\r\n"))
        trying = sipcall.sip_response(self.REG, 100, "Trying")
        self.assertNotIn(b"tag=sipcall1", trying)

    def test_a_udp_sink_keeps_datagrams_and_returns_each_once_in_order(self):
        with sipcall.UdpSink("127.0.0.1", 0) as sink:
            addr = sink.sock.getsockname()
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
                c.sendto(b"one", addr)
                c.sendto(self.REG, addr)
                c.sendto(b"three", addr)
                got = sink.wait_for(lambda d: sipcall.sip_method(d) == "REGISTER", 2)
                self.assertEqual(got[0], self.REG)
                self.assertEqual(got[1][1], c.getsockname()[1])
                self.assertIsNone(sink.wait_for(lambda d: d == b"four", 0.1))
                self.assertEqual(sink.wait_for(lambda d: d == b"three", 2)[0], b"three")
                self.assertEqual(sink.wait_for(lambda d: True, 2)[0], b"one")
                self.assertIsNone(sink.wait_for(lambda d: True, 0.1))
                sink.send(b"back", got[1])
                self.assertEqual(c.recv(100), b"back")
            self.assertEqual(len(sink.received), 3)


def pcap_of(frames):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, f in enumerate(frames):
        out += struct.pack("<IIII", 100 + i, 0, len(f), len(f)) + f
    return out


def eth_ipv4_udp(src, dst, sport, dport, payload):
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp


class Pcap(unittest.TestCase):
    def test_udp_payloads_and_sip_messages_come_out_of_a_pcap(self):
        invite = b"INVITE sip:b@192.0.2.2 SIP/2.0\r\nCall-ID: x\r\n\r\nv=0\r\n"
        frames = [eth_ipv4_udp("192.0.2.1", "192.0.2.2", 5060, 5060, invite),
                  eth_ipv4_udp("192.0.2.2", "192.0.2.1", 16000, 16002, b"\x80" + b"\0" * 171),
                  eth_ipv4_udp("192.0.2.2", "192.0.2.1", 5060, 5060, b"SIP/2.0 200 OK\r\n\r\n"),
                  b"\x02" * 12 + b"\x08\x06" + b"\0" * 28]  # ARP: skipped
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "c.pcap")
            with open(p, "wb") as f:
                f.write(pcap_of(frames))
            udp = sipcall.udp_payloads(p)
            self.assertEqual(len(udp), 3)
            self.assertEqual(udp[0][1:5], ("192.0.2.1", 5060, "192.0.2.2", 5060))
            sip = sipcall.sip_messages(p)
            self.assertEqual([sipcall.sip_method(m[5]) for m in sip], ["INVITE", "SIP/2.0"])
            self.assertEqual(sipcall.sip_status(sip[1][5]), 200)
            self.assertEqual(sipcall.sip_body(sip[0][5]), b"v=0\r\n")

    @unittest.skipUnless(shutil.which("tshark"), "tshark missing")
    def test_tshark_check_counts_sip_and_flags_a_truncated_frame(self):
        seed = os.path.join(HERE, "..", "fuzz", "corpus", "sip_msg", "baresip-invite.txt")
        with open(seed, "rb") as f:
            invite = f.read()
        good = eth_ipv4_udp("192.0.2.1", "192.0.2.2", 5060, 5060, invite)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "c.pcap")
            with open(p, "wb") as f:
                f.write(pcap_of([good]))
            r = sipcall.tshark_check(p)
            self.assertTrue(r.ok, r)
            self.assertEqual((r.frames, r.counts["sip"], r.counts["sdp"]), (1, 1, 1))
            with open(p, "wb") as f:
                f.write(pcap_of([good, good[:-50]]))
            r = sipcall.tshark_check(p)
            self.assertFalse(r.ok)
            self.assertEqual([x["frame"] for x in r.problems], [2])
            self.assertTrue(sipcall.tshark_check(p, ignore=["length"]).ok)
            # the same truncated message on another port: flagged unless excluded
            other = eth_ipv4_udp("192.0.2.1", "192.0.2.2", 5070, 5070, invite)
            with open(p, "wb") as f:
                f.write(pcap_of([good, good[:-50], other[:-50]]))
            r = sipcall.tshark_check(p, decode_as=["udp.port==5070,sip"])
            self.assertEqual([x["frame"] for x in r.problems], [2, 3])
            r = sipcall.tshark_check(p, decode_as=["udp.port==5070,sip"],
                                     exclude="udp.port==5070")
            self.assertEqual([x["frame"] for x in r.problems], [2])

    @unittest.skipUnless(shutil.which("tshark"), "tshark missing")
    def test_tshark_check_does_not_take_a_random_nat_port_for_another_protocol(self):
        # a bad NAT mapped a client to port 2948, where tshark would dissect WAP's WSP
        stun = struct.pack(">HHI12s", 0x0001, 0, 0x2112A442, b"transaction1")
        seed = os.path.join(HERE, "..", "fuzz", "corpus", "sip_msg", "baresip-invite.txt")
        with open(seed, "rb") as f:
            cut = eth_ipv4_udp("203.0.113.5", "198.51.100.1", 2948, 5060, f.read())[:-50]
        self.assertIn("wsp", sipcall.foreign_port_dissectors())
        self.assertNotIn("stun", sipcall.foreign_port_dissectors())
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "c.pcap")
            with open(p, "wb") as f:
                f.write(pcap_of([eth_ipv4_udp("203.0.113.5", "198.51.100.1", 2948, 3478, stun),
                                 eth_ipv4_udp("198.51.100.1", "203.0.113.5", 3478, 2948, stun)]))
            r = sipcall.tshark_check(p)
            self.assertTrue(r.ok, r)
            self.assertEqual(r.counts["stun"], 2)
            # a fault in our own traffic from such a port is still found
            with open(p, "wb") as f:
                f.write(pcap_of([cut]))
            r = sipcall.tshark_check(p)
            self.assertEqual((r.counts["sip"], [x["frame"] for x in r.problems]), (1, [1]))

    @unittest.skipUnless(shutil.which("tshark") and os.path.exists(CUTEHIP), "no tshark or capture")
    def test_tshark_check_reports_the_repeated_esp_sequence_numbers_of_cutehip(self):
        # shared/data/cutehip.pcap: a public HIPv2 capture with known defects
        r = sipcall.tshark_check(CUTEHIP, ignore=["Unknown algorithm type", "Trailing stray"])
        self.assertFalse(r.ok)
        self.assertGreater(r.counts["hip"], 0)
        self.assertTrue(all("Wrong Sequence Number" in x["message"] for x in r.problems), r)

    def test_sip_method_rejects_what_is_not_a_sip_start_line(self):
        for data in (b"", b"\x80\x00", b"INVITE sip:x HTTP/1.1\r\n", b"invite sip:x SIP/2.0\r\n"):
            self.assertIsNone(sipcall.sip_method(data), data)


if __name__ == "__main__":
    unittest.main(verbosity=2)
