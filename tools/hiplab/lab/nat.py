# The nftables ruleset of a NAT router: IPv4 masquerade on the outside
# interface (port-keeping for "good", random per destination for "bad") and a
# stateful filter that lets in only answers. Text only; up.py loads it.

MASQUERADE = {
    # Linux keeps the source port when it is free: one internal socket keeps
    # one public mapping whatever the destination (endpoint-independent).
    "good": "masquerade",
    # A random port for every new 5-tuple: endpoint-dependent (symmetric).
    "bad": "masquerade random",
}


def ruleset(table, nat, outside):
    """nft -f input for a router whose outside interface is `outside`."""
    if nat not in MASQUERADE:
        raise ValueError(f"no NAT kind '{nat}'")
    return f"""
table inet {table} {{
  chain forward {{
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
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
table ip {table}-nat {{
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname "{outside}" {MASQUERADE[nat]}
  }}
}}
"""
