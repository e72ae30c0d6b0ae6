# hiplab's command line: one table of verbs, each a function with its usage
# line, help printed from the table. The work is done in up.py and state.py.

import ctypes
import json
import os
import signal
import subprocess
import sys
import time

from . import names, state, topology
from .run import LabError
from .up import up as lab_up

PR_SET_PDEATHSIG = 1
USAGE = "usage: hiplab VERB [options] (hiplab --help)"


class UsageError(Exception):
    pass


class Terminated(BaseException):
    """SIGTERM/SIGHUP while hiplab works: unwinds like Ctrl-C, so cleanup runs."""


def _on_signal(signum, frame):
    raise Terminated(signal.Signals(signum).name)


def _take(args, flag, has_value=True):
    """Removes flag (and its value) from args; returns the value, True, or None."""
    if flag not in args:
        return None
    i = args.index(flag)
    if not has_value:
        del args[i]
        return True
    if i + 1 >= len(args) or args[i + 1] == "--":
        raise UsageError(f"{flag} needs a value")
    value = args[i + 1]
    del args[i:i + 2]
    return value


def _split_command(args):
    if "--" not in args:
        return args, []
    i = args.index("--")
    return args[:i], args[i + 1:]


def _no_more(args, verb):
    if args:
        raise UsageError(f"{verb}: unexpected argument '{args[0]}'")


def _lab_name_for(path, args):
    name = _take(args, "--name")
    if name:
        return name
    base = os.path.basename(path)
    return base[:-5] if base.endswith(".toml") else base


def _print_lab(st):
    print(f"lab {st['name']}: {st.get('description') or st['topology']}")
    nodes = st.get("nodes", {})
    for name, n in nodes.items():
        kind = n["kind"] + (f" nat={n['nat']}" if n["kind"] == "router" and n["nat"] != "none" else "")
        for k, i in enumerate(n["ifaces"]):
            addrs = " ".join(i["ipv4"] + i["ipv6"])
            emu = ""
            if i["delay_out_ms"] or i["delay_in_ms"] or i["loss_out"] or i["loss_in"]:
                emu = f"  delay {i['delay_out_ms']:g}/{i['delay_in_ms']:g} ms"
                if i["loss_out"] or i["loss_in"]:
                    emu += f" loss {i['loss_out']:g}/{i['loss_in']:g}%"
            first = f"{name:<10} {kind:<16}" if k == 0 else " " * 27
            side = " (outside)" if i["outside"] else ""
            print(f"  {first} {i['name']} {i['link']}{side}: {addrs}{emu}")
    for s in st.get("services", []):
        print(f"  service {s['kind']} on {s['host']}: {', '.join(s['listen'])} (pid {s['pid']})")
    if st.get("emulator"):
        print(f"  link emulation: {st['emulator']}")


def cmd_up(args):
    """up FILE [--name LAB]: bring a lab up"""
    name, topo = _parse_up_args(args, "up")
    st = lab_up(topo, name)
    _print_lab(st)
    print(f"up in {st['up_seconds']:.2f} s; 'hiplab down --lab {name}' removes it")
    return 0


def _parse_up_args(args, verb):
    if not args:
        raise UsageError(f"{verb}: needs a topology FILE")
    path = args.pop(0)
    name = _lab_name_for(path, args)
    _no_more(args, verb)
    return name, topology.load(path)


def cmd_run(args):
    """run FILE [--name LAB] -- CMD...: up, run CMD (HIPLAB_LAB=LAB), down; CMD's exit status"""
    args, command = _split_command(args)
    if not command:
        raise UsageError("run: needs '-- CMD...'")
    name, topo = _parse_up_args(args, "run")
    lab_up(topo, name)
    try:
        env = dict(os.environ, HIPLAB_LAB=name)
        try:
            return subprocess.call(command, env=env, preexec_fn=_die_with_parent)
        except FileNotFoundError:
            raise LabError(f"run: no such command '{command[0]}'") from None
    finally:
        state.teardown(name)


def _die_with_parent():
    """The command of `run` gets SIGTERM if hiplab itself is killed."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def cmd_exec(args):
    """exec [--lab LAB] HOST -- CMD...: run CMD in HOST's namespace"""
    args, command = _split_command(args)
    lab = state.resolve(_take(args, "--lab"))
    if len(args) != 1 or not command:
        raise UsageError("exec: needs HOST -- CMD...")
    ns = _node_ns(lab, args[0])
    os.environ.update(HIPLAB_LAB=lab, HIPLAB_NODE=args[0])
    os.execvp("ip", ["ip", "netns", "exec", ns] + command)


def _node_ns(lab, node):
    st = state.load(lab) or {}
    if node not in st.get("nodes", {}):
        known = ", ".join(st.get("nodes", {})) or "none"
        raise LabError(f"lab {lab} has no node '{node}' (nodes: {known})")
    return names.node_ns(lab, node)


def cmd_addr(args):
    """addr [--lab LAB] HOST [-6] [--link LINK] [--all]: print HOST's address(es)"""
    lab = state.resolve(_take(args, "--lab"))
    six = _take(args, "-6", has_value=False)
    link = _take(args, "--link")
    every = _take(args, "--all", has_value=False)
    if len(args) != 1:
        raise UsageError("addr: needs one HOST")
    _node_ns(lab, args[0])
    node = state.load(lab)["nodes"][args[0]]
    ifaces = [i for i in node["ifaces"] if link is None or i["link"] == link]
    if not ifaces:
        raise LabError(f"{args[0]} has no interface on link '{link}'")
    addrs = [a.split("/")[0] for i in ifaces for a in i["ipv6" if six else "ipv4"]]
    if not addrs:
        raise LabError(f"{args[0]} has no IPv{6 if six else 4} address"
                       + (f" on link {link}" if link else ""))
    print("\n".join(addrs if every else addrs[:1]))
    return 0


def cmd_capture(args):
    """capture [--lab LAB] LINK|HOST:IFACE -w FILE [-- FILTER...]: pcap until stopped"""
    args, filt = _split_command(args)
    lab = state.resolve(_take(args, "--lab"))
    out = _take(args, "-w")
    if len(args) != 1 or not out:
        raise UsageError("capture: needs LINK (or HOST:IFACE) and -w FILE")
    ns, dev = _capture_point(lab, args[0])
    argv = ["ip", "netns", "exec", ns, "tcpdump", "-i", dev, "-U", "-s", "0", "-Z", "root",
            "-w", os.path.abspath(out)] + filt
    os.execvp("ip", argv)


def _capture_point(lab, where):
    st = state.load(lab) or {}
    if ":" in where:
        node, dev = where.split(":", 1)
        ns = _node_ns(lab, node)
        if dev not in [i["name"] for i in st["nodes"][node]["ifaces"]] + ["lo"]:
            raise LabError(f"{node} has no interface '{dev}'")
        return ns, dev
    links = st.get("links", {})
    if where not in links:
        raise LabError(f"lab {lab} has no link '{where}' (links: {', '.join(links) or 'none'}); "
                       "or give HOST:IFACE")
    return names.wire_ns(lab), links[where]["bridge"]


def cmd_status(args):
    """status [--lab LAB] [--json]: labs, nodes, addresses, processes"""
    lab = _take(args, "--lab")
    as_json = _take(args, "--json", has_value=False)
    _no_more(args, "status")
    selected = [state.resolve(lab)] if lab else state.labs()
    report = [_status_of(l) for l in selected]
    if as_json:
        print(json.dumps({"labs": report}, indent=1))
        return 0
    if not report:
        print("no lab is up")
    for st in report:
        _print_lab(st)
        _print_processes(st)
    return 0


def _status_of(lab):
    st = state.load(lab) or {"name": lab, "topology": "?", "status": "no state (crashed?)"}
    namespaces = state.lab_netns(lab)
    st["namespaces"] = namespaces
    st["processes"] = [{"pid": p, "ns": ns, "comm": c} for p, (ns, c) in
                       sorted(state.pids_in(namespaces).items())]
    up = st.get("status") == "up"  # emulators still starting are not asked
    st["emulator_counters"] = _emulator_counters(st.get("emulators", [])) if up else []
    return st


def _emulator_counters(emulators):
    """Asks each emulator to write its counters (SIGUSR1) and reads them."""
    out = []
    for e in emulators:
        try:
            before = os.stat(e["stats"]).st_mtime_ns if os.path.exists(e["stats"]) else 0
            os.kill(e["pid"], signal.SIGUSR1)
            for _ in range(50):
                if os.path.exists(e["stats"]) and os.stat(e["stats"]).st_mtime_ns != before:
                    break
                time.sleep(0.01)
            with open(e["stats"]) as f:
                out.append({"node": e["node"], "iface": e["iface"], **json.load(f)})
        except (OSError, ValueError):
            out.append({"node": e["node"], "iface": e["iface"], "error": "no counters"})
    return out


def _print_processes(st):
    print(f"  status: {st.get('status')}; namespaces: {len(st['namespaces'])}")
    for p in st["processes"]:
        print(f"  pid {p['pid']:<7} {p['comm']:<16} in {p['ns']}")
    for c in st["emulator_counters"]:
        if "error" in c:
            print(f"  emulator {c['node']}.{c['iface']}: {c['error']}")
            continue
        print(f"  emulator {c['node']}.{c['iface']}: out {c['ab'].get('tx', 0)} frames "
              f"({c['ab'].get('lost', 0)} lost), in {c['ba'].get('tx', 0)} "
              f"({c['ba'].get('lost', 0)} lost)")


def cmd_down(args):
    """down [--lab LAB] | down --all: remove a lab (processes, namespaces, files)"""
    every = _take(args, "--all", has_value=False)
    lab = _take(args, "--lab")
    _no_more(args, "down")
    targets = state.labs() if every else [state.resolve(lab)]
    if every and lab:
        raise UsageError("down: --all and --lab exclude each other")
    for l in targets:
        namespaces, killed = state.teardown(l)
        extra = f", stopped {len(killed)} process(es)" if killed else ""
        print(f"lab {l}: removed {len(namespaces)} namespace(s){extra}")
    if every and not targets:
        print("no lab to remove")
    return 0


VERBS = [
    ("up", cmd_up), ("run", cmd_run), ("exec", cmd_exec), ("addr", cmd_addr),
    ("capture", cmd_capture), ("status", cmd_status), ("down", cmd_down),
]


def usage():
    lines = ["usage: hiplab VERB [options]", "",
             "Builds network labs of namespaces from a topology file (see tools/hiplab/README.md).", ""]
    for name, fn in VERBS:
        synopsis, _, what = fn.__doc__.partition(": ")
        lines.append(f"  hiplab {synopsis}")
        lines.append(f"      {what}")
    lines += ["", "--lab defaults to $HIPLAB_LAB, else to the only lab that is up. Needs root."]
    return "\n".join(lines)


def main(argv):
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if argv else 2
    verbs = dict(VERBS)
    verb, args = argv[0], list(argv[1:])
    if verb not in verbs:
        print(f"hiplab: unknown verb '{verb}'\n{USAGE}", file=sys.stderr)
        return 2
    before = args[:args.index("--")] if "--" in args else args
    if "-h" in before or "--help" in before:
        print("usage: hiplab " + verbs[verb].__doc__.partition(": ")[0])
        return 0
    if os.geteuid() != 0:
        print("hiplab: needs root (network namespaces)", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    try:
        return verbs[verb](args)
    except UsageError as e:
        print(f"hiplab {verb}: {e}\n{USAGE}", file=sys.stderr)
        return 2
    except (LabError, topology.TopologyError) as e:
        print(f"hiplab {verb}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"hiplab {verb}: interrupted", file=sys.stderr)
        return 130
    except Terminated as e:
        print(f"hiplab {verb}: stopped by {e}", file=sys.stderr)
        return 143
