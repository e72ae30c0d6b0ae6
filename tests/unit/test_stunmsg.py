#!/usr/bin/python3
# Unit tests for tools/hiplab/stunmsg.py: RFC 5769 test vectors, every attribute's round trip,
# and malformed input (which must raise StunError and nothing else). Not a test of natprobe.
import os
import random
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "hiplab"))
import stunmsg as s  # noqa: E402
from stunmsg import StunError  # noqa: E402


def unhex(text):
    return bytes.fromhex("".join(text.split()))


# RFC 5769 section 2.1: sample request (short-term credentials, padding bytes 0x20).
SAMPLE_REQUEST = unhex("""
    00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
    00 24 00 04 6e 00 01 ff
    80 29 00 08 93 2f f9 b1 51 26 3b 36
    00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
    00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
    80 28 00 04 e5 7a 3b cf""")
# Section 2.2: sample IPv4 response.
SAMPLE_IPV4_RESPONSE = unhex("""
    01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 08 00 01 a1 47 e1 12 a6 43
    00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
    80 28 00 04 c0 7d 4c 96""")
# Section 2.3: sample IPv6 response.
SAMPLE_IPV6_RESPONSE = unhex("""
    01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
    00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
    80 28 00 04 c8 fb 0b 4c""")
# Section 2.4: sample request with long-term authentication (no FINGERPRINT).
SAMPLE_LONG_TERM_REQUEST = unhex("""
    00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
    00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
    00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46
                53 54 76 79 36 34 73 41
    00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
    00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66""")

PASSWORD = "VOkJxbRl1RmTxUk/WvJxBt"
SHORT_KEY = s.short_term_key(PASSWORD)
LT_USER = "\u30de\u30c8\u30ea\u30c3\u30af\u30b9"
LT_KEY = s.long_term_key(LT_USER, "example.org", "TheMatrIX")  # password after SASLprep
TXID = unhex("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae")

VALID_MESSAGES = [SAMPLE_REQUEST, SAMPLE_IPV4_RESPONSE, SAMPLE_IPV6_RESPONSE,
                  SAMPLE_LONG_TERM_REQUEST]


class Rfc5769Vectors(unittest.TestCase):
    def test_sample_request(self):
        msg = s.parse(SAMPLE_REQUEST, key=SHORT_KEY)
        self.assertEqual((msg.method, msg.cls), (s.BINDING, s.REQUEST))
        self.assertEqual(msg.txid, TXID)
        self.assertEqual(msg.get(s.SOFTWARE), "STUN test client")
        self.assertEqual(msg.get(s.USERNAME), "evtj:h6vY")
        self.assertEqual(msg.get(0x0024), unhex("6e 00 01 ff"))  # PRIORITY, kept raw
        self.assertEqual(msg.fingerprint, 0xE57A3BCF)

    def test_ipv4_response(self):
        msg = s.parse(SAMPLE_IPV4_RESPONSE, key=SHORT_KEY)
        self.assertEqual((msg.method, msg.cls), (s.BINDING, s.SUCCESS))
        self.assertEqual(msg.get(s.XOR_MAPPED_ADDRESS), ("192.0.2.1", 32853))
        self.assertEqual(msg.get(s.SOFTWARE), "test vector")
        self.assertEqual(msg.fingerprint, 0xC07D4C96)

    def test_ipv6_response(self):
        msg = s.parse(SAMPLE_IPV6_RESPONSE, key=SHORT_KEY)
        self.assertEqual(msg.get(s.XOR_MAPPED_ADDRESS),
                         ("2001:db8:1234:5678:11:2233:4455:6677", 32853))
        self.assertEqual(msg.fingerprint, 0xC8FB0B4C)

    def test_long_term_request(self):
        msg = s.parse(SAMPLE_LONG_TERM_REQUEST, key=LT_KEY)
        self.assertEqual(msg.get(s.USERNAME), LT_USER)
        self.assertEqual(msg.get(s.NONCE), "f//499k954d6OL34oL9FSTvy64sA")
        self.assertEqual(msg.get(s.REALM), "example.org")
        self.assertIsNone(msg.fingerprint)

    def test_wrong_keys_fail(self):
        with self.assertRaisesRegex(StunError, "MESSAGE-INTEGRITY"):
            s.parse(SAMPLE_REQUEST, key=b"wrong")
        with self.assertRaisesRegex(StunError, "MESSAGE-INTEGRITY"):
            s.parse(SAMPLE_LONG_TERM_REQUEST,
                    key=s.long_term_key(LT_USER, "example.org", "TheMatrix"))

    def test_no_integrity_when_key_required(self):
        data = s.build(s.Message(s.BINDING, s.REQUEST), fingerprint=True)
        with self.assertRaisesRegex(StunError, "no MESSAGE-INTEGRITY"):
            s.parse(data, key=SHORT_KEY)

    def test_rebuild_ipv4_response(self):
        """Our build() gives the vector's bytes (except its SOFTWARE padding, 0x20 not 0)."""
        msg = s.Message(s.BINDING, s.SUCCESS, txid=TXID)
        msg.add(s.SOFTWARE, "test vector").add(s.XOR_MAPPED_ADDRESS, ("192.0.2.1", 32853))
        ours = s.build(msg, key=SHORT_KEY, fingerprint=True)
        theirs = SAMPLE_IPV4_RESPONSE
        self.assertEqual(len(ours), len(theirs))
        self.assertEqual(ours[:20 + 15], theirs[:20 + 15])
        self.assertEqual(ours[20 + 16:48], theirs[20 + 16:48])
        # The HMAC and CRC cover the padding, so with different padding they differ;
        # build's own output must check out.
        parsed = s.parse(ours, key=SHORT_KEY)
        self.assertEqual(parsed.get(s.XOR_MAPPED_ADDRESS), ("192.0.2.1", 32853))

    def test_rebuild_long_term_request(self):
        msg = s.Message(s.BINDING, s.REQUEST, txid=SAMPLE_LONG_TERM_REQUEST[8:20])
        msg.add(s.USERNAME, LT_USER).add(s.NONCE, "f//499k954d6OL34oL9FSTvy64sA")
        msg.add(s.REALM, "example.org")
        self.assertEqual(s.build(msg, key=LT_KEY), SAMPLE_LONG_TERM_REQUEST)


class MessageType(unittest.TestCase):
    def test_known_types(self):
        self.assertEqual(s.message_type(s.BINDING, s.REQUEST), 0x0001)
        self.assertEqual(s.message_type(s.BINDING, s.SUCCESS), 0x0101)
        self.assertEqual(s.message_type(s.BINDING, s.ERROR), 0x0111)
        self.assertEqual(s.message_type(s.ALLOCATE, s.REQUEST), 0x0003)
        self.assertEqual(s.message_type(s.SEND, s.INDICATION), 0x0016)
        self.assertEqual(s.message_type(s.DATA_METHOD, s.INDICATION), 0x0017)

    def test_split_inverts(self):
        for method in range(0x1000):
            for cls in range(4):
                self.assertEqual(s.split_type(s.message_type(method, cls)), (method, cls))


ROUND_TRIP = [
    (s.MAPPED_ADDRESS, ("192.0.2.7", 1)),
    (s.MAPPED_ADDRESS, ("2001:db8::7", 65535)),
    (s.XOR_MAPPED_ADDRESS, ("203.0.113.9", 3478)),
    (s.XOR_MAPPED_ADDRESS, ("2001:db8:ffff::1", 40000)),
    (s.XOR_PEER_ADDRESS, ("198.51.100.1", 0)),
    (s.XOR_PEER_ADDRESS, ("::1", 50000)),
    (s.XOR_RELAYED_ADDRESS, ("203.0.113.3", 50001)),
    (s.XOR_RELAYED_ADDRESS, ("fe80::1", 50002)),
    (s.ALTERNATE_SERVER, ("203.0.113.4", 3478)),
    (s.USERNAME, "alice"),
    (s.USERNAME, "\u30de\u30c8\u30ea\u30c3\u30af\u30b9"),
    (s.USERNAME, ""),
    (s.REALM, "p2psip.test"),
    (s.NONCE, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"),
    (s.SOFTWARE, "hiplab natprobe"),
    (s.ERROR_CODE, (401, "Unauthorized")),
    (s.ERROR_CODE, (438, "Stale Nonce")),
    (s.ERROR_CODE, (300, "")),
    (s.ERROR_CODE, (699, "x")),
    (s.LIFETIME, 0),
    (s.LIFETIME, 0xFFFFFFFF),
    (s.REQUESTED_TRANSPORT, 17),
    (s.UNKNOWN_ATTRIBUTES, (0x0024, 0x0025, 0x7FFF)),
    (s.UNKNOWN_ATTRIBUTES, ()),
    (s.DATA, b""),
    (s.DATA, b"x"),
    (s.DATA, bytes(range(256))),
    (0x7FFE, b"\x01\x02\x03"),
]


class RoundTrip(unittest.TestCase):
    def round_trip(self, attrs, key=None, fingerprint=False, cls=s.REQUEST):
        msg = s.Message(s.ALLOCATE, cls, attrs=attrs)
        data = s.build(msg, key=key, fingerprint=fingerprint)
        self.assertEqual(len(data) % 4, 0)
        back = s.parse(data, key=key)
        self.assertEqual((back.method, back.cls, back.txid), (msg.method, msg.cls, msg.txid))
        self.assertEqual(back.attrs, attrs)
        self.assertEqual(back.fingerprint is not None, fingerprint)
        return back

    def test_each_attribute(self):
        for atype, value in ROUND_TRIP:
            for key, fp in ((None, False), (b"k", False), (None, True), (b"k", True)):
                with self.subTest(attr=s.attr_name(atype), value=value, key=key, fp=fp):
                    self.round_trip([(atype, value)], key=key, fingerprint=fp)

    def test_all_together(self):
        self.round_trip(list(ROUND_TRIP), key=s.long_term_key("alice", "r", "secret"),
                        fingerprint=True, cls=s.SUCCESS)

    def test_empty_message(self):
        data = s.build(s.Message(s.BINDING, s.REQUEST))
        self.assertEqual(len(data), 20)
        self.assertEqual(s.parse(data).attrs, [])

    def test_xor_is_really_applied(self):
        msg = s.Message(s.BINDING, s.SUCCESS, attrs=[(s.XOR_MAPPED_ADDRESS, ("192.0.2.1", 32853))])
        value = s.build(msg)[24:32]
        self.assertEqual(value, unhex("00 01 a1 47 e1 12 a6 43"))

    def test_padding_is_zero(self):
        data = s.build(s.Message(s.BINDING, s.REQUEST, attrs=[(s.USERNAME, "abcde")]))
        self.assertEqual(data[20:], unhex("00 06 00 05 61 62 63 64 65 00 00 00"))

    def test_attributes_after_integrity_ignored(self):
        data = s.build(s.Message(s.BINDING, s.REQUEST, attrs=[(s.USERNAME, "u")]), key=b"k")
        extra = struct.pack("!HH", s.SOFTWARE, 4) + b"evil"
        data = data[:2] + struct.pack("!H", len(data) - 20 + 8) + data[4:] + extra
        msg = s.parse(data, key=b"k")
        self.assertEqual(msg.attrs, [(s.USERNAME, "u")])

    def test_build_rejects_bad_values(self):
        for atype, value in [(s.MAPPED_ADDRESS, ("not-an-ip", 1)),
                             (s.XOR_PEER_ADDRESS, ("192.0.2.1", 70000)),
                             (s.ERROR_CODE, (200, "OK")),
                             (s.LIFETIME, -1),
                             (s.REQUESTED_TRANSPORT, 256),
                             (s.USERNAME, "x" * 514),
                             (s.DATA, "text, not bytes"),
                             (s.MESSAGE_INTEGRITY, b"\0" * 20)]:
            with self.subTest(attr=s.attr_name(atype)):
                with self.assertRaises(ValueError):
                    s.build(s.Message(s.BINDING, s.REQUEST, attrs=[(atype, value)]))


def with_attr(atype, value, txid=b"\x01" * 12):
    """A Binding request holding one raw attribute (value padded with zeros)."""
    body = struct.pack("!HH", atype, len(value)) + value + b"\0" * (-len(value) % 4)
    return struct.pack("!HHI", 0x0001, len(body), s.MAGIC_COOKIE) + txid + body


class Malformed(unittest.TestCase):
    def assertStunError(self, data, pattern=None):
        with self.assertRaises(StunError) as cm:
            s.parse(data)
        if pattern:
            self.assertRegex(str(cm.exception), pattern)

    def test_truncated_at_every_offset(self):
        for data in VALID_MESSAGES:
            for n in range(len(data)):
                with self.subTest(size=len(data), cut=n):
                    self.assertStunError(data[:n])

    def test_truncated_header(self):
        self.assertStunError(SAMPLE_REQUEST[:19], "truncated header")
        self.assertStunError(b"", "truncated header")

    def test_length_field(self):
        good = SAMPLE_IPV4_RESPONSE
        for length in (0, 4, len(good) - 24, len(good) - 16, 0xFFFC):
            with self.subTest(length=length):
                self.assertStunError(good[:2] + struct.pack("!H", length) + good[4:], "bad length")
        self.assertStunError(good + b"\0\0\0\0", "bad length")

    def test_length_not_multiple_of_4(self):
        good = SAMPLE_IPV4_RESPONSE
        for delta in (1, 2, 3):
            bad = good[:2] + struct.pack("!H", len(good) - 20 - delta) + good[4:]
            self.assertStunError(bad, "not a multiple of 4")

    def test_bad_cookie(self):
        self.assertStunError(SAMPLE_REQUEST[:4] + b"\x21\x12\xa4\x43" + SAMPLE_REQUEST[8:],
                             "magic cookie")

    def test_top_bits(self):
        self.assertStunError(b"\x40" + SAMPLE_REQUEST[1:], "first two bits")
        self.assertStunError(b"\x80" + SAMPLE_REQUEST[1:], "first two bits")

    def test_attribute_past_end(self):
        data = with_attr(s.DATA, b"abcd")
        bad = data[:22] + struct.pack("!H", 8) + data[24:]
        self.assertStunError(bad, "runs past the end")

    def test_bad_address_family(self):
        for atype in (s.MAPPED_ADDRESS, s.XOR_MAPPED_ADDRESS, s.XOR_PEER_ADDRESS,
                      s.XOR_RELAYED_ADDRESS):
            with self.subTest(attr=s.attr_name(atype)):
                self.assertStunError(with_attr(atype, unhex("00 03 00 01 01 02 03 04")),
                                     "bad address family")
                self.assertStunError(with_attr(atype, unhex("00 00 00 01 01 02 03 04")),
                                     "bad address family")

    def test_address_lengths(self):
        for value in (unhex("00 01 00 01 01 02 03"), unhex("00 01 00 01") + b"\0" * 16,
                      unhex("00 02 00 01 01 02 03 04"), unhex("00 01 00"), b""):
            with self.subTest(value=value.hex()):
                self.assertStunError(with_attr(s.XOR_MAPPED_ADDRESS, value))

    def test_bad_fixed_lengths(self):
        for atype, value in [(s.LIFETIME, b"\0\0\0"), (s.LIFETIME, b"\0" * 8),
                             (s.REQUESTED_TRANSPORT, b"\x11"), (s.MESSAGE_INTEGRITY, b"\0" * 19),
                             (s.FINGERPRINT, b"\0\0"), (s.UNKNOWN_ATTRIBUTES, b"\0\0\0"),
                             (s.ERROR_CODE, b"\0\0\x04")]:
            with self.subTest(attr=s.attr_name(atype)):
                self.assertStunError(with_attr(atype, value))

    def test_bad_error_code(self):
        self.assertStunError(with_attr(s.ERROR_CODE, unhex("00 00 02 00")), "bad code")
        self.assertStunError(with_attr(s.ERROR_CODE, unhex("00 00 04 64")), "bad code")

    def test_bad_text(self):
        self.assertStunError(with_attr(s.USERNAME, b"\xff\xfe"), "not UTF-8")
        self.assertStunError(with_attr(s.USERNAME, b"a" * 514), "at most 513")
        self.assertStunError(with_attr(s.ERROR_CODE, unhex("00 00 04 01") + b"\xc3"), "UTF-8")

    def test_bad_fingerprint(self):
        bad = SAMPLE_REQUEST[:-1] + bytes([SAMPLE_REQUEST[-1] ^ 1])
        self.assertStunError(bad, "bad FINGERPRINT")

    def test_fingerprint_not_last(self):
        data = s.build(s.Message(s.BINDING, s.REQUEST), fingerprint=True)
        extra = struct.pack("!HH", s.SOFTWARE, 0)
        data = data[:2] + struct.pack("!H", len(data) - 20 + 4) + data[4:] + extra
        self.assertStunError(data, "not the last")

    def test_altered_message_fails_integrity(self):
        for i in range(20, len(SAMPLE_REQUEST) - 32):  # every attribute byte before MI
            bad = bytearray(SAMPLE_REQUEST)
            bad[i] ^= 0x01
            bad = bytes(bad[:-8])  # drop FINGERPRINT, to reach the integrity check
            bad = bad[:2] + struct.pack("!H", len(bad) - 20) + bad[4:]
            with self.subTest(offset=i):
                try:
                    s.parse(bad, key=SHORT_KEY)
                except StunError:
                    continue
                self.fail("a flipped bit at %d went unnoticed" % i)

    def test_not_bytes(self):
        self.assertStunError("a string")
        self.assertStunError(None)

    def test_bit_flips_raise_only_stun_error(self):
        for data in VALID_MESSAGES:
            for i in range(len(data)):
                for bit in range(8):
                    bad = bytearray(data)
                    bad[i] ^= 1 << bit
                    self.parse_or_stun_error(bytes(bad))

    def test_garbage_raises_only_stun_error(self):
        rng = random.Random(5769)
        for _ in range(3000):
            n = rng.choice([0, 1, 19, 20, 21, 24, 28, 32, 44, 64, 100])
            self.parse_or_stun_error(bytes(rng.getrandbits(8) for _ in range(n)))

    def test_garbage_attributes_raise_only_stun_error(self):
        """Valid header and length, random attribute bytes: exercises the attribute decoders."""
        rng = random.Random(8489)
        types = [t for t, _ in ROUND_TRIP] + [s.MESSAGE_INTEGRITY, s.FINGERPRINT]
        for _ in range(5000):
            body = b""
            for _ in range(rng.randint(1, 4)):
                size = rng.choice([0, 1, 3, 4, 8, 20, 21])
                value = bytes(rng.getrandbits(8) for _ in range(size))
                if rng.random() < 0.3 and len(value) >= 2:
                    value = bytes([0, rng.choice([1, 2])]) + value[2:]
                alen = len(value) if rng.random() < 0.9 else rng.randint(0, 40)
                body += struct.pack("!HH", rng.choice(types), alen) + value
                body += b"\0" * (-len(body) % 4)
            data = struct.pack("!HHI", 0x0101, len(body), s.MAGIC_COOKIE) + b"\2" * 12 + body
            self.parse_or_stun_error(data)

    def parse_or_stun_error(self, data):
        try:
            s.parse(data)
        except StunError:
            pass
        try:
            s.parse(data, key=b"k")
        except StunError:
            pass


if __name__ == "__main__":
    unittest.main()
