#!/usr/bin/env python3
"""The overlay checks of overlay_driver.py against p2psipd processes that something else
started (a hiplab lab: one p2psipd per namespace, control sockets reachable as files):
convergence against the sorted ID list, put/get pairs from random nodes, all keys found.
Not a process manager. Usage: overlay_lab.py ring|put|get|check-get [--timeout S]
[--pairs N] [--seed N] SOCK..."""
import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import overlay_driver as od  # noqa: E402


class Nodes:
    """What od.put_get and od.wait_ring need: control sockets, the live ones, statuses."""

    def __init__(self, socks):
        self.socks = socks

    def live(self):
        return list(range(len(self.socks)))

    def statuses(self):
        return {i: od.call(s, {"cmd": "status"}, 5.0) for i, s in enumerate(self.socks)}


def report(nodes):
    """Which nodes have the right predecessor and successor lists (the ring without fingers)."""
    try:
        st = nodes.statuses()
    except (OSError, ConnectionError) as e:
        print(f"no status: {e}", flush=True)
        return
    ids = sorted(od.ident(s["node_id"]) for s in st.values())
    name_of = {od.ident(s["node_id"]): os.path.basename(os.path.dirname(nodes.socks[i]))
               for i, s in st.items()}
    names = lambda xs: " ".join(name_of.get(x, "?" + str(x)[:6]) for x in xs)  # noqa: E731
    n = len(ids)
    ok, bad = [], []
    print(f"sorted ring: {names(ids)}", flush=True)
    for i, s in st.items():
        name = os.path.basename(os.path.dirname(nodes.socks[i]))
        k = ids.index(od.ident(s["node_id"]))
        succ = [od.ident(x) for x in s["successors"]]
        want = [ids[(k + j) % n] for j in range(1, len(succ) + 1)]
        pred = s["predecessor"] and od.ident(s["predecessor"])
        good = s["state"] == "joined" and pred == ids[k - 1] and succ and succ == want
        (ok if good else bad).append(name)
        if not good:
            print(f"  {name} ({s['state']}): predecessor {names([pred]) if pred else '-'}, "
                  f"successors {names(succ)}; want {names([ids[k - 1]])}, {names(want)}",
                  flush=True)
    print(f"ring (predecessor and successors) right at {len(ok)} of {n} nodes; "
          f"wrong at {' '.join(bad) or 'none'}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("what", choices=["ring", "put", "get"])
    ap.add_argument("socks", nargs="+")
    ap.add_argument("--timeout", type=float, default=90)
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--label", default="")
    ap.add_argument("--deadline", type=float, default=120,
                    help="put/get: seconds after which the pairs not started count as failed")
    a = ap.parse_args()
    random.seed(a.seed)
    nodes = Nodes(a.socks)
    if a.what == "ring":
        try:
            od.wait_ring(nodes, a.timeout, a.label or f"{len(a.socks)} nodes")
        except AssertionError as e:
            print(e, flush=True)
            report(nodes)
            return 1
        return 0
    t0 = time.time()
    fails, hops, lat = od.put_get(nodes, a.pairs, a.what, deadline=a.deadline)
    print(f"{a.pairs} {a.what}s from random nodes{a.label}: {len(fails)} failed in "
          f"{time.time() - t0:.1f} s; {od.summary(hops, lat)}", flush=True)
    if fails:
        print(f"e.g. {fails[:5]}", flush=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
