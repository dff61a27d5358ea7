#!/usr/bin/env python3
"""Derive a ground-truth file for one lab capture from its packets.

usage: truth.py --capture CAP --out JSON --scenario NAME --side client|server|router|switch
                [--ports 21[,2121]] [--helper-router active,passive] [--intent-findings a,b]
                [--intent-healthy] [--notes TEXT]
       truth.py --rederive TRUTH [--capture CAP] [--out JSON]

Everything in the output comes from the packets, read with tshark (-T fields):
TCP segments with their raw sequence numbers and payload; an own reassembly of
each control stream (retransmissions and duplicates dropped, out-of-order
segments put back in order, bytes missing from the capture counted as gaps);
commands and replies paired in order (1xx replies are preliminary, a final reply
answers the oldest unanswered command); PORT/EPRT/LPRT and 227/229/228 parsed;
and each announcement matched to the first later TCP SYN towards the announced
endpoint (fallback: the same port on the control peer's address, for NAT). The
announcements are cross-checked with tshark's own FTP fields (ftp.active.*,
ftp.passive.*, ftp.eprt.*, ftp.epsv.*). Per session it also derives how the
control handshake ended (SYN-ACK, RST, or an ICMP error and its sender), the
login replies (logged_in, failed_logins), refused transfers, whether FTP was
found by port or by content (220 then an FTP command, not EHLO/HELO, on another
port), and the verdict; across sessions, failed logins per client address and
server for login-brute-force. For the firewall questions: how each
announcement crossed the network (its segments, whether one segment held it
whole, whether it was acknowledged), what a real FTP helper on the path did
with it (--helper-router), server-to-server (FXP) pairs, the control
connection's idle stretch during a transfer and what became of the next
control segment, data connections after AUTH TLS, and the passive ports each
server announced.

expected_findings are derived from those facts with the rules of CONTRACT.md.
The scenario's intent (--intent-findings, --intent-healthy) is only compared
with them: a disagreement is written into notes and printed, never papered over.
"healthy" is true only when the packets show no error-level finding and the
scenario meant nothing to go wrong.
"""
import argparse
import ipaddress
import json
import os
import re
import subprocess
import sys

TSHARK_FIELDS = [
    "frame.number", "frame.time_epoch", "frame.len", "frame.cap_len",
    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "tcp.srcport", "tcp.dstport", "tcp.stream",
    "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.reset", "tcp.flags.fin",
    "tcp.seq_raw", "tcp.ack_raw", "tcp.len", "tcp.payload", "vlan.id", "sll.ifindex",
    "icmp.type", "icmpv6.type",
]
# tshark's own parse of the announcements, read in the same pass.
ANN_FIELDS = [
    ("ftp.active.cip", "ftp.active.port"), ("ftp.passive.ip", "ftp.passive.port"),
    ("ftp.eprt.ip", "ftp.eprt.port"), ("ftp.eprt.ipv6", "ftp.eprt.port"),
    ("ftp.epsv.ip", "ftp.epsv.port"), ("ftp.epsv.ipv6", "ftp.epsv.port"),
]
TSHARK_FIELDS += sorted({f for pair in ANN_FIELDS for f in pair})
TRANSFER_CMDS = {"RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD"}
SETUP_ACTIVE = {"PORT", "EPRT", "LPRT"}
SETUP_PASSIVE = {"PASV", "EPSV", "LPSV"}
PRIVATE_NETS = [ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
    "fc00::/7", "fe80::/10", "::1/128")]
SEVERITY = {
    "active-blocked": "error", "passive-blocked": "error", "data-connection-missing": "warning",
    "passive-private-address": "warning", "active-private-address": "warning",
    "address-rewritten": "info", "ftp-bounce": "error", "control-encrypted": "warning",
    "data-connection-unannounced": "info", "transfer-failed": "error", "control-gap": "warning",
    "control-blocked": "error", "login-failed": "warning", "login-brute-force": "warning",
    "transfer-rejected": "warning", "data-path-unseen": "info", "nonstandard-control-port": "info",
    "helper-would-miss": "warning", "control-idle-timeout": "error", "fxp-transfer": "info",
    "passive-port-range": "info",
}
RANK = {"info": 1, "warning": 2, "error": 3}
LOGIN_CMDS = {"USER", "PASS", "ACCT"}
# Reply codes that end a transfer command as a network failure (transfer-failed);
# any other 4xx/5xx is the server refusing it (transfer-rejected).
TRANSFER_FAILED_CODES = {425, 426, 451}
# CONTRACT.md's login-brute-force default: this many failed logins from one
# client address to one server within BRUTE_WINDOW seconds.
BRUTE_MIN, BRUTE_WINDOW = 10, 300
# A control SYN is unanswered when it was retransmitted or the capture goes on
# this long after it; a single SYN closer to the end of the capture may still
# have been answered after it (control_state pending, no control-blocked).
PENDING_SECONDS = 3.0
# The port the firewall's FTP helper watches in the lab's helper scenarios
# (iptables -t raw ... --dport 21 -j CT --helper ftp), as nf_conntrack_ftp's
# default ports=21.
HELPER_PORT = 21
# A control connection with no packet either way for this long while one of
# its data connections carried data counts as idle (control_idle): shorter
# than the lab's conntrack timeout (10 s) and any real firewall's idle timer.
IDLE_MIN = 5.0
# Commands that, sent first after a 220 greeting, make a connection on another
# port FTP (content detection). None of them is an SMTP command: a client that
# answers a 220 with EHLO or HELO is speaking SMTP.
FTP_FIRST_COMMANDS = {"USER", "PASS", "ACCT", "AUTH", "FEAT", "OPTS", "SYST", "CLNT", "HOST", "LANG",
                      "PWD", "CWD", "TYPE", "PASV", "EPSV", "PORT", "EPRT", "SITE"}


def tshark_version():
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "tshark"


def join(ip, port):
    ip = str(ip)
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def is_private(ip):
    a = ipaddress.ip_address(ip)
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped:
        a = a.ipv4_mapped
    return any(a in n for n in PRIVATE_NETS if n.version == a.version)


def read_packets(cap, ports):
    decode = []
    for p in ports:
        if p != 21:
            decode += ["-d", f"tcp.port=={p},ftp"]
    cmd = ["tshark", "-r", cap, "-n", "-Y", "tcp", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=l"] + decode
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    pkts, ann = [], {}
    for line in out.splitlines():
        v = dict(zip(TSHARK_FIELDS, line.split("\t")))
        for ipf, pf in ANN_FIELDS:
            if v[pf]:
                ann.setdefault(int(v["frame.number"]), set()).add((v[ipf] or None, int(v[pf].split(",")[0])))
        src = v["ip.src"] or v["ipv6.src"]
        dst = v["ip.dst"] or v["ipv6.dst"]
        payload = bytes.fromhex(v["tcp.payload"].replace(":", "")) if v["tcp.payload"] else b""
        pkts.append({
            "frame": int(v["frame.number"]), "time": float(v["frame.time_epoch"]),
            "src": src, "dst": dst, "sport": int(v["tcp.srcport"]), "dport": int(v["tcp.dstport"]),
            "stream": int(v["tcp.stream"] or -1),
            "syn": v["tcp.flags.syn"] in ("1", "True"), "ack": v["tcp.flags.ack"] in ("1", "True"),
            "rst": v["tcp.flags.reset"] in ("1", "True"), "fin": v["tcp.flags.fin"] in ("1", "True"),
            "seq": int(v["tcp.seq_raw"] or 0), "ackno": int(v["tcp.ack_raw"] or 0),
            "len": int(v["tcp.len"] or 0), "payload": payload,
            "vlan": v["vlan.id"] or None, "ifindex": v["sll.ifindex"] or None,
            # An ICMP error quoting a TCP header: the addresses, ports and
            # flags above are those of the quoted segment (occurrence=l).
            "icmp": bool(v["icmp.type"] or v["icmpv6.type"]),
        })
    return pkts, ann


def read_icmp(cap):
    """The ICMP errors' own headers. read_packets keeps the addresses of the
    segment an ICMP error quotes (occurrence=l); this pass reads the first
    occurrence, the ICMP packet's sender: a router or firewall on the path
    is not the host the SYN was meant for."""
    fields = ["frame.number", "ip.src", "ipv6.src", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code"]
    cmd = ["tshark", "-r", cap, "-n", "-Y", "icmp || icmpv6", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    icmp = {}
    for line in out.splitlines():
        v = dict(zip(fields, line.split("\t")))
        icmp[int(v["frame.number"])] = {
            "from": v["ip.src"] or v["ipv6.src"],
            "type": int(v["icmp.type"] or v["icmpv6.type"]),
            "code": int(v["icmp.code"] or v["icmpv6.code"]),
        }
    return icmp


class Direction:
    """One direction of a TCP connection, reassembled from raw sequence numbers."""

    def __init__(self):
        self.base = None       # sequence number of the first payload byte
        self.next = None       # relative offset of the next byte wanted
        self.pending = {}      # relative offset -> (payload, frame, time, full)
        self.data = []         # (bytes, frame, time) in stream order
        self.gap_bytes = 0
        self.gaps = []         # (frame, missing bytes)
        self.dup_segments = 0

    def syn(self, seq):
        if self.base is None:
            self.base = (seq + 1) % 2**32
            self.next = 0

    def segment(self, p):
        if p["len"] == 0:
            return
        if self.base is None:
            self.base = p["seq"]
            self.next = 0
        rel = (p["seq"] - self.base) % 2**32
        if rel >= 2**31:  # before the base: an old retransmission
            self.dup_segments += 1
            return
        full = len(p["payload"]) == p["len"]
        prev = self.pending.get(rel)
        if prev is None or (full and not prev[3]) or len(p["payload"]) > len(prev[0]):
            self.pending[rel] = (p["payload"], p["frame"], p["time"], full, p["len"])
        else:
            self.dup_segments += 1
        self.drain(p["frame"], p["time"])

    def drain(self, trig_frame=0, trig_time=0.0):
        """Moves contiguous pending segments into data. Bytes become readable at
        the later of their own frame and the frame that filled the hole before them."""
        while True:
            best = None
            for rel, seg in self.pending.items():
                if rel <= self.next < rel + seg[4]:
                    if best is None or rel + seg[4] > best[0] + best[1][4]:
                        best = (rel, seg)
            if best is None:
                for rel in [r for r, s in self.pending.items() if r + s[4] <= self.next]:
                    self.dup_segments += 1
                    del self.pending[rel]
                return
            rel, (payload, frame, t, full, length) = best
            del self.pending[rel]
            off = self.next - rel
            have = payload[off:]
            if trig_frame > frame:
                frame, t = trig_frame, trig_time
            if have:
                self.data.append((have, frame, t, self.next))
            missing = (length - off) - len(have)
            if missing > 0:  # snaplen cut this segment
                self.gap_bytes += missing
                self.gaps.append((frame, missing))
                self.data.append((None, frame, t, self.next + len(have)))
            self.next = rel + length

    def finish(self):
        """Segments still pending mean bytes that never arrived in the capture."""
        while self.pending:
            rel = min(self.pending)
            payload, frame, t, full, length = self.pending[rel]
            if rel > self.next:
                self.gap_bytes += rel - self.next
                self.gaps.append((frame, rel - self.next))
                self.data.append((None, frame, t, self.next))
                self.next = rel
            self.drain()

    def lines(self):
        """CRLF lines as (text, frame that completed it, time, truncated, span).

        span is {"start", "end", "frames"}: the line's first byte and the byte
        after its LF as offsets in the stream, and the frames whose bytes it was
        read from, in order (two or more: the line came in several segments).

        Where bytes are missing (snaplen, capture loss) the captured start of the
        line is kept as a truncated line and the next captured byte is taken to
        start a new line: FTP peers write each command and reply in one send(),
        so a hole normally runs to the end of a segment."""
        out, buf, start, frames = [], b"", None, []
        for chunk, frame, t, off in self.data:
            if chunk is None:
                if buf:
                    out.append((buf.rstrip(b"\r").decode("latin-1"), frame, t, True,
                                {"start": start, "end": off, "frames": frames}))
                buf, start, frames = b"", None, []
                continue
            pos = 0
            while pos < len(chunk):
                nl = chunk.find(b"\n", pos)
                end = len(chunk) if nl < 0 else nl + 1
                if start is None:
                    start = off + pos
                if frame not in frames:
                    frames.append(frame)
                buf += chunk[pos:end]
                pos = end
                if nl >= 0:
                    out.append((buf[:-1].rstrip(b"\r").decode("latin-1"), frame, t, False,
                                {"start": start, "end": off + end, "frames": frames}))
                    buf, start, frames = b"", None, []
        return out


def parse_port(arg):
    m = re.search(r"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", arg)
    if not m:
        return None
    n = [int(x) for x in m.groups()]
    return ".".join(map(str, n[:4])), n[4] * 256 + n[5]


def parse_eprt(arg):
    if len(arg) < 2:
        return None
    d = arg[0]
    parts = arg.split(d)
    if len(parts) < 5:
        return None
    try:
        return str(ipaddress.ip_address(parts[2])), int(parts[3])
    except ValueError:
        return None


def parse_lprt(arg):
    n = [int(x) for x in re.findall(r"\d+", arg)]
    if len(n) < 4:
        return None
    af, hl = n[0], n[1]
    if af == 4 and hl == 4 and len(n) >= 9:
        ip = ".".join(map(str, n[2:6]))
        pl = n[6]
        port = n[7] * 256 + n[8] if pl == 2 else None
        return (ip, port) if port is not None else None
    if af == 6 and hl == 16 and len(n) >= 21:
        ip = str(ipaddress.IPv6Address(bytes(n[2:18])))
        return ip, n[19] * 256 + n[20]
    return None


def reassemble(c, client):
    """Both directions of connection c, from the client and to it, and
    whether a SYN of it is in the capture."""
    up, down = Direction(), Direction()
    handshake = False
    for p in c["pkts"]:
        d = up if (p["src"], p["sport"]) == client else down
        if p["syn"]:
            d.syn(p["seq"])
            handshake = True
        d.segment(p)
    up.finish()
    down.finish()
    return up, down, handshake


def ftp_by_content(key, c):
    """(client, server) when connection c, on no control port, carries FTP
    by its content (CONTRACT.md nonstandard-control-port): the responder's
    first line is a 220 greeting and the initiator's first line an FTP
    command. A client answering the 220 with EHLO or HELO speaks SMTP."""
    if c["first_syn"] is not None:
        client = c["first_syn"][:2]
        server = key[1] if key[0] == client else key[0]
    else:
        greeters = {(p["src"], p["sport"]) for p in c["pkts"] if p["payload"].startswith(b"220")}
        if len(greeters) != 1:
            return None
        server = greeters.pop()
        client = key[1] if key[0] == server else key[0]
    if not any(p["payload"].startswith(b"220") and (p["src"], p["sport"]) == server for p in c["pkts"]):
        return None  # cheap test first: most connections are data
    up, down, _ = reassemble(c, client)
    cl, sv = up.lines(), down.lines()
    if not cl or not sv or not re.match(r"^220[ -]", sv[0][0]):
        return None
    if cl[0][0].partition(" ")[0].upper() not in FTP_FIRST_COMMANDS:
        return None
    return client, server


def syn_attempts(pkts, src):
    """How many SYNs src sent among pkts. An -i any capture holds every
    forwarded packet twice, once per interface: count per interface and
    take the most."""
    per_if = {}
    for p in pkts:
        if p["syn"] and not p["ack"] and (p["src"], p["sport"]) == src:
            per_if[p["ifindex"]] = per_if.get(p["ifindex"], 0) + 1
    return max(per_if.values(), default=0)


def final_reply(cmd):
    return next((r for r in cmd["replies"] if r["code"] >= 200), None)


def transfer_outcome(cmd):
    """How a transfer command ended, by its final reply: succeeded (226,
    250), failed (425, 426, 451: the network or the data connection),
    rejected (any other 4xx/5xx: the server refused), other, or unanswered."""
    final = final_reply(cmd)
    if final is None:
        return "unanswered"
    if final["code"] in TRANSFER_FAILED_CODES:
        return "failed"
    if final["code"] >= 400:
        return "rejected"
    if final["code"] in (226, 250):
        return "succeeded"
    return "other"


def brute_force(failures):
    """Client address and server pairs with BRUTE_MIN or more failed logins
    within BRUTE_WINDOW seconds (CONTRACT.md login-brute-force)."""
    by_pair = {}
    for client, server, t, frame in failures:
        by_pair.setdefault((client, server), []).append((t, frame))
    out = []
    for (client, server), fl in sorted(by_pair.items()):
        fl.sort()
        most, j = 0, 0
        for i in range(len(fl)):
            while fl[i][0] - fl[j][0] > BRUTE_WINDOW:
                j += 1
            most = max(most, i - j + 1)
        if most >= BRUTE_MIN:
            out.append({"client": client, "server": server, "failed_logins": len(fl),
                        "most_in_window": most, "window_seconds": BRUTE_WINDOW,
                        "first_frame": fl[0][1], "last_frame": fl[-1][1]})
    return out


def acked(pkts, sender, end_seq):
    """Whether the peer of sender acknowledged every byte before the raw
    sequence number end_seq."""
    return any(p["ack"] and (p["src"], p["sport"]) != sender and (p["ackno"] - end_seq) % 2**32 < 2**31
               for p in pkts)


def in_one_segment(pkts, sender, base, span):
    """Whether one captured segment from sender (first transmission or a
    retransmission) starts with the line of span and holds it whole: what
    nf_conntrack_ftp needs, since it parses each segment on its own, from
    its first byte, and only a segment that starts right after a newline."""
    for p in pkts:
        if p["len"] == 0 or (p["src"], p["sport"]) != sender or base is None:
            continue
        rel = (p["seq"] - base) % 2**32
        if rel == span["start"] and rel + p["len"] >= span["end"]:
            return True
    return False


def norm_ep(ip, port):
    return ipaddress.ip_address(ip), port


def passive_reply(text, server_ip):
    """The endpoint a 227, 228 or 229 reply line announces, or None."""
    if text.startswith("227"):
        return parse_port(text[4:])
    if text.startswith("228"):
        return parse_lprt(text[4:])
    if text.startswith("229"):
        m = re.search(r"\((.)\1\1(\d+)\1\)", text)
        return (server_ip, int(m.group(2))) if m else None
    return None


def active_command(text):
    """The endpoint a PORT, EPRT or LPRT command line announces, or None."""
    word, _, arg = text.partition(" ")
    word = word.upper()
    if word == "PORT":
        return parse_port(arg)
    if word == "EPRT":
        return parse_eprt(arg)
    if word == "LPRT":
        return parse_lprt(arg)
    return None


def fxp_pairs(controls):
    """Server-to-server (FXP) transfers: an endpoint announced by a passive
    reply in one control session and named by a PORT, EPRT or LPRT of the
    same client address in a session with another server. Returns endpoint
    -> (passive server, active server)."""
    passive, active = [], []
    for _, client, server, c, _ in controls:
        up, down, _ = reassemble(c, client)
        for text, *_ in down.lines():
            ann = passive_reply(text, server[0])
            if ann:
                passive.append((client[0], server, norm_ep(*ann)))
        for text, *_ in up.lines():
            ann = active_command(text)
            if ann:
                active.append((client[0], server, norm_ep(*ann)))
    pairs = {}
    for cl, srv, ep in active:
        for cl2, srv2, ep2 in passive:
            if ipaddress.ip_address(cl) == ipaddress.ip_address(cl2) and srv != srv2 and ep == ep2:
                pairs[ep] = (srv2, srv)
    return pairs


def control_idle(cpkts, client, data_pkts):
    """The longest stretch of at least IDLE_MIN seconds without a control
    packet either way while a data connection of the session carried
    packets, and what became of the first control segment after it: reset
    (an RST on the control connection after the stretch), unacknowledged
    (the peer never acknowledged it: the capture shows it retransmitted or
    alone), or answered. None when there is no such stretch."""
    cp = sorted(cpkts, key=lambda p: (p["time"], p["frame"]))
    best = None
    for a, b in zip(cp, cp[1:]):
        gap = b["time"] - a["time"]
        if gap < IDLE_MIN or (best is not None and gap <= best[2]):
            continue
        if any(a["time"] < q["time"] < b["time"] for q in data_pkts):
            best = (a, b, gap)
    if best is None:
        return None
    a, b, gap = best
    after = [p for p in cp if (p["time"], p["frame"]) >= (b["time"], b["frame"])]
    nxt = next((p for p in after if p["len"] > 0 or p["fin"]), None)
    out = {"seconds": round(gap, 3), "from_frame": a["frame"], "to_frame": b["frame"],
           "next_segment_frame": None, "next_segment_from": None, "next_segment_retransmissions": 0,
           "outcome": "answered"}
    if nxt is not None:
        sender = (nxt["src"], nxt["sport"])
        end = (nxt["seq"] + nxt["len"] + (1 if nxt["fin"] else 0)) % 2**32
        out["next_segment_frame"] = nxt["frame"]
        out["next_segment_from"] = "client" if sender == client else "server"
        out["next_segment_retransmissions"] = sum(
            1 for p in after if p is not nxt and (p["src"], p["sport"]) == sender and p["seq"] == nxt["seq"] and
            (p["len"] > 0 or p["fin"]))
        if not acked(after, sender, end):
            out["outcome"] = "unacknowledged"
    if any(p["rst"] for p in after):
        out["outcome"] = "reset"
    return out


def analyse(args):
    ports = [int(p) for p in args.ports.split(",")]
    pkts, tann = read_packets(args.capture, ports)
    icmp_errors = [p for p in pkts if p["icmp"]]
    pkts = [p for p in pkts if not p["icmp"]]
    icmp_hdr = read_icmp(args.capture) if icmp_errors else {}
    capture_end = max((p["time"] for p in pkts + icmp_errors), default=0.0)

    # Connections by 4-tuple and incarnation: a SYN that is not a
    # retransmission of the first SYN of the tuple's current connection
    # starts a new one (a stack reuses a tuple in TIME_WAIT for a SYN with
    # a higher sequence number, RFC 6191). The control ones are those
    # touching a control port.
    conns = {}  # (key, n) -> connection
    current = {}  # key -> (key, n) of its newest connection
    for p in pkts:
        a, b = (p["src"], p["sport"]), (p["dst"], p["dport"])
        key = tuple(sorted([a, b]))
        cid = current.get(key)
        if p["syn"] and not p["ack"]:
            first_syn = (p["src"], p["sport"], p["seq"])
            if cid is None or conns[cid]["first_syn"] != first_syn:
                cid = None
        if cid is None:
            cid = (key, current[key][1] + 1 if key in current else 0)
            current[key] = cid
            first_syn = (p["src"], p["sport"], p["seq"]) if p["syn"] and not p["ack"] else None
            conns[cid] = {"pkts": [], "first": p["frame"], "first_syn": first_syn}
        p["conn"] = cid
        conns[cid]["pkts"].append(p)

    # Control connections: those touching a control port (detected by
    # port), and those on other ports whose content is FTP.
    controls = []
    for (key, _), c in conns.items():
        (h1, p1), (h2, p2) = key
        how = "port"
        if p2 in ports and p1 not in ports:
            client, server = (h1, p1), (h2, p2)
        elif p1 in ports and p2 not in ports:
            client, server = (h2, p2), (h1, p1)
        elif p1 in ports and p2 in ports:
            client, server = ((h1, p1), (h2, p2)) if p1 > p2 else ((h2, p2), (h1, p1))
        else:
            ends = ftp_by_content(key, c)
            if ends is None:
                continue
            (client, server), how = ends, "content"
        controls.append((c["first"], client, server, c, how))
    controls.sort(key=lambda x: x[0])
    # tshark decodes FTP on port 21 and on --ports only: read its parse of
    # the announcements again with the content-detected ports decoded too.
    extra = sorted({server[1] for _, _, server, _, how in controls if how == "content"} - set(ports))
    if extra:
        _, tann = read_packets(args.capture, ports + extra)

    syns = [p for p in pkts if p["syn"] and not p["ack"]]
    used_conns = {}  # connection -> the announced endpoint it was matched to
    helper_modes = {m for m in args.helper_router.split(",") if m}
    fxp = fxp_pairs(controls)
    passive_anns = []  # (server address, control port, announced endpoint)
    sessions, all_findings, notes = [], [], []
    failures = []  # (client address, server, time, frame) of every failed login
    control_conns = {c["pkts"][0]["conn"] for _, _, _, c, _ in controls}

    for _, client, server, c, how in controls:
        up, down, handshake = reassemble(c, client)
        cl_lines = [("C",) + ln for ln in up.lines()]
        sv_lines = [("S",) + ln for ln in down.lines()]
        events = sorted(cl_lines + sv_lines, key=lambda e: e[2])

        # How the control connection's handshake ended.
        c_syns = [p for p in c["pkts"] if p["syn"] and not p["ack"] and (p["src"], p["sport"]) == client]
        from_server = [p for p in c["pkts"] if (p["src"], p["sport"]) == server]
        synack = any(p["syn"] and p["ack"] for p in from_server)
        rst_server = any(p["rst"] for p in from_server)
        ctl_icmp = None
        if c_syns:
            ctl_icmp = next((q for q in icmp_errors if q["frame"] > c_syns[0]["frame"] and
                         ((q["src"], q["sport"]), (q["dst"], q["dport"])) == (client, server)), None)
        if synack or any(p["len"] for p in from_server):
            state = "established"
        elif not c_syns:
            state = None  # the handshake is not in the capture
        elif rst_server:
            state = "refused"
        elif ctl_icmp is not None:
            state = "unreachable"
        elif len(c_syns) >= 2 or capture_end - c_syns[0]["time"] >= PENDING_SECONDS:
            state = "unanswered"
        else:
            state = "pending"  # one SYN, and the capture ends before an answer was due
        icmp_detail = None
        if ctl_icmp is not None:
            h = icmp_hdr.get(ctl_icmp["frame"], {})
            icmp_detail = {"frame": ctl_icmp["frame"], "from": h.get("from"), "type": h.get("type"),
                           "code": h.get("code"),
                           "from_server": h.get("from") is not None and
                           ipaddress.ip_address(h["from"]) == ipaddress.ip_address(server[0])}

        sess = {
            "client": join(*client), "server": join(*server), "user": None, "auth_tls": False,
            "auth_command_arg": None, "control_handshake_in_capture": handshake,
            "detected_by": how, "verdict": None, "logged_in": None, "failed_logins": 0,
            "control_state": state, "control_syn_attempts": syn_attempts(c["pkts"], client), "control_synack_seen": synack,
            "control_rst_from_server": rst_server, "control_icmp": icmp_detail,
            "commands": 0, "replies": 0, "multiline_replies": 0, "truncated_lines": 0,
            "control_gap_bytes": up.gap_bytes + down.gap_bytes,
            "control_retransmitted_segments": up.dup_segments + down.dup_segments,
            "data_channels": [],
        }
        findings = set()
        bounce_accepted = False
        if sess["control_gap_bytes"]:
            findings.add("control-gap")
        if how == "content":
            findings.add("nonstandard-control-port")
        if state in ("unanswered", "refused", "unreachable"):
            findings.add("control-blocked")
        pending, cmds = [], []
        multi = None
        tls_from = None
        for who, text, frame, t, cut, span in events:
            if tls_from is not None:
                break
            if cut:
                sess["truncated_lines"] += 1
            if who == "C":
                word, _, arg = text.partition(" ")
                cmd = {"cmd": word.upper(), "arg": arg, "frame": frame, "time": t, "replies": [], "cut": cut,
                       "span": span}
                cmds.append(cmd)
                pending.append(cmd)
                sess["commands"] += 1
                if cmd["cmd"] == "USER" and sess["user"] is None:
                    sess["user"] = arg
                continue
            m = re.match(r"^(\d{3})([ -])(.*)$", text)
            if multi is not None:
                if m and m.group(1) == multi and m.group(2) == " ":
                    multi = None
                else:
                    continue
                code = int(m.group(1))
                reply_text = text
            elif m and m.group(2) == "-":
                multi = m.group(1)
                sess["multiline_replies"] += 1
                continue
            elif m:
                code = int(m.group(1))
                reply_text = text
            else:
                continue
            sess["replies"] += 1
            reply = {"code": code, "text": reply_text + (" [cut by the capture]" if cut else ""),
                     "frame": frame, "time": t, "cut": cut, "span": span}
            if not pending:
                continue  # greeting or unsolicited
            if code < 200:
                pending[0]["replies"].append(reply)
                continue
            cmd = pending.pop(0)
            cmd["replies"].append(reply)
            if cmd["cmd"] == "AUTH" and code == 234:
                sess["auth_tls"] = True
                sess["auth_command_arg"] = cmd["arg"]
                findings.add("control-encrypted")
                tls_from = frame

        # Logins (RFC 959 section 5.4): 230 or 232 to USER, PASS or ACCT
        # logs in, 4xx or 5xx rejects.
        logins = []
        for cmd in cmds:
            final = final_reply(cmd)
            if cmd["cmd"] not in LOGIN_CMDS or final is None:
                continue
            logins.append({"command": cmd["cmd"], "reply": final["code"], "frame": final["frame"]})
            if final["code"] in (230, 232):
                sess["logged_in"] = True
            elif final["code"] >= 400:
                sess["failed_logins"] += 1
                failures.append((client[0], join(*server), final["time"], final["frame"]))
                if sess["logged_in"] is None:
                    sess["logged_in"] = False
        sess["login_replies"] = logins
        if sess["logged_in"] is False:
            findings.add("login-failed")
        # Transfer commands the server refused (not 425/426/451).
        sess["rejected_transfers"] = [
            {"command": cmd["cmd"], "argument": cmd["arg"] or None, "reply": final_reply(cmd)["code"],
             "frame": final_reply(cmd)["frame"]}
            for cmd in cmds if cmd["cmd"] in TRANSFER_CMDS and transfer_outcome(cmd) == "rejected"]
        if sess["rejected_transfers"]:
            findings.add("transfer-rejected")

        # Data channels.
        chans = []
        sess_conns = []  # data connections matched to this session's channels
        for i, cmd in enumerate(cmds):
            name = cmd["cmd"]
            if name not in SETUP_ACTIVE | SETUP_PASSIVE:
                continue
            final = next((r for r in cmd["replies"] if r["code"] >= 200), None)
            ann, ann_frame = None, cmd["frame"]
            if cmd["cut"] or (name in SETUP_PASSIVE and final is not None and final["cut"]):
                continue  # the announcement itself is not in the capture
            if name == "PORT":
                ann = parse_port(cmd["arg"])
            elif name == "EPRT":
                ann = parse_eprt(cmd["arg"])
            elif name == "LPRT":
                ann = parse_lprt(cmd["arg"])
            elif final is not None:
                ann_frame = final["frame"]
                if name == "PASV" and final["code"] == 227:
                    ann = parse_port(final["text"][4:])
                elif name == "EPSV" and final["code"] == 229:
                    m = re.search(r"\((.)\1\1(\d+)\1\)", final["text"])
                    if m:
                        ann = (server[0], int(m.group(2)))
                elif name == "LPSV" and final["code"] == 228:
                    ann = parse_lprt(final["text"][4:])
            if ann is None:
                continue
            xfer = None
            for later in cmds[i + 1:]:
                if later["cmd"] in SETUP_ACTIVE | SETUP_PASSIVE:
                    break
                if later["cmd"] in TRANSFER_CMDS:
                    xfer = later
                    break
            mode = "active" if name in SETUP_ACTIVE else "passive"
            ch = {
                "setup_command": name, "announced": join(*ann), "mode": mode,
                "expected_initiator": "server" if mode == "active" else "client",
                "observed": None,
                "transfer_command": xfer["cmd"] if xfer else None,
                "argument": (xfer["arg"] or None) if xfer else None,
                "evidence": "tshark fields + own reassembly (testdata/lab/truth.py)",
                "setup_frame": cmd["frame"], "announce_frame": ann_frame,
                "setup_reply": f"{final['code']} {final['text'][4:]}" if final else None,
                "setup_reply_code": final["code"] if final else None,
                "setup_accepted": bool(final and 200 <= final["code"] < 300),
                "transfer_reply": " / ".join(r["text"] for r in xfer["replies"]) if xfer and xfer["replies"] else None,
                "transfer_outcome": transfer_outcome(xfer) if xfer else None,
                "transfer_reply_codes": [r["code"] for r in xfer["replies"]] if xfer else [],
                "observed_detail": None,
            }
            # Cross-check with tshark's parse of the same frame.
            t_ann = tann.get(ann_frame)
            if t_ann is not None:
                if not any((ip is None or ipaddress.ip_address(ip) == ipaddress.ip_address(ann[0])) and port == ann[1]
                           for ip, port in t_ann):
                    notes.append(f"tshark reads frame {ann_frame} as {sorted(t_ann, key=str)}, own parse {ann}")
            # Observed data connection.
            ctl_peer = server[0] if mode == "passive" else client[0]
            want = (ipaddress.ip_address(ann[0]), ann[1])
            match = None
            for how in ("announced", "control-peer-address"):
                for s in syns:
                    if s["frame"] <= ann_frame:
                        continue
                    if s["conn"] in control_conns:
                        continue
                    # One FXP data connection serves two channels, the
                    # PASV of one session and the PORT of the other.
                    if s["conn"] in used_conns and not (want in fxp and used_conns[s["conn"]] == want):
                        continue
                    dst = (ipaddress.ip_address(s["dst"]), s["dport"])
                    if how == "announced" and dst == want:
                        match = s
                    elif how == "control-peer-address" and s["dport"] == ann[1] and \
                            ipaddress.ip_address(s["dst"]) == ipaddress.ip_address(ctl_peer):
                        match = s
                    if match:
                        break
                if match:
                    ch["match"] = how
                    break
            if match:
                used_conns[match["conn"]] = want
                sess_conns.append(match["conn"])
                ini, rsp = (match["src"], match["sport"]), (match["dst"], match["dport"])
                dp = conns[match["conn"]]["pkts"]
                synack = any(p["syn"] and p["ack"] and (p["src"], p["sport"]) == rsp for p in dp)
                rst_rsp = any(p["rst"] and (p["src"], p["sport"]) == rsp for p in dp)
                rst_any = any(p["rst"] for p in dp)
                fwd, back = Direction(), Direction()
                for p in dp:
                    d = fwd if (p["src"], p["sport"]) == ini else back
                    if p["syn"]:
                        d.syn(p["seq"])
                # unique payload bytes per direction = highest sequence reached
                b_fwd = b_back = 0
                for p in dp:
                    if p["len"] == 0:
                        continue
                    d = fwd if (p["src"], p["sport"]) == ini else back
                    if d.base is None:
                        continue
                    end = ((p["seq"] - d.base) % 2**32) + p["len"]
                    if d is fwd:
                        b_fwd = max(b_fwd, end)
                    else:
                        b_back = max(b_back, end)
                # Payload either way proves the connection, whether or not
                # its handshake is in the capture.
                established = synack or b_back > 0 or b_fwd > 0
                icmp = any(((q["src"], q["sport"]), (q["dst"], q["dport"])) == (ini, rsp) and q["frame"] > match["frame"]
                           for q in icmp_errors)
                if established:
                    # reset: an RST before either side closed with FIN (an RST
                    # after a FIN is how some stacks close)
                    first_fin = next((p["frame"] for p in dp if p["fin"]), None)
                    first_rst = next((p["frame"] for p in dp if p["rst"]), None)
                    reset = first_rst is not None and (first_fin is None or first_rst < first_fin)
                    state = "reset" if reset else "established"
                elif rst_rsp:
                    state = "refused"
                elif icmp:
                    state = "unreachable"
                else:
                    state = "unanswered"
                attempts = syn_attempts(dp, ini)
                ch["observed"] = {"initiator": join(*ini), "responder": join(*rsp), "established": established}
                ch["observed_detail"] = {
                    "tcp_stream": match["stream"], "syn_frame": match["frame"], "syn_attempts": attempts,
                    "state": state, "synack_seen": synack, "rst_seen": rst_any, "rst_from_responder": rst_rsp,
                    "bytes_initiator_to_responder": b_fwd, "bytes_responder_to_initiator": b_back,
                    "responder_addr_differs_from_announced":
                        ipaddress.ip_address(rsp[0]) != ipaddress.ip_address(ann[0]) or rsp[1] != ann[1],
                }
            chans.append(ch)

            # How the announcement crossed the network: the segments its
            # line came in, whether one segment held it whole from its first
            # byte (what a firewall's FTP helper parses), and whether the
            # peer acknowledged it.
            if name in SETUP_ACTIVE:
                span, sender, base = cmd["span"], client, up.base
            else:
                span, sender, base = final["span"], server, down.base
            ch["announce_segments"] = len(span["frames"])
            ch["announce_in_one_segment"] = in_one_segment(c["pkts"], sender, base, span)
            ch["announce_acknowledged"] = base is not None and acked(c["pkts"], sender, (base + span["end"]) % 2**32)
            if mode == "passive":
                passive_anns.append((server[0], server[1], ann))
            pair = fxp.get(want)
            if pair is not None:
                ch["fxp"] = {"passive_server": join(*pair[0]), "active_server": join(*pair[1])}
            if helper_modes:
                # A real firewall FTP helper on the path (a router that drops
                # new connections except to the control port): a data
                # connection that got through means the helper expected it.
                he = None
                if mode in helper_modes:
                    if ch["observed"] is not None:
                        he = ch["observed"]["established"]
                    elif ch["transfer_outcome"] == "failed":
                        he = False
                    elif ch["transfer_outcome"] == "succeeded":
                        he = True
                    elif final is None and not ch["announce_acknowledged"]:
                        he = False  # the announcement itself never got through
                reason = None
                if he is False:
                    if server[1] != HELPER_PORT:
                        reason = "control-port"
                    elif not ch["announce_in_one_segment"]:
                        reason = "split"
                    elif ipaddress.ip_address(ann[0]) != ipaddress.ip_address(ctl_peer):
                        reason = "address"
                ch["helper_expected"] = he
                ch["helper_reason"] = reason
                if he is False:
                    findings.add("helper-would-miss")

            # Findings from the contract's rules, on this channel's facts.
            ctl_addr = ipaddress.ip_address(ctl_peer)
            ann_addr = ipaddress.ip_address(ann[0])
            differs = ann_addr != ctl_addr
            if mode == "active" and "fxp" in ch:
                # The third-party address is the other server (CONTRACT.md
                # fxp-transfer), not NAT nor a bounce.
                findings.add("fxp-transfer")
                differs = False
            if differs and is_private(ann[0]):
                if mode == "passive" and name in ("PASV", "LPSV"):
                    findings.add("passive-private-address")
                elif mode == "active":
                    findings.add("active-private-address")
            if ch["observed"] is not None:
                if not ch["observed"]["established"]:
                    findings.add("active-blocked" if mode == "active" else "passive-blocked")
                elif differs and not is_private(ann[0]):
                    # A public address other than the control peer's, and the
                    # data connection worked: rewritten by an ALG or NAT, or
                    # the capture point is behind NAT. (A private one is the
                    # *-private-address warning above instead.)
                    findings.add("address-rewritten")
            elif ch["setup_accepted"] and xfer is not None:
                # No data connection in the capture: after a successful
                # transfer it took a path the capture does not see; after a
                # refusal none was due; otherwise it is missing.
                if ch["transfer_outcome"] == "succeeded":
                    findings.add("data-path-unseen")
                elif ch["transfer_outcome"] != "rejected":
                    findings.add("data-connection-missing")
            codes = ch["transfer_reply_codes"]
            if any(c in (425, 426, 451) for c in codes):
                findings.add("transfer-failed")
            if mode == "active" and ann[1] < 1024:
                findings.add("ftp-bounce")
                # A bounce the server refused is an attempt that failed: a
                # warning; one it accepted an error.
                if (ch.get("setup_reply_code") or 0) < 400:
                    bounce_accepted = True
            del ch["transfer_reply_codes"]
        sess["data_channels"] = chans
        # The control connection idle while data flowed (control-idle-timeout).
        data_pkts = [p for cid in sess_conns for p in conns[cid]["pkts"]]
        sess["control_idle"] = control_idle(c["pkts"], client, data_pkts)
        if sess["control_idle"] and sess["control_idle"]["outcome"] in ("reset", "unacknowledged"):
            findings.add("control-idle-timeout")
        # After AUTH TLS the announcements are unreadable, to a firewall's
        # helper too: the data connections between the session's hosts
        # during it, after the 234.
        enc = []
        if tls_from is not None:
            t_end = max(p["time"] for p in c["pkts"])
            hosts = {ipaddress.ip_address(client[0]), ipaddress.ip_address(server[0])}
            for cid, dc in conns.items():
                fs = dc["first_syn"]
                if fs is None or cid in control_conns or cid in used_conns:
                    continue
                first = dc["pkts"][0]
                if first["frame"] < tls_from or first["time"] > t_end:
                    continue
                ends = {ipaddress.ip_address(first["src"]), ipaddress.ip_address(first["dst"])}
                if ends != hosts:
                    continue
                ini = (fs[0], fs[1])
                rsp = (first["dst"], first["dport"]) if (first["src"], first["sport"]) == ini else (first["src"], first["sport"])
                est = any(p["syn"] and p["ack"] and (p["src"], p["sport"]) == rsp for p in dc["pkts"]) or \
                    any(p["len"] for p in dc["pkts"])
                mode = "active" if ipaddress.ip_address(ini[0]) == ipaddress.ip_address(server[0]) else "passive"
                enc.append({"initiator": join(*ini), "responder": join(*rsp), "syn_frame": first["frame"],
                            "mode": mode, "established": est})
                if helper_modes and mode in helper_modes and not est:
                    # The real helper on the path was blind: the connection
                    # the encrypted announcement asked for was dropped.
                    findings.add("helper-would-miss")
        sess["encrypted_data_connections"] = enc
        sess["derived_findings"] = sorted(findings)
        sev = dict(SEVERITY)
        if not bounce_accepted:
            sev["ftp-bounce"] = "warning"
        worst = max((RANK[sev[f]] for f in findings), default=0)
        sess["verdict"] = {3: "failed", 2: "warning"}.get(worst, "ok")
        all_findings += sorted(findings)
        sess["end_frame"] = max([p["frame"] for p in c["pkts"]] + ([ctl_icmp["frame"]] if ctl_icmp else []))
        sessions.append(sess)

    # Data connections that match no announcement.
    unmatched, seen_unmatched = [], set()
    for s in syns:
        tup = ((s["src"], s["sport"]), (s["dst"], s["dport"]))
        if s["conn"] in used_conns or s["conn"] in control_conns:
            continue
        if s["conn"] in seen_unmatched:
            continue
        seen_unmatched.add(s["conn"])
        dp = conns[s["conn"]]["pkts"]
        est = any(p["syn"] and p["ack"] and (p["src"], p["sport"]) == tup[1] for p in dp)
        unmatched.append({"initiator": join(*tup[0]), "responder": join(*tup[1]), "syn_frame": s["frame"],
                          "established": est})
    brute = brute_force(failures)
    global_findings = ["login-brute-force"] if brute else []
    pports = passive_ports(passive_anns)
    if pports:
        global_findings.append("passive-port-range")
    return (pkts, sessions, sorted(set(all_findings + global_findings)), global_findings, brute, unmatched, notes,
            pports)


def passive_ports(anns):
    """Per server address, the passive ports it announced across all
    sessions (CONTRACT.md passive-port-range)."""
    by = {}
    for srv, cport, (ip, port) in anns:
        a = by.setdefault(ipaddress.ip_address(srv), {"control_ports": set(), "addresses": set(), "ports": []})
        a["control_ports"].add(cport)
        a["addresses"].add(ipaddress.ip_address(ip))
        a["ports"].append(port)
    out = []
    for srv in sorted(by):
        a = by[srv]
        out.append({"server": str(srv), "control_ports": sorted(a["control_ports"]),
                    "announced_addresses": [str(x) for x in sorted(a["addresses"])],
                    "min_port": min(a["ports"]), "max_port": max(a["ports"]),
                    "announcements": len(a["ports"]), "distinct_ports": len(set(a["ports"]))})
    return out


def link_type(cap):
    out = subprocess.run(["capinfos", "-E", "-T", "-m", cap], capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    if len(lines) >= 2:
        return lines[1].split(",")[1]
    return None


# What main appends to a scenario's notes; --rederive cuts it off again.
APPENDED_NOTES = (" Intent vs packets:", " The scenario was meant to be healthy", " tshark vs own parse:")


def rederive_args(a):
    """Fills a's scenario, side, ports, intent and notes from the truth file
    a.rederive, and its capture and output when not given: that truth file
    derived again from the same capture."""
    with open(a.rederive) as f:
        old = json.load(f)
    a.scenario, a.side = old["scenario"], old["capture_side"]
    a.ports = old["ports"] or "21"
    a.intent_findings = ",".join(old["intent"]["findings"])
    a.intent_healthy = old["intent"]["healthy"]
    a.helper_router = ",".join(old.get("helper_router") or [])
    notes = old["notes"]
    cut = [notes.find(m) for m in APPENDED_NOTES if m in notes]
    a.notes = notes[:min(cut)] if cut else notes
    a.out = a.out or a.rederive
    a.capture = a.capture or os.path.join(os.path.dirname(os.path.abspath(a.rederive)), "..", "captures",
                                          old["capture"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture")
    ap.add_argument("--out")
    ap.add_argument("--scenario")
    ap.add_argument("--side")
    ap.add_argument("--ports", default="21")
    ap.add_argument("--intent-findings", default="")
    ap.add_argument("--intent-healthy", action="store_true")
    ap.add_argument("--notes", default="")
    ap.add_argument("--helper-router", default="", metavar="MODES",
                    help="the capture's path crosses a router that drops new connections except to the control "
                         "port and runs the kernel's FTP helper on port 21; MODES (active, passive, comma "
                         "separated) are the data connections it polices")
    ap.add_argument("--rederive", metavar="TRUTH",
                    help="derive TRUTH again (from ../captures/ beside it unless --capture) with the scenario, "
                         "side, ports, intent and notes it records; written to TRUTH unless --out")
    a = ap.parse_args()
    if a.rederive:
        rederive_args(a)
    for need in ("capture", "out", "scenario", "side"):
        if not getattr(a, need):
            ap.error(f"--{need} is required (or --rederive TRUTH)")

    pkts, sessions, derived, global_findings, brute, unmatched, xnotes, pports = analyse(a)
    intent = sorted(c for c in a.intent_findings.split(",") if c)
    errors = [c for c in derived if SEVERITY.get(c) == "error"]
    healthy = a.intent_healthy and not errors
    notes = a.notes
    missing = [c for c in intent if c not in derived]
    # passive-port-range follows from any passive announcement: no
    # scenario needs to mean it.
    extra = [c for c in derived if c not in intent and c not in ("passive-port-range",)]
    if missing or extra:
        msg = f"Intent vs packets: the scenario meant {intent or 'no finding'}; the packets show {derived or 'none'}."
        notes += " " + msg
        print(f"truth.py: {os.path.basename(a.capture)}: {msg}", file=sys.stderr)
    if a.intent_healthy and errors:
        notes += f" The scenario was meant to be healthy but the packets show {errors}."
    if xnotes:
        notes += " tshark vs own parse: " + "; ".join(xnotes)
    features = set()
    for s in sessions:
        if s["auth_tls"]:
            features.add("auth-tls")
        if s["multiline_replies"]:
            features.add("multiline-reply")
        if s["control_retransmitted_segments"]:
            features.add("control-retransmissions")
        for d in s["data_channels"]:
            features.add(d["mode"])
            features.add(d["setup_command"].lower())
            if d.get("announce_segments", 1) > 1:
                features.add("split-announcement")
            if d.get("fxp"):
                features.add("fxp")
            if d["observed"] is None:
                features.add("announced-but-no-data-connection")
            elif not d["observed"]["established"]:
                features.add("data-connection-not-established")
        if s["control_state"] not in ("established", None):
            features.add("control-not-established")
        if s["failed_logins"]:
            features.add("failed-login")
        if s["control_idle"]:
            features.add("control-idle")
        if s["rejected_transfers"]:
            features.add("transfer-rejected")
        if s["detected_by"] == "content":
            features.add("content-detected")
        if s["server"].startswith("["):
            features.add("ipv6")
        else:
            features.add("ipv4")
    if any(p["vlan"] for p in pkts):
        features.add("vlan")
    if a.ports != "21":
        features.add("nonstandard-port")
    if len(sessions) > 10:
        features.add("many-sessions")
    if brute:
        features.add("brute-force-like")

    truth = {
        "capture": os.path.basename(a.capture),
        "source": "ftpscope-lab",
        "scenario": a.scenario,
        "capture_side": a.side,
        "file_type": "pcap",
        "link_type": link_type(a.capture),
        "control_ports": [int(p) for p in a.ports.split(",")],
        "ports": a.ports if a.ports != "21" else None,
        "tcp_packets": len({p["frame"] for p in pkts}),
        "features": sorted(features),
        "control_sessions": sessions,
        "unmatched_data_connections": unmatched,
        "login_brute_force": brute,
        "passive_ports": pports,
        "helper_router": sorted(m for m in a.helper_router.split(",") if m) or None,
        "global_findings": global_findings,
        "expected_findings": derived,
        "healthy": healthy,
        "intent": {"findings": intent, "healthy": a.intent_healthy},
        "notes": notes.strip(),
        "generated_by": f"testdata/lab/truth.py with {tshark_version()}",
    }
    with open(a.out, "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")
    chans = sum(len(s["data_channels"]) for s in sessions)
    print(f"truth.py: {truth['capture']}: {len(sessions)} sessions, {chans} data channels, "
          f"findings {derived}, healthy {healthy}", file=sys.stderr)


if __name__ == "__main__":
    main()
