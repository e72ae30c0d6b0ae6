# The nftables ruleset of a NAT router: IPv4 masquerade on the outside
# interface (port-keeping for "good", random per destination for "bad") and a
# stateful filter that lets in only answers ("bad": from the very address and
# port, RFC 4787 address-and-port-dependent filtering) or, for "good", anything
# from an address the inside host sent to from that port (address-dependent
# filtering, RFC 4787 REQ-8). Text only; up.py loads it.

MASQUERADE = {
    # Linux keeps the source port when it is free: one internal socket keeps
    # one public mapping whatever the destination (endpoint-independent).
    "good": "masquerade",
    # A random port for every new 5-tuple: endpoint-dependent (symmetric).
    "bad": "masquerade random",
}


# "good" only: remember (remote address, inside port) -> inside host for every
# UDP datagram going out, and send a new datagram from that remote address (any
# port) to that port in. The port is the public one too: masquerade keeps it.
ADF_MAP = """
  map adf {{
    type ipv4_addr . inet_service : ipv4_addr
    flags dynamic,timeout
    timeout 2m
  }}"""
ADF_OUT = """
  chain outbound {{
    type filter hook forward priority filter; policy accept;
    oifname "{outside}" meta l4proto udp update @adf {{ ip daddr . udp sport : ip saddr }}
  }}"""
ADF_IN = """
  chain inbound {{
    type nat hook prerouting priority dstnat; policy accept;
    iifname "{outside}" meta l4proto udp ct state new dnat ip to ip saddr . udp dport map @adf
  }}"""


def ruleset(table, nat, outside):
    """nft -f input for a router whose outside interface is `outside`."""
    if nat not in MASQUERADE:
        raise ValueError(f"no NAT kind '{nat}'")
    adf = nat == "good"
    adf_map = ADF_MAP.format() if adf else ""
    adf_out = ADF_OUT.format(outside=outside) if adf else ""
    adf_in = ADF_IN.format(outside=outside) if adf else ""
    adf_accept = f'''
    iifname "{outside}" ct status dnat accept''' if adf else ""
    return f"""
table inet {table} {{
  chain forward {{
    type filter hook forward priority filter; policy drop;
    ct state established,related accept{adf_accept}
    iifname != "{outside}" accept
  }}
  chain input {{
    type filter hook input priority filter; policy accept;
    iifname != "{outside}" accept
    ct state established,related accept
    meta l4proto {{ icmp, ipv6-icmp }} accept
    drop
  }}
}}
table ip {table}-nat {{{adf_map}{adf_out}{adf_in}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname "{outside}" {MASQUERADE[nat]}
  }}
}}
"""
