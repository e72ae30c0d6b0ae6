# Reads and checks a hiplab topology file (TOML) into a model: links, nodes,
# interfaces with addresses, delays and routes. Pure: it runs no command.

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
NAT_KINDS = ("good", "bad", "none")
EMULATORS = ("auto", "netem", "linkemu")
SERVICES = ("turn",)
IFACE_KEYS = {"link", "ipv4", "ipv6", "delay", "delay_out", "delay_in",
              "loss", "loss_out", "loss_in", "outside"}


class TopologyError(Exception):
    """A topology file that cannot be used; the message says where and why."""


@dataclass
class Link:
    name: str
    index: int
    net4: ipaddress.IPv4Network | None
    net6: ipaddress.IPv6Network | None


@dataclass
class Iface:
    node: str
    index: int
    link: str
    ipv4: list = field(default_factory=list)  # IPv4Interface
    ipv6: list = field(default_factory=list)  # IPv6Interface
    delay_out_ms: float = 0.0
    delay_in_ms: float = 0.0
    loss_out: float = 0.0  # percent
    loss_in: float = 0.0
    outside: bool = False

    @property
    def name(self):
        return f"eth{self.index}"

    @property
    def emulated(self):
        return any((self.delay_out_ms, self.delay_in_ms, self.loss_out, self.loss_in))


@dataclass
class Route:
    dest: str  # prefix, or "default"
    via: str
    dev: str


@dataclass
class Node:
    name: str
    index: int
    kind: str  # host | router
    nat: str | None  # good | bad | none for routers
    ifaces: list
    run: list
    routes4: list = field(default_factory=list)
    routes6: list = field(default_factory=list)

    def outside_iface(self):
        return next((i for i in self.ifaces if i.outside), None)


@dataclass
class TurnConfig:
    realm: str = "p2psip.test"
    users: list = field(default_factory=lambda: ["alice:secret", "bob:secret"])
    port: int = 3478
    permission_lifetime: int | None = None
    channel_lifetime: int | None = None
    max_allocate_lifetime: int | None = None


@dataclass
class Topology:
    source: str
    description: str
    emulator: str
    links: dict
    nodes: dict
    turn: TurnConfig

    def node(self, name):
        if name not in self.nodes:
            raise TopologyError(f"no node '{name}' (nodes: {', '.join(self.nodes)})")
        return self.nodes[name]


def load(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise TopologyError(f"{path}: {e.strerror}") from None
    return loads(data, str(path))


def loads(data, source="<topology>"):
    """A topology from the bytes of a file."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise TopologyError(f"{source}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except tomllib.TOMLDecodeError as e:
        raise TopologyError(f"{source}: not valid TOML: {e}") from None
    return parse(doc, source)


def parse(doc, source="<topology>"):
    known = {"description", "emulator", "link", "host", "router", "turn"}
    _no_unknown(doc, known, source, "top level")
    links = _parse_links(doc.get("link", {}), source)
    nodes = {}
    for kind in ("router", "host"):
        table = doc.get(kind, {})
        _want(isinstance(table, dict), source, kind, "must be a table of nodes")
        for name, spec in table.items():
            _want(name not in nodes, source, f"{kind}.{name}", "name used twice")
            nodes[name] = _parse_node(source, kind, name, spec, links, len(nodes))
    _want(bool(nodes), source, "top level", "no [host.NAME] or [router.NAME]")
    topo = Topology(source=source, description=str(doc.get("description", "")),
                    emulator=_parse_choice(doc.get("emulator", "auto"), EMULATORS,
                                           source, "emulator"),
                    links=links, nodes=_file_order(nodes), turn=_parse_turn(doc.get("turn", {}), source),
                    )
    _assign_addresses(topo)
    _compute_routes(topo)
    return topo


def _file_order(nodes):
    return dict(sorted(nodes.items(), key=lambda kv: kv[1].index))


def _want(cond, source, where, why):
    if not cond:
        raise TopologyError(f"{source}: {where}: {why}")


def _no_unknown(table, known, source, where):
    extra = sorted(set(table) - set(known))
    _want(not extra, source, where,
          f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(extra)} "
          f"(known: {', '.join(sorted(known))})")


def _check_name(name, source, where):
    _want(NAME_RE.match(name) is not None, source, where,
          f"bad name '{name}': use 1-32 of a-z 0-9 - _, starting with a letter or digit")


def _parse_choice(value, choices, source, where):
    _want(value in choices, source, where, f"'{value}' is not one of {', '.join(choices)}")
    return value


def _parse_links(table, source):
    _want(isinstance(table, dict), source, "link", "must be a table of links")
    links = {}
    for name, spec in table.items():
        where = f"link.{name}"
        _check_name(name, source, where)
        _want(isinstance(spec, dict), source, where, "must be a table")
        _no_unknown(spec, {"ipv4", "ipv6"}, source, where)
        net4 = _parse_net(spec.get("ipv4"), 4, source, where + ".ipv4")
        net6 = _parse_net(spec.get("ipv6"), 6, source, where + ".ipv6")
        _want(net4 or net6, source, where, "needs ipv4 or ipv6 (a prefix such as \"192.0.2.0/24\")")
        links[name] = Link(name, len(links), net4, net6)
    _check_overlaps(links, source)
    return links


def _parse_net(value, family, source, where):
    if value is None:
        return None
    try:
        net = ipaddress.ip_network(str(value), strict=True)
    except ValueError as e:
        raise TopologyError(f"{source}: {where}: {e}") from None
    _want(net.version == family, source, where, f"'{value}' is not an IPv{family} prefix")
    _want(net.num_addresses >= 4, source, where, f"'{value}' is too small for hosts")
    return net


def _check_overlaps(links, source):
    nets = [(l.name, n) for l in links.values() for n in (l.net4, l.net6) if n]
    for i, (a, na) in enumerate(nets):
        for b, nb in nets[i + 1:]:
            _want(not na.overlaps(nb), source, f"link.{b}", f"{nb} overlaps {na} of link.{a}")


def _parse_node(source, kind, name, spec, links, index):
    where = f"{kind}.{name}"
    _check_name(name, source, where)
    _want(name != "wire", source, where, "'wire' is reserved")
    _want(isinstance(spec, dict), source, where, "must be a table")
    known = {"iface", "run"} | ({"nat"} if kind == "router" else set())
    _no_unknown(spec, known, source, where)
    raw = spec.get("iface", [])
    _want(isinstance(raw, list) and raw, source, where + ".iface",
          "needs a list of interfaces, e.g. iface = [{ link = \"lan\" }]")
    ifaces = [_parse_iface(source, f"{where}.iface[{i}]", name, i, s, links)
              for i, s in enumerate(raw)]
    run = spec.get("run", [])
    _want(isinstance(run, list), source, where + ".run", "must be a list")
    for s in run:
        _parse_choice(s, SERVICES, source, where + ".run")
    nat = None
    if kind == "router":
        nat = _parse_choice(spec.get("nat", "none"), NAT_KINDS, source, where + ".nat")
        _check_router(source, where, nat, ifaces, links)
    else:
        _want(not any(i.outside for i in ifaces), source, where, "'outside' is for NAT routers")
    return Node(name, index, kind, nat, ifaces, run)


def _check_router(source, where, nat, ifaces, links):
    outside = [i for i in ifaces if i.outside]
    _want(len(ifaces) >= 2, source, where, "a router needs at least two interfaces")
    if nat == "none":
        _want(not outside, source, where, "'outside' is only for NAT routers (nat = good|bad)")
        return
    _want(len(outside) == 1, source, where,
          f"a NAT router needs exactly one interface with outside = true (has {len(outside)})")
    _want(links[outside[0].link].net4 is not None, source, where,
          f"the outside link '{outside[0].link}' needs an ipv4 prefix (NAT is IPv4)")


def _parse_iface(source, where, node, index, spec, links):
    _want(isinstance(spec, dict), source, where, "must be a table like { link = \"lan\" }")
    _no_unknown(spec, IFACE_KEYS, source, where)
    link = spec.get("link")
    _want(isinstance(link, str), source, where, "needs link = \"NAME\"")
    _want(link in links, source, where, f"unknown link '{link}' (links: {', '.join(links) or 'none'})")
    iface = Iface(node=node, index=index, link=link)
    iface.ipv4 = _parse_addrs(spec.get("ipv4"), links[link].net4, 4, source, where)
    iface.ipv6 = _parse_addrs(spec.get("ipv6"), links[link].net6, 6, source, where)
    delay = _parse_delay(spec.get("delay", "0ms"), source, where + ".delay")
    iface.delay_out_ms = _parse_delay(spec.get("delay_out"), source, where + ".delay_out", delay)
    iface.delay_in_ms = _parse_delay(spec.get("delay_in"), source, where + ".delay_in", delay)
    loss = _parse_loss(spec.get("loss", "0%"), source, where + ".loss")
    iface.loss_out = _parse_loss(spec.get("loss_out"), source, where + ".loss_out", loss)
    iface.loss_in = _parse_loss(spec.get("loss_in"), source, where + ".loss_in", loss)
    outside = spec.get("outside", False)
    _want(isinstance(outside, bool), source, where + ".outside", "must be true or false")
    iface.outside = outside
    return iface


def _parse_addrs(value, net, family, source, where):
    """Explicit addresses as interfaces (address/prefixlen of the link); None = assign later."""
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    key = f"{where}.ipv{family}"
    _want(net is not None, source, key, f"the link has no ipv{family} prefix")
    out = []
    for v in values:
        try:
            addr = ipaddress.ip_address(str(v))
        except ValueError as e:
            raise TopologyError(f"{source}: {key}: {e}") from None
        _want(addr in net, source, key, f"{addr} is not in the link's prefix {net}")
        _want(addr not in (net.network_address, net.broadcast_address) or family == 6,
              source, key, f"{addr} is the network or broadcast address of {net}")
        out.append(ipaddress.ip_interface(f"{addr}/{net.prefixlen}"))
    return out


DELAY_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|us|s)\s*$")


def _parse_delay(value, source, where, default=None):
    if value is None:
        return default
    m = DELAY_RE.match(str(value))
    _want(m is not None, source, where, f"'{value}' is not a delay like \"20ms\", \"500us\", \"1s\"")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    ms = float(m.group(1)) * scale
    _want(ms <= 10000, source, where, f"{value} is more than 10 s")
    return ms


LOSS_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$")


def _parse_loss(value, source, where, default=None):
    if value is None:
        return default
    m = LOSS_RE.match(str(value))
    _want(m is not None, source, where, f"'{value}' is not a loss like \"1%\"")
    pct = float(m.group(1))
    _want(pct <= 100, source, where, f"{value} is more than 100%")
    return pct


def _parse_turn(table, source):
    _want(isinstance(table, dict), source, "turn", "must be a table")
    known = {"realm", "users", "port", "permission_lifetime", "channel_lifetime",
             "max_allocate_lifetime"}
    _no_unknown(table, known, source, "turn")
    turn = TurnConfig()
    if "realm" in table:
        _want(isinstance(table["realm"], str) and table["realm"], source, "turn.realm",
              "must be a non-empty string")
        turn.realm = table["realm"]
    if "users" in table:
        users = table["users"]
        _want(isinstance(users, list) and users, source, "turn.users", "must be a list of \"user:password\"")
        for u in users:
            _want(isinstance(u, str) and re.match(r"^[^:\s]+:[^\s]+$", u) is not None,
                  source, "turn.users", f"'{u}' is not \"user:password\"")
        turn.users = users
    for key in ("port", "permission_lifetime", "channel_lifetime", "max_allocate_lifetime"):
        if key in table:
            v = table[key]
            _want(isinstance(v, int) and 0 < v < 65536, source, f"turn.{key}", f"{v!r} is not 1..65535")
            setattr(turn, key, v)
    return turn


def _assign_addresses(topo):
    """Explicit addresses first, then the next free host address of each link, in file order."""
    for link in topo.links.values():
        attached = [i for n in topo.nodes.values() for i in n.ifaces if i.link == link.name]
        for family, net in ((4, link.net4), (6, link.net6)):
            if net is None:
                for i in attached:
                    setattr(i, f"ipv{family}", [])
                continue
            _assign_family(topo.source, link, family, net, attached)


def _assign_family(source, link, family, net, attached):
    attr = f"ipv{family}"
    used = {}
    for i in attached:
        for a in getattr(i, attr) or []:
            _want(a.ip not in used, source, f"{i.node}.{i.name}", f"{a.ip} is also given to {used.get(a.ip)}")
            used[a.ip] = f"{i.node}.{i.name}"
    hosts = net.hosts()
    for i in attached:
        if getattr(i, attr) is not None:
            continue
        ip = next((h for h in hosts if h not in used), None)
        _want(ip is not None, source, f"link.{link.name}", f"{net} has no free address for {i.node}")
        used[ip] = f"{i.node}.{i.name}"
        setattr(i, attr, [ipaddress.ip_interface(f"{ip}/{net.prefixlen}")])


def _compute_routes(topo):
    for node in topo.nodes.values():
        node.routes4 = _routes_for(topo, node, 4)
        node.routes6 = _routes_for(topo, node, 6)


def _crossable(router, in_link):
    """A NAT router is crossed from inside to outside (and between insides), never inward."""
    if router.nat in (None, "none"):
        return True
    return in_link != router.outside_iface().link


def _routes_for(topo, node, family):
    """Breadth-first from node's own links; each reachable link gets a route via the first hop."""
    attr = f"net{family}"
    own = {i.link for i in node.ifaces}
    first_hop = {}  # link -> (via, dev)
    frontier = []
    for iface in node.ifaces:
        for router, rif in _routers_on(topo, iface.link, node.name):
            via = _addr_of(rif, family)
            if via is not None:
                frontier.append((iface.link, router, (str(via), iface.name)))
    seen_links = set(own)
    while frontier:
        nxt = []
        for in_link, router, hop in frontier:
            for out in router.ifaces:
                if out.link in seen_links or not _crossable(router, in_link):
                    continue
                seen_links.add(out.link)
                first_hop[out.link] = hop
                for r2, rif2 in _routers_on(topo, out.link, router.name):
                    if _addr_of(rif2, family) is not None:
                        nxt.append((out.link, r2, hop))
        frontier = nxt
    routes = [Route(str(getattr(topo.links[l], attr)), via, dev)
              for l, (via, dev) in first_hop.items() if getattr(topo.links[l], attr)]
    hops = {(r.via, r.dev) for r in routes}
    if node.kind == "host" and len(hops) == 1:
        via, dev = hops.pop()
        routes.append(Route("default", via, dev))
    return routes


def _routers_on(topo, link, exclude):
    for n in topo.nodes.values():
        if n.kind != "router" or n.name == exclude:
            continue
        for i in n.ifaces:
            if i.link == link:
                yield n, i


def _addr_of(iface, family):
    addrs = getattr(iface, f"ipv{family}")
    return addrs[0].ip if addrs else None
