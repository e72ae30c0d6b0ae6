# STUN/TURN message codec (RFC 8489, RFC 8656) for hiplab's natprobe: build and parse messages,
# MESSAGE-INTEGRITY and FINGERPRINT. Not a STUN client or server: it owns no sockets or timers.
"""Build and parse STUN messages.

A message is a Message(method, cls, txid, attrs) where attrs is a list of
(type, value) pairs. Known attributes carry decoded values:

  addresses (MAPPED-ADDRESS, XOR-*-ADDRESS, ALTERNATE-SERVER)  (ip_str, port)
  text (USERNAME, REALM, NONCE, SOFTWARE)                       str
  ERROR-CODE                                                    (code, reason)
  LIFETIME                                                      int (seconds)
  REQUESTED-TRANSPORT                                           int (IP protocol)
  UNKNOWN-ATTRIBUTES                                            tuple of ints
  DATA and anything unknown                                     bytes

MESSAGE-INTEGRITY and FINGERPRINT are not in attrs: build() appends them on
request, parse() checks them and records them in .integrity/.fingerprint.
Every malformed input makes parse() raise StunError, and nothing else.
"""
import hashlib
import hmac
import ipaddress
import os
import struct
import zlib

MAGIC_COOKIE = 0x2112A442
HEADER_LEN = 20
FINGERPRINT_XOR = 0x5354554E

# Classes
REQUEST = 0
INDICATION = 1
SUCCESS = 2
ERROR = 3
CLASS_NAMES = {REQUEST: "request", INDICATION: "indication", SUCCESS: "success", ERROR: "error"}

# Methods (RFC 8489 section 18.2, RFC 8656 section 17)
BINDING = 0x001
ALLOCATE = 0x003
REFRESH = 0x004
SEND = 0x006
DATA_METHOD = 0x007
CREATE_PERMISSION = 0x008
CHANNEL_BIND = 0x009

# Attributes
MAPPED_ADDRESS = 0x0001
USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
UNKNOWN_ATTRIBUTES = 0x000A
LIFETIME = 0x000D
XOR_PEER_ADDRESS = 0x0012
DATA = 0x0013
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_TRANSPORT = 0x0019
XOR_MAPPED_ADDRESS = 0x0020
SOFTWARE = 0x8022
ALTERNATE_SERVER = 0x8023
FINGERPRINT = 0x8028

FAMILY_IPV4 = 0x01
FAMILY_IPV6 = 0x02
PROTO_UDP = 17

# Text attributes and their largest encoded size in bytes (RFC 8489 section 14).
TEXT_LIMITS = {USERNAME: 513, REALM: 763, NONCE: 763, SOFTWARE: 763}
PLAIN_ADDRESSES = (MAPPED_ADDRESS, ALTERNATE_SERVER)
XOR_ADDRESSES = (XOR_MAPPED_ADDRESS, XOR_PEER_ADDRESS, XOR_RELAYED_ADDRESS)

ATTR_NAMES = {
    MAPPED_ADDRESS: "MAPPED-ADDRESS", USERNAME: "USERNAME",
    MESSAGE_INTEGRITY: "MESSAGE-INTEGRITY", ERROR_CODE: "ERROR-CODE",
    UNKNOWN_ATTRIBUTES: "UNKNOWN-ATTRIBUTES", LIFETIME: "LIFETIME",
    XOR_PEER_ADDRESS: "XOR-PEER-ADDRESS", DATA: "DATA", REALM: "REALM", NONCE: "NONCE",
    XOR_RELAYED_ADDRESS: "XOR-RELAYED-ADDRESS", REQUESTED_TRANSPORT: "REQUESTED-TRANSPORT",
    XOR_MAPPED_ADDRESS: "XOR-MAPPED-ADDRESS", SOFTWARE: "SOFTWARE",
    ALTERNATE_SERVER: "ALTERNATE-SERVER", FINGERPRINT: "FINGERPRINT",
}


class StunError(Exception):
    """A message that is not well-formed STUN, or fails its integrity or fingerprint check."""


def attr_name(atype):
    return ATTR_NAMES.get(atype, "attribute 0x%04x" % atype)


class Message:
    def __init__(self, method, cls, txid=None, attrs=None):
        self.method = method
        self.cls = cls
        self.txid = os.urandom(12) if txid is None else txid
        self.attrs = list(attrs or [])
        self.integrity = None  # set by parse(): the HMAC bytes, if present
        self.fingerprint = None  # set by parse(): the CRC value, if present
        self.raw = None  # set by parse(): the whole datagram
        self.integrity_offset = None  # set by parse(): where MESSAGE-INTEGRITY starts

    def add(self, atype, value):
        self.attrs.append((atype, value))
        return self

    def get(self, atype, default=None):
        for t, v in self.attrs:
            if t == atype:
                return v
        return default

    def __repr__(self):
        return "Message(method=0x%03x, cls=%s, txid=%s, attrs=%r)" % (
            self.method, CLASS_NAMES[self.cls], self.txid.hex(), self.attrs)


# --- message type ----------------------------------------------------------------------------


def message_type(method, cls):
    """The 14-bit message type: method bits M0..M11 interleaved with class bits C0, C1."""
    if not 0 <= method <= 0xFFF or cls not in CLASS_NAMES:
        raise ValueError("bad method 0x%x or class %r" % (method, cls))
    return ((method & 0x00F) | ((method & 0x070) << 1) | ((method & 0xF80) << 2)
            | ((cls & 1) << 4) | ((cls & 2) << 7))


def split_type(mtype):
    method = (mtype & 0x000F) | ((mtype & 0x00E0) >> 1) | ((mtype & 0x3E00) >> 2)
    cls = ((mtype >> 4) & 1) | ((mtype >> 7) & 2)
    return method, cls


# --- keys ------------------------------------------------------------------------------------


def short_term_key(password):
    """RFC 8489 section 9.1.1 (without OpaqueString preparation)."""
    return password.encode("utf-8")


def long_term_key(username, realm, password):
    """RFC 8489 section 9.2.2, MD5 algorithm (without OpaqueString preparation)."""
    return hashlib.md5(("%s:%s:%s" % (username, realm, password)).encode("utf-8")).digest()


# --- attribute values: encoding --------------------------------------------------------------


def _pack_ip(ip):
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError as e:
        raise ValueError("bad IP address %r" % (ip,)) from e
    return (FAMILY_IPV4 if addr.version == 4 else FAMILY_IPV6), addr.packed


def _check_port(port):
    if not isinstance(port, int) or not 0 <= port <= 0xFFFF:
        raise ValueError("bad port %r" % (port,))


def encode_address(ip, port):
    _check_port(port)
    family, packed = _pack_ip(ip)
    return struct.pack("!BBH", 0, family, port) + packed


def _xor_bytes(data, pad):
    return bytes(a ^ b for a, b in zip(data, pad))


def _xor_pad(txid):
    return struct.pack("!I", MAGIC_COOKIE) + txid


def encode_xor_address(ip, port, txid):
    _check_port(port)
    family, packed = _pack_ip(ip)
    xport = port ^ (MAGIC_COOKIE >> 16)
    return struct.pack("!BBH", 0, family, xport) + _xor_bytes(packed, _xor_pad(txid))


def encode_text(text, limit):
    raw = text.encode("utf-8")
    if len(raw) > limit:
        raise ValueError("text of %d bytes, at most %d allowed" % (len(raw), limit))
    return raw


def encode_error_code(code, reason):
    if not 300 <= code <= 699:
        raise ValueError("error code %d not in 300..699" % code)
    return struct.pack("!HBB", 0, code // 100, code % 100) + encode_text(reason, 763)


def encode_u32(value):
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError("value %r does not fit 32 bits" % (value,))
    return struct.pack("!I", value)


def encode_requested_transport(proto):
    if not 0 <= proto <= 255:
        raise ValueError("bad protocol number %r" % (proto,))
    return struct.pack("!B3x", proto)


def encode_value(atype, value, txid):
    """Bytes of one attribute value, from its decoded form."""
    if atype in PLAIN_ADDRESSES:
        return encode_address(*value)
    if atype in XOR_ADDRESSES:
        return encode_xor_address(value[0], value[1], txid)
    if atype in TEXT_LIMITS:
        return encode_text(value, TEXT_LIMITS[atype])
    if atype == ERROR_CODE:
        return encode_error_code(*value)
    if atype == LIFETIME:
        return encode_u32(value)
    if atype == REQUESTED_TRANSPORT:
        return encode_requested_transport(value)
    if atype == UNKNOWN_ATTRIBUTES:
        return b"".join(struct.pack("!H", t) for t in value)
    if atype in (MESSAGE_INTEGRITY, FINGERPRINT):
        raise ValueError("%s is added by build(), not given as an attribute" % attr_name(atype))
    if not isinstance(value, (bytes, bytearray)):
        raise ValueError("%s needs bytes, got %r" % (attr_name(atype), type(value).__name__))
    return bytes(value)


# --- attribute values: decoding --------------------------------------------------------------


def _unpack_ip(family, packed, atype):
    want = {FAMILY_IPV4: 4, FAMILY_IPV6: 16}.get(family)
    if want is None:
        raise StunError("%s: bad address family 0x%02x" % (attr_name(atype), family))
    if len(packed) != want:
        raise StunError("%s: %d address bytes for %s, want %d" % (
            attr_name(atype), len(packed), "IPv4" if want == 4 else "IPv6", want))
    return str(ipaddress.ip_address(packed))


def _address_fields(value, atype):
    if len(value) < 4:
        raise StunError("%s: %d bytes, too short for an address" % (attr_name(atype), len(value)))
    _, family, port = struct.unpack("!BBH", value[:4])
    return family, port, value[4:]


def decode_address(value, atype=MAPPED_ADDRESS):
    family, port, packed = _address_fields(value, atype)
    return _unpack_ip(family, packed, atype), port


def decode_xor_address(value, txid, atype=XOR_MAPPED_ADDRESS):
    family, xport, xpacked = _address_fields(value, atype)
    packed = _xor_bytes(xpacked, _xor_pad(txid))
    return _unpack_ip(family, packed, atype), xport ^ (MAGIC_COOKIE >> 16)


def decode_text(value, atype):
    if len(value) > TEXT_LIMITS.get(atype, 763):
        raise StunError("%s: %d bytes, at most %d allowed" % (
            attr_name(atype), len(value), TEXT_LIMITS.get(atype, 763)))
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as e:
        raise StunError("%s: not UTF-8 (%s)" % (attr_name(atype), e.reason)) from None


def decode_error_code(value):
    if len(value) < 4:
        raise StunError("ERROR-CODE: %d bytes, want at least 4" % len(value))
    cls, number = value[2] & 0x07, value[3]
    if not 3 <= cls <= 6 or number > 99:
        raise StunError("ERROR-CODE: bad code (class %d, number %d)" % (cls, number))
    return cls * 100 + number, decode_text(value[4:], ERROR_CODE)


def decode_fixed(value, size, atype):
    if len(value) != size:
        raise StunError("%s: %d bytes, want %d" % (attr_name(atype), len(value), size))
    return value


def decode_unknown_attributes(value):
    if len(value) % 2:
        raise StunError("UNKNOWN-ATTRIBUTES: odd length %d" % len(value))
    return tuple(struct.unpack("!%dH" % (len(value) // 2), value))


def decode_value(atype, value, txid):
    """The decoded form of one attribute value; StunError if it is malformed."""
    if atype in PLAIN_ADDRESSES:
        return decode_address(value, atype)
    if atype in XOR_ADDRESSES:
        return decode_xor_address(value, txid, atype)
    if atype in TEXT_LIMITS:
        return decode_text(value, atype)
    if atype == ERROR_CODE:
        return decode_error_code(value)
    if atype == LIFETIME:
        return struct.unpack("!I", decode_fixed(value, 4, atype))[0]
    if atype == REQUESTED_TRANSPORT:
        return decode_fixed(value, 4, atype)[0]
    if atype == UNKNOWN_ATTRIBUTES:
        return decode_unknown_attributes(value)
    return bytes(value)


# --- whole messages --------------------------------------------------------------------------


def _pad4(n):
    return (n + 3) & ~3


def _tlv(atype, value):
    return struct.pack("!HH", atype, len(value)) + value + b"\0" * (_pad4(len(value)) - len(value))


def _header(mtype, length, txid):
    return struct.pack("!HHI", mtype, length, MAGIC_COOKIE) + txid


def _with_length(data, length):
    """data (a message so far) with the header's length field set to length."""
    return data[:2] + struct.pack("!H", length) + data[4:]


def integrity_value(data_before_mi, key):
    """HMAC-SHA1 over the message before MESSAGE-INTEGRITY, the header's length
    pointing to the end of the MESSAGE-INTEGRITY attribute (RFC 8489 section 14.5)."""
    adjusted = _with_length(data_before_mi, len(data_before_mi) - HEADER_LEN + 24)
    return hmac.new(key, adjusted, hashlib.sha1).digest()


def fingerprint_value(data_before_fp):
    """CRC-32 of the message before FINGERPRINT, the header's length including it."""
    adjusted = _with_length(data_before_fp, len(data_before_fp) - HEADER_LEN + 8)
    return (zlib.crc32(adjusted) ^ FINGERPRINT_XOR) & 0xFFFFFFFF


def build(msg, key=None, fingerprint=False):
    """The bytes of msg; with key, a MESSAGE-INTEGRITY; with fingerprint, a FINGERPRINT."""
    if not isinstance(msg.txid, bytes) or len(msg.txid) != 12:
        raise ValueError("transaction id must be 12 bytes")
    body = b"".join(_tlv(t, encode_value(t, v, msg.txid)) for t, v in msg.attrs)
    data = _header(message_type(msg.method, msg.cls), len(body), msg.txid) + body
    if key is not None:
        data = _with_length(data + _tlv(MESSAGE_INTEGRITY, integrity_value(data, key)),
                            len(data) - HEADER_LEN + 24)
    if fingerprint:
        data = _with_length(data, len(data) - HEADER_LEN + 8)
        data += _tlv(FINGERPRINT, struct.pack("!I", fingerprint_value(data)))
    if len(data) - HEADER_LEN > 0xFFFF:
        raise ValueError("message too long: %d bytes of attributes" % (len(data) - HEADER_LEN))
    return data


def is_stun(data):
    """A cheap test for demultiplexing: long enough, top bits zero, magic cookie."""
    return (len(data) >= HEADER_LEN and data[0] & 0xC0 == 0
            and struct.unpack("!I", data[4:8])[0] == MAGIC_COOKIE)


def _parse_header(data):
    if not isinstance(data, (bytes, bytearray)):
        raise StunError("not bytes but %s" % type(data).__name__)
    if len(data) < HEADER_LEN:
        raise StunError("truncated header: %d bytes, need %d" % (len(data), HEADER_LEN))
    mtype, length, cookie = struct.unpack("!HHI", data[:8])
    if mtype & 0xC000:
        raise StunError("first two bits of the message type are not zero (0x%04x)" % mtype)
    if cookie != MAGIC_COOKIE:
        raise StunError("bad magic cookie 0x%08x" % cookie)
    if length % 4:
        raise StunError("message length %d is not a multiple of 4" % length)
    if HEADER_LEN + length != len(data):
        raise StunError("bad length: header says %d bytes of attributes, datagram has %d" % (
            length, len(data) - HEADER_LEN))
    return mtype, bytes(data[8:HEADER_LEN])


def _raw_attributes(data):
    """(offset, type, value) for each attribute; the framing checked. The padding always fits:
    the total length and every attribute's start are multiples of 4."""
    off = HEADER_LEN
    while off < len(data):
        if off + 4 > len(data):
            raise StunError("attribute header at offset %d truncated" % off)
        atype, alen = struct.unpack("!HH", data[off:off + 4])
        end = off + 4 + alen
        if end > len(data):
            raise StunError("%s at offset %d: length %d runs past the end of the message" % (
                attr_name(atype), off, alen))
        yield off, atype, bytes(data[off + 4:end])
        off += 4 + _pad4(alen)


def _check_fingerprint(data, off, value):
    decode_fixed(value, 4, FINGERPRINT)
    if off + 8 != len(data):
        raise StunError("FINGERPRINT is not the last attribute")
    got = struct.unpack("!I", value)[0]
    want = fingerprint_value(data[:off])
    if got != want:
        raise StunError("bad FINGERPRINT 0x%08x, want 0x%08x" % (got, want))
    return got


def parse(data, key=None):
    """Parse one datagram. A FINGERPRINT, where present, is checked; with key, a
    MESSAGE-INTEGRITY is required and checked. Raises StunError on anything malformed."""
    mtype, txid = _parse_header(data)
    msg = Message(*split_type(mtype), txid=txid)
    msg.raw = bytes(data)
    for off, atype, value in _raw_attributes(msg.raw):
        if atype == FINGERPRINT:
            msg.fingerprint = _check_fingerprint(msg.raw, off, value)
        elif msg.integrity is not None:
            continue  # after MESSAGE-INTEGRITY only FINGERPRINT counts (RFC 8489 section 14.5)
        elif atype == MESSAGE_INTEGRITY:
            msg.integrity = decode_fixed(value, 20, atype)
            msg.integrity_offset = off
        else:
            msg.attrs.append((atype, decode_value(atype, value, txid)))
    if key is not None:
        check_integrity(msg, key)
    return msg


def check_integrity(msg, key):
    """Raise StunError unless msg (from parse()) has a MESSAGE-INTEGRITY made with key."""
    if msg.integrity is None:
        raise StunError("no MESSAGE-INTEGRITY")
    want = integrity_value(msg.raw[:msg.integrity_offset], key)
    if not hmac.compare_digest(want, msg.integrity):
        raise StunError("bad MESSAGE-INTEGRITY (wrong key or altered message)")


def error_code(msg):
    """(code, reason) of an error response, or None."""
    return msg.get(ERROR_CODE)
