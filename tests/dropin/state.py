#!/usr/bin/env python3
"""The network and libvirt state a script leaves behind, canonical so that two runs of the same script
(classic tools, then vnet) compare equal when they did the same: per namespace its links (kind, master,
up, mtu, kind details), addresses, routes, rules and permanent neighbours; libvirt's domains, networks
and pools. Generated values (ifindex, random MACs, UUIDs, counters) are left out."""
import json, os, subprocess, sys

def run(*argv):
    out = subprocess.run(argv, capture_output=True, text=True)
    return out.stdout if out.returncode == 0 else ""

def ipj(ns, *args):
    pre = ["ip", "-n", ns] if ns else ["ip"]
    text = run(*pre, "-j", *args)
    return json.loads(text) if text.strip() else []

def links(ns):
    out = {}
    for l in ipj(ns, "-d", "link", "show"):
        info = l.get("linkinfo", {})
        data = {k: v for k, v in info.get("info_data", {}).items()
                if k in ("id", "protocol", "mode", "local", "remote", "stp_state", "vlan_filtering",
                         "ageing_time", "forward_delay", "miimon", "port", "dstport", "group", "ttl")}
        out[l["ifname"]] = {
            "kind": info.get("info_kind"), "master": l.get("master"), "up": "UP" in l.get("flags", []),
            "mtu": l.get("mtu"), "data": data, "promisc": l.get("promiscuity", 0) > 0,
            "alias": l.get("ifalias"), "txqlen": l.get("txqlen"),
            "slave": {k: v for k, v in info.get("info_slave_data", {}).items()
                      if k in ("state", "priority", "cost", "hairpin", "learning", "flood", "isolated")},
        }
    return out

def addrs(ns):
    return sorted(f'{a["ifname"]} {i["local"]}/{i["prefixlen"]} {i.get("scope")} {i.get("broadcast", "")} {i.get("label", "")}'
                  for a in ipj(ns, "addr", "show") for i in a.get("addr_info", [])
                  if not i["local"].startswith("fe80:"))

def routes(ns):
    out = []
    for fam in ("-4", "-6"):
        for r in ipj(ns, fam, "route", "show", "table", "all"):
            if r.get("type") in ("local", "broadcast", "multicast", "anycast") or r.get("dst", "").startswith(("fe80", "ff00")):
                continue
            out.append(" ".join(f"{k}={r[k]}" for k in ("dst", "gateway", "dev", "table", "metric", "protocol", "scope", "prefsrc", "type") if k in r))
    return sorted(out)

def rules(ns):
    return sorted(json.dumps(r, sort_keys=True) for r in ipj(ns, "rule", "show"))

def neigh(ns):
    return sorted(f'{n.get("dst")} {n.get("dev")} {n.get("lladdr")} {n.get("state")}' for n in ipj(ns, "neigh", "show", "nud", "permanent"))

def namespace(ns):
    return {"links": links(ns), "addrs": addrs(ns), "routes": routes(ns), "rules": rules(ns), "neigh": neigh(ns)}

def libvirt():
    def names(*argv):
        return sorted(run("virsh", "-q", *argv).split())
    return {"domains": names("list", "--all", "--name"), "running": names("list", "--name"),
            "networks": names("net-list", "--all", "--name"), "active_networks": names("net-list", "--name"),
            "pools": names("pool-list", "--all", "--name")}

state = {"netns": sorted(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else []}
state["ns"] = {ns or "(root)": namespace(ns) for ns in [""] + state["netns"]}
if os.environ.get("VNET_SANDBOX_LIBVIRT", "1") == "1":
    state["libvirt"] = libvirt()
json.dump(state, sys.stdout, indent=1, sort_keys=True)
