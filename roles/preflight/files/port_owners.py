# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who listens on the rehearsal's TCP ports, and is it this compose project?

Usage: python3 port_owners.py PORTS_JSON CONTAINERS_JSON
  PORTS_JSON       [{"name": "api", "port": 8001}, ...]
  CONTAINERS_JSON  {"ids": [...], "names": [...], "pids": [...], "ports": [...]}: per container
                   of this compose project its Id, Name, State.Pid (0 when stopped) and
                   NetworkSettings.Ports (as docker inspect reports them)

Prints one JSON document: {"ports": [{"name", "port", "status": free|owned|foreign,
"listeners": [{"pid", "comm", "container"}], "detail"}]}.

A listener belongs to a project container when it runs in that container's PID namespace
or cgroup (services with network_mode: host listen in the host's network namespace, so
only the process tells whose socket it is), or when it is the docker-proxy of a port the
project publishes. Reads /proc only; changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import sys

TCP_LISTEN = "0A"
CONTAINER_ID = re.compile(r"[0-9a-f]{64}")


def listening_inodes(wanted_ports):
    """Map port -> set of socket inodes listening on it (IPv4 and IPv6)."""
    inodes = {port: set() for port in wanted_ports}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as handle:
                lines = handle.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != TCP_LISTEN:
                continue
            port = int(fields[1].rsplit(":", 1)[1], 16)
            if port in inodes:
                inodes[port].add(fields[9])
    return inodes


def socket_holders(inodes):
    """Map socket inode -> set of pids holding it open."""
    holders = {}
    if not inodes:
        return holders
    for pid in filter(str.isdigit, os.listdir("/proc")):
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inode = target[8:-1]
                if inode in inodes:
                    holders.setdefault(inode, set()).add(int(pid))
    return holders


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def pid_namespace(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return ""


def owning_container(pid, containers):
    """The project container a process runs in, or None."""
    cgroup_ids = set(CONTAINER_ID.findall(read_text(f"/proc/{pid}/cgroup")))
    namespace = pid_namespace(pid)
    host_namespace = pid_namespace(1)
    for container in containers:
        if container["id"] in cgroup_ids:
            return container
        container_pid = int(container.get("pid") or 0)
        if container_pid and namespace and namespace != host_namespace and namespace == pid_namespace(container_pid):
            return container
    return None


def describe_port(entry, inodes, holders, containers):
    port = int(entry["port"])
    pids = sorted({pid for inode in inodes[port] for pid in holders.get(inode, ())})
    listeners = []
    for pid in pids:
        comm = read_text(f"/proc/{pid}/comm")
        container = owning_container(pid, containers)
        if container is None and comm == "docker-proxy":
            container = next((c for c in containers if port in c.get("published", [])), None)
        listeners.append({"pid": pid, "comm": comm, "container": container["name"] if container else None})
    if not inodes[port]:
        status, detail = "free", "nothing listens"
    elif not listeners:
        status, detail = "foreign", "a socket listens but its process is not visible (other PID namespace?)"
    elif all(listener["container"] for listener in listeners):
        status = "owned"
        detail = "held by this project: " + ", ".join(sorted({listener["container"] for listener in listeners}))
    else:
        status = "foreign"
        strangers = [f"{listener['comm']}[{listener['pid']}]" for listener in listeners if not listener["container"]]
        detail = "held by a process outside this project: " + ", ".join(strangers)
    return {"name": entry["name"], "port": port, "status": status, "listeners": listeners, "detail": detail}


def project_containers(columns):
    """Rows of the column-wise container description, with their published host ports."""
    containers = []
    for container_id, name, pid, ports in zip(columns["ids"], columns["names"], columns["pids"], columns["ports"]):
        published = sorted({int(binding["HostPort"]) for bindings in (ports or {}).values()
                            for binding in (bindings or []) if str(binding.get("HostPort", "")).isdigit()})
        containers.append({"id": container_id, "name": name.lstrip("/"), "pid": pid or 0, "published": published})
    return containers


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    ports = json.loads(argv[1])
    containers = project_containers(json.loads(argv[2]))
    inodes = listening_inodes([int(entry["port"]) for entry in ports])
    holders = socket_holders(set().union(*inodes.values()) if inodes else set())
    report = {"ports": [describe_port(entry, inodes, holders, containers) for entry in ports]}
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
