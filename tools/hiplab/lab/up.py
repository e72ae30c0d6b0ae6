# Brings a topology up, in phases: namespaces, links, addresses, routes and
# NAT, link emulation, services. Any failure (or Ctrl-C) tears down all of it.
# What is built is recorded in the lab's state file for status and down.

import os
import time

from . import emulator, names, nat, state, turn
from .nsenter import sysctl
from .run import LabError, cmd, ip_batch


def _fault(point):
    """HIPLAB_FAULT=POINT fails `up` there: the tests check that nothing is left behind."""
    if os.environ.get("HIPLAB_FAULT") == point:
        raise LabError(f"injected fault at '{point}' (HIPLAB_FAULT)")


def up(topo, lab):
    if not names.LAB_RE.match(lab):
        raise LabError(f"bad lab name '{lab}': use 1-32 of a-z 0-9 - _")
    if lab in state.labs():
        raise LabError(f"lab '{lab}' is already up (hiplab down --lab {lab})")
    t0 = time.monotonic()
    st = {"name": lab, "topology": os.path.abspath(topo.source), "description": topo.description,
          "status": "starting", "started": time.time(), "emulator": None, "services": [],
          "emulators": []}
    procs = []
    try:
        state.save(lab, st)
        _namespaces(topo, lab)
        _fault("after-namespaces")
        needed = any(i.emulated for n in topo.nodes.values() for i in n.ifaces)
        st["emulator"] = emulator.choose(topo.emulator, names.wire_ns(lab), needed)
        _links(topo, lab, st["emulator"])
        _fault("after-links")
        _addresses(topo, lab)
        _routes_and_nat(topo, lab)
        _fault("after-nat")
        _emulation(topo, lab, st, procs)
        _fault("after-emulation")
        _services(topo, lab, st, procs)
        _fault("after-services")
    except BaseException:
        state.teardown(lab)
        raise
    st["status"] = "up"
    st["up_seconds"] = round(time.monotonic() - t0, 3)
    st["nodes"] = describe(topo, lab)
    st["links"] = {l.name: {"bridge": names.bridge(l.index), "ipv4": str(l.net4 or ""),
                            "ipv6": str(l.net6 or "")} for l in topo.links.values()}
    state.save(lab, st)
    return st


def describe(topo, lab):
    out = {}
    for n in topo.nodes.values():
        out[n.name] = {
            "ns": names.node_ns(lab, n.name), "kind": n.kind, "nat": n.nat, "run": n.run,
            "ifaces": [{"name": i.name, "link": i.link,
                        "ipv4": [str(a) for a in i.ipv4], "ipv6": [str(a) for a in i.ipv6],
                        "delay_out_ms": i.delay_out_ms, "delay_in_ms": i.delay_in_ms,
                        "loss_out": i.loss_out, "loss_in": i.loss_in, "outside": i.outside,
                        "wire": names.wire_port(n.index, i.index)} for i in n.ifaces],
            "routes4": [r.__dict__ for r in n.routes4],
            "routes6": [r.__dict__ for r in n.routes6],
        }
    return out


def _namespaces(topo, lab):
    wire = names.wire_ns(lab)
    cmd(["ip", "netns", "add", wire])
    sysctl(wire, {"net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1})
    # Bridged frames skip iptables/nftables where br_netfilter is loaded: a link is a wire.
    sysctl(wire, {f"net.bridge.bridge-nf-call-{t}": 0 for t in ("iptables", "ip6tables", "arptables")},
           optional=True)
    for n in topo.nodes.values():
        ns = names.node_ns(lab, n.name)
        cmd(["ip", "netns", "add", ns])
        values = {"net.ipv6.conf.all.accept_dad": 0, "net.ipv6.conf.default.accept_dad": 0,
                  "net.ipv6.conf.default.accept_ra": 0}
        if n.kind == "router":
            values.update({"net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1})
        sysctl(ns, values)


def _links(topo, lab, emulation):
    """Bridges in the wire namespace; each interface a veth from its node to the wire.
    With linkemu, a delayed interface reaches its bridge through a second veth pair."""
    wire = names.wire_ns(lab)
    lines = ["link set lo up"]
    for l in topo.links.values():
        br = names.bridge(l.index)
        lines += [f"link add {br} type bridge stp_state 0 forward_delay 0 mcast_snooping 0",
                  f"link set {br} up"]
    for n in topo.nodes.values():
        for i in n.ifaces:
            port = names.wire_port(n.index, i.index)
            if i.emulated and emulation == "linkemu":
                feed, bport = names.emu_pair(n.index, i.index)
                lines += [f"link add {feed} type veth peer name {bport}",
                          f"link set {bport} master {names.bridge(topo.links[i.link].index)}",
                          f"link set {feed} up", f"link set {bport} up"]
            else:
                lines.append(f"link set {port} master {names.bridge(topo.links[i.link].index)}")
            lines.append(f"link set {port} up")
    node_lines = {}
    for n in topo.nodes.values():
        ns = names.node_ns(lab, n.name)
        node_lines[ns] = [f"link add {i.name} type veth peer name {names.wire_port(n.index, i.index)}"
                          f" netns {wire}" for i in n.ifaces]
    for ns, nl in node_lines.items():
        ip_batch(nl, ns)
    ip_batch(lines, wire)


def _addresses(topo, lab):
    for n in topo.nodes.values():
        lines = ["link set lo up"]
        for i in n.ifaces:
            lines += [f"addr add {a} dev {i.name}" for a in i.ipv4]
            lines += [f"addr add {a} dev {i.name} nodad" for a in i.ipv6]
            lines.append(f"link set {i.name} up")
        ip_batch(lines, names.node_ns(lab, n.name))


def _routes_and_nat(topo, lab):
    for n in topo.nodes.values():
        ns = names.node_ns(lab, n.name)
        lines = [f"route add {r.dest} via {r.via} dev {r.dev}" for r in n.routes4]
        lines += [f"-6 route add {r.dest} via {r.via} dev {r.dev}" for r in n.routes6]
        ip_batch(lines, ns)
        if n.kind == "router" and n.nat in nat.MASQUERADE:
            cmd(["nft", "-f", "-"], ns=ns, input=nat.ruleset("hiplab", n.nat, n.outside_iface().name))


def _emulation(topo, lab, st, procs):
    attached = [(n, i) for n in topo.nodes.values() for i in n.ifaces if i.emulated]
    kind = st["emulator"]
    if kind == "netem":
        for n, i in attached:
            emulator.setup_netem(lab, n, i)
    elif kind == "linkemu":
        binary = emulator.find_linkemu()
        wire = names.wire_ns(lab)
        started = []
        for n, i in attached:
            feed, bport = names.emu_pair(n.index, i.index)
            emulator.offloads_off(names.node_ns(lab, n.name), i.name)
            for dev in (names.wire_port(n.index, i.index), feed, bport):
                emulator.offloads_off(wire, dev)
            e = emulator.start_linkemu(lab, n, i, binary, names.state_dir(lab))
            procs.append(e["proc"])
            started.append(e)
            st["emulators"].append({"node": n.name, "iface": i.name, "pid": e["pid"],
                                    "stats": e["stats"], "log": e["log"]})
            state.save(lab, st)
        emulator.wait_started(started)


def _services(topo, lab, st, procs):
    started = []
    for n in topo.nodes.values():
        if "turn" in n.run:
            svc = turn.start(lab, topo.turn, n, names.state_dir(lab))
            procs.append(svc["proc"])
            started.append(svc)
            st["services"].append({k: v for k, v in svc.items() if k not in ("proc", "addrs")})
            state.save(lab, st)
    for svc in started:
        turn.wait_ready(lab, svc)
