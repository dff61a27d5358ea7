#!/usr/bin/env bash
# run.sh — the ftpscope real-traffic lab.
#
# usage: run.sh OUTDIR [scenario ...]      (as root; no scenario = all of them)
#        run.sh --list
#        run.sh --rederive DIR              (truth files again from DIR's captures)
#
# Builds throw-away network namespaces joined by veth pairs (client, router/
# firewall, server, and a second client where a scenario needs one), runs real
# FTP servers (vsftpd, pure-ftpd) and clients (curl, lftp) between them, captures
# with tcpdump where a user would capture, and derives a ground-truth file for
# every capture from the packets themselves (truth.py, tshark).
#
# Writes OUTDIR/captures/NAME.pcap and OUTDIR/truth/NAME.json.
#
# Network safety: every address used here lives only inside namespaces this
# script creates (prefix fsl<PID>-); none of them is joined to the host's
# namespace, so nothing can route out. Addresses: RFC 1918 / ULA for the private
# sides, RFC 5737 TEST-NET-2/3 (198.51.100.0/24, 203.0.113.0/24) for the
# "public" side of a NAT router. Everything started here is stopped and every
# namespace deleted on exit, also on failure and on Ctrl-C (trap EXIT).
#
# Kernel features this lab looks for (see README.md): nf_conntrack_ftp and the
# iptables CT target (needed by snat-port-helper and the helper-* scenarios,
# which are skipped without them), 802.1Q VLAN devices (absent on
# the development VM: vlan-tagged adds tags to a real capture afterwards with
# internal/labtest/vlantag), tc netem (absent: control-loss drops every Nth
# control packet with iptables -m statistic --mode nth instead).
set -Eeuo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)
PFX="fsl$$-"
LAB_USER=ftplab
LAB_PASS=labpass
LAB_HOME=/var/lib/ftpscope-lab
CACHE=${FTPSCOPE_LAB_CACHE:-/var/cache/ftpscope-lab}
SNAP=400 # default snaplen: whole control lines, truncated bulk data

ALL_SCENARIOS=(
	passive-download active-upload ipv6-epsv-eprt active-blocked-client-fw
	active-unreachable-client-fw passive-blocked-server-fw passive-refused-server-fw
	dnat-pasv-private dnat-pasv-address snat-port-nohelper
	snat-port-helper port-bounce-refused ftps-explicit mixed-port-pasv aborted-transfer port-2121
	large-snaplen96 fifty-sessions vlan-tagged any-sll2 control-loss data-tuple-reused
	control-dropped control-refused-rst control-refused-icmp login-wrong-password login-brute-force
	retr-550 login-failed-then-ok filtered-port21 content-2121-beside-smtp
	helper-opens helper-split-port helper-port-2121 helper-ftps idle-timeout fxp
)

log() { printf '[lab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

if [[ ${1:-} == --list ]]; then
	printf '%s\n' "${ALL_SCENARIOS[@]}"
	exit 0
fi
# --rederive DIR derives every DIR/truth/*.json again from DIR/captures with the
# scenario, side, ports, intent and notes it records: for a change of truth.py,
# without capturing anew (needs tshark, not root).
if [[ ${1:-} == --rederive ]]; then
	[[ -d ${2:-}/truth ]] || die "usage: $0 --rederive DIR (with DIR/truth/*.json and DIR/captures/)"
	find "$2/truth" -name '*.json' -print0 | sort -z |
		xargs -0 -P 4 -I{} python3 "$LAB_DIR/truth.py" --rederive {}
	exit 0
fi
[[ $# -ge 1 ]] || die "usage: $0 OUTDIR [scenario ...]  (--list shows the scenarios)"
OUT=$1
shift
SCENARIOS=("$@")
[[ ${#SCENARIOS[@]} -gt 0 ]] || SCENARIOS=("${ALL_SCENARIOS[@]}")
for s in "${SCENARIOS[@]}"; do
	[[ " ${ALL_SCENARIOS[*]} " == *" $s "* ]] || die "unknown scenario $s (--list)"
done
[[ $EUID -eq 0 ]] || die "must run as root (network namespaces, iptables, tcpdump)"

WORK=$(mktemp -d /tmp/ftpscope-lab.XXXXXX)
chmod 755 "$WORK"

# ---------------------------------------------------------------- cleanup

# ns_teardown kills every process inside this run's namespaces and deletes them.
ns_teardown() {
	local ns pids
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${PFX}" || true); do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [[ -n $pids ]]; then
			# shellcheck disable=SC2086
			kill -TERM $pids 2>/dev/null || true
			sleep 0.3
			pids=$(ip netns pids "$ns" 2>/dev/null || true)
			# shellcheck disable=SC2086
			[[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns" 2>/dev/null || true
	done
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[[ -z ${SC_PID:-} ]] || kill -TERM "$SC_PID" 2>/dev/null || true
	ns_teardown
	if [[ -n ${FTPSCOPE_LAB_KEEP:-} ]]; then
		log "kept the work directory $WORK (FTPSCOPE_LAB_KEEP)"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT
trap 'log terminated; exit 143' TERM

# ---------------------------------------------------------------- tools

# ensure_tools installs what is missing from Debian's archive.
ensure_tools() {
	local -A want=([curl]=curl [lftp]=lftp [tcpdump]=tcpdump [iptables]=iptables
		[openssl]=openssl [tshark]=tshark [python3]=python3 [vsftpd]=vsftpd [ip]=iproute2
		[dpkg-deb]=dpkg [useradd]=passwd [chpasswd]=passwd)
	local missing=() c
	for c in "${!want[@]}"; do
		command -v "$c" >/dev/null 2>&1 || [[ -x /usr/sbin/$c ]] || missing+=("${want[$c]}")
	done
	if [[ ${#missing[@]} -gt 0 ]]; then
		log "installing from Debian: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	# pure-ftpd conflicts with vsftpd as a Debian package (both provide
	# ftp-server), so it is run from its extracted .deb instead.
	if command -v pure-ftpd >/dev/null 2>&1; then
		PUREFTPD=$(command -v pure-ftpd)
	else
		PUREFTPD=$CACHE/pure-ftpd/usr/sbin/pure-ftpd
		if [[ ! -x $PUREFTPD ]]; then
			log "extracting pure-ftpd from its Debian package into $CACHE"
			mkdir -p "$CACHE"
			(cd "$CACHE" && rm -f pure-ftpd_*.deb && apt-get download pure-ftpd >/dev/null 2>&1) ||
				(apt-get update -qq && cd "$CACHE" && apt-get download pure-ftpd >/dev/null)
			dpkg-deb -x "$CACHE"/pure-ftpd_*.deb "$CACHE/pure-ftpd"
		fi
		if ldd "$PUREFTPD" | grep -q 'not found'; then
			apt-get install -y -qq --no-install-recommends libsodium23 libcap2 libpam0g libssl3 libcrypt1 >/dev/null
		fi
	fi
	VSFTPD=$(command -v vsftpd || echo /usr/sbin/vsftpd)
}

# ensure_user makes the local FTP test user (kept between runs so that
# concurrent runs never pull it away from each other).
ensure_user() {
	mkdir -p "$LAB_HOME"
	if ! id "$LAB_USER" >/dev/null 2>&1; then
		log "creating local test user $LAB_USER (home $LAB_HOME, no shell)"
		useradd -M -d "$LAB_HOME" -s /usr/sbin/nologin "$LAB_USER"
	fi
	echo "$LAB_USER:$LAB_PASS" | chpasswd
}

# kernel_probe records which kernel features this host has.
kernel_probe() {
	local t=${PFX}probe
	ip netns add "$t" || die "cannot create a network namespace (need root and CAP_SYS_ADMIN)"
	HAVE_CT_HELPER=no HAVE_VLAN=no HAVE_NETEM=no
	ip netns exec "$t" iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp 2>/dev/null && HAVE_CT_HELPER=yes
	ip -n "$t" link add d0 type dummy 2>/dev/null || true
	ip -n "$t" link add link d0 name d0.100 type vlan id 100 2>/dev/null && HAVE_VLAN=yes
	ip netns exec "$t" tc qdisc add dev lo root netem loss 1% 2>/dev/null && HAVE_NETEM=yes
	ip netns del "$t"
	log "kernel: conntrack FTP helper (CT --helper ftp): $HAVE_CT_HELPER; 802.1Q vlan devices: $HAVE_VLAN; tc netem: $HAVE_NETEM"
}

# ---------------------------------------------------------------- topology

nsx() {
	local n=$1
	shift
	ip netns exec "${PFX}$n" "$@"
}

ns_new() {
	local n
	for n in "$@"; do
		ip netns add "${PFX}$n"
		ip -n "${PFX}$n" link set lo up
	done
}

# veth NS1 IF1 NS2 IF2 joins two namespaces; no end is ever in the host's.
veth() {
	ip -n "${PFX}$1" link add "$2" type veth peer name "$4" netns "${PFX}$3"
	ip -n "${PFX}$1" link set "$2" up
	ip -n "${PFX}$3" link set "$4" up
}

addr() { ip -n "${PFX}$1" addr add "$3" dev "$2" nodad 2>/dev/null || ip -n "${PFX}$1" addr add "$3" dev "$2"; }

router_on() {
	nsx r sysctl -qw net.ipv4.ip_forward=1
	nsx r sysctl -qw net.ipv6.conf.all.forwarding=1
}

# topo_routed: client 10.0.1.2 / fd00:1::2 -- router -- server 10.0.2.2 / fd00:2::2,
# plain routing, no NAT, no filter. With "two", a second client 10.0.3.2.
topo_routed() {
	ns_new c r s
	veth r rc c eth0
	veth r rs s eth0
	addr c eth0 10.0.1.2/24
	addr c eth0 fd00:1::2/64
	addr r rc 10.0.1.1/24
	addr r rc fd00:1::1/64
	addr r rs 10.0.2.1/24
	addr r rs fd00:2::1/64
	addr s eth0 10.0.2.2/24
	addr s eth0 fd00:2::2/64
	nsx c ip route add default via 10.0.1.1
	nsx c ip -6 route add default via fd00:1::1
	nsx s ip route add default via 10.0.2.1
	nsx s ip -6 route add default via fd00:2::1
	if [[ ${1:-} == two ]]; then
		ns_new c2
		veth r rc2 c2 eth0
		addr c2 eth0 10.0.3.2/24
		addr r rc2 10.0.3.1/24
		nsx c2 ip route add default via 10.0.3.1
	fi
	router_on
	SRV=10.0.2.2 SRV6=fd00:2::2
}

# topo_snat: client 10.0.1.2 behind a masquerading router 198.51.100.1,
# server 198.51.100.2. The router forwards only what the inside opened.
topo_snat() {
	ns_new c r s
	veth r rc c eth0
	veth r rs s eth0
	addr c eth0 10.0.1.2/24
	addr r rc 10.0.1.1/24
	addr r rs 198.51.100.1/24
	addr s eth0 198.51.100.2/24
	nsx c ip route add default via 10.0.1.1
	nsx s ip route add default via 198.51.100.1
	router_on
	nsx r iptables -t nat -A POSTROUTING -o rs -j MASQUERADE
	nsx r iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	nsx r iptables -A FORWARD -i rc -o rs -j ACCEPT
	nsx r iptables -P FORWARD DROP
	SRV=198.51.100.2
}

# topo_dnat: client 203.0.113.2 -- router 203.0.113.1 forwarding port 21 (and the
# passive range when asked) to the server 10.0.2.2 on its private side.
topo_dnat() {
	ns_new c r s
	veth r rc c eth0
	veth r rs s eth0
	addr c eth0 203.0.113.2/24
	addr r rc 203.0.113.1/24
	addr r rs 10.0.2.1/24
	addr s eth0 10.0.2.2/24
	nsx c ip route add default via 203.0.113.1
	nsx s ip route add default via 10.0.2.1
	router_on
	nsx r iptables -t nat -A PREROUTING -i rc -p tcp --dport 21 -j DNAT --to-destination 10.0.2.2:21
	nsx r iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	nsx r iptables -A FORWARD -m conntrack --ctstate DNAT -j ACCEPT
	nsx r iptables -A FORWARD -i rs -o rc -j ACCEPT
	nsx r iptables -P FORWARD DROP
	SRV=203.0.113.1
}

# topo_fw [PORT]: the routed topology with a stateful firewall in the router:
# FORWARD drops every new connection except TCP SYNs to the control port PORT
# (default 21), in both directions, and accepts what conntrack calls
# ESTABLISHED or RELATED. The conntrack FTP helper is attached to port 21 only
# (raw PREROUTING CT --helper ftp): a data connection crosses this router only
# when the helper saw its announcement and made an expectation for it.
topo_fw() {
	topo_routed
	nsx r iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp
	nsx r iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	nsx r iptables -A FORWARD -p tcp --syn --dport "${1:-21}" -m conntrack --ctstate NEW -j ACCEPT
	nsx r iptables -P FORWARD DROP
}

# ---------------------------------------------------------------- servers

make_ftproot() {
	ROOT=$WORK/root
	[[ -d $ROOT ]] && return 0
	mkdir -p "$ROOT/upload" "$ROOT/pub" "$WORK/empty" "$WORK/logs"
	chmod 755 "$ROOT" "$ROOT/pub"
	printf 'hello from the ftpscope lab\n' >"$ROOT/small.txt"
	printf 'This FTP root exists only for the duration of one lab run.\n' >"$ROOT/readme.txt"
	head -c 32768 /dev/urandom >"$ROOT/medium.bin"
	head -c $((8 * 1024 * 1024)) /dev/urandom >"$ROOT/big.bin"
	head -c $((256 * 1024)) /dev/urandom >"$ROOT/slow.bin"
	for i in 1 2 3; do printf 'file %d\n' "$i" >"$ROOT/pub/file$i.txt"; done
	chown "$LAB_USER" "$ROOT/upload"
	head -c 20000 /dev/urandom >"$WORK/upload.bin"
}

make_cert() {
	[[ -f $WORK/cert.pem ]] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ftpscope-lab \
		-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
	cat "$WORK/key.pem" "$WORK/cert.pem" >"$WORK/pure-ftpd.pem"
	chmod 600 "$WORK/key.pem" "$WORK/pure-ftpd.pem"
}

# vsftpd_start [key=value ...] runs vsftpd in the foreground inside the
# server namespace (VSFTPD_NS, default s) with a config written here (nothing
# from /etc is read).
vsftpd_start() {
	local ns=${VSFTPD_NS:-s} kv
	local conf=$WORK/vsftpd-$ns.conf
	cat >"$conf" <<EOF
listen=YES
listen_ipv6=NO
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$ROOT
ftp_username=$LAB_USER
local_enable=YES
local_root=$ROOT
write_enable=YES
local_umask=022
pam_service_name=ftpscope-lab
secure_chroot_dir=$WORK/empty
seccomp_sandbox=NO
xferlog_enable=YES
vsftpd_log_file=$WORK/logs/vsftpd.log
dirmessage_enable=NO
connect_from_port_20=YES
connect_timeout=4
accept_timeout=4
data_connection_timeout=20
idle_session_timeout=60
pasv_min_port=40000
pasv_max_port=40049
EOF
	for kv in "$@"; do
		sed -i "/^${kv%%=*}=/d" "$conf"
		echo "$kv" >>"$conf"
	done
	nsx "$ns" "$VSFTPD" "$conf" >>"$WORK/logs/vsftpd.out" 2>&1 &
	wait_listen "$ns" "${LISTEN_PORT:-21}"
}

pureftpd_start() {
	local port=$1
	nsx s "$PUREFTPD" -S ",$port" -l pam -E -H -d -p 40100:40149 -u 1 -O "clf:$WORK/logs/pure-xfer.log" \
		>>"$WORK/logs/pure-ftpd.out" 2>&1 &
	wait_listen s "$port"
}

wait_listen() {
	local i
	for ((i = 0; i < 50; i++)); do
		nsx "$1" ss -ltnH "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	die "nothing listens on port $2 in namespace $1"
}

# ---------------------------------------------------------------- capture

CAP_PIDS=()
CAP_FILES=()

# cap_start NAME NS IFACE SNAPLEN [tcpdump args...]
cap_start() {
	local name=$1 ns=$2 ifc=$3 snap=$4 f
	shift 4
	f=$WORK/$name.pcap
	# ip netns exec execs tcpdump, so $! is tcpdump itself.
	ip netns exec "${PFX}$ns" tcpdump -n --immediate-mode -i "$ifc" -s "$snap" -U -w "$f" "$@" 2>"$WORK/$name.tcpdump.err" &
	CAP_PIDS+=($!)
	CAP_FILES+=("$name")
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q 'listening on' "$WORK/$name.tcpdump.err" 2>/dev/null && return 0
		sleep 0.1
	done
	die "tcpdump for $name did not start: $(cat "$WORK/$name.tcpdump.err")"
}

cap_stop() {
	sleep 0.3
	local p
	for p in "${CAP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${CAP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	local n
	for n in "${CAP_FILES[@]}"; do
		cp "$WORK/$n.pcap" "$OUT/captures/$n.pcap"
		grep -h 'packets captured\|dropped by kernel' "$WORK/$n.tcpdump.err" | tr '\n' ' ' | sed "s/^/[$n] /" >&2
		echo >&2
	done
	CAP_PIDS=()
	CAP_FILES=()
}

# truth NAME SCENARIO SIDE [truth.py options...] queues the derivation of
# NAME's truth file; the queue runs after the last scenario, several at a time
# (tshark's start-up dominates).
truth() {
	local name=$1 scen=$2 side=$3
	shift 3
	mkdir -p "$WORK/truth-jobs"
	printf '%q ' python3 "$LAB_DIR/truth.py" --capture "$OUT/captures/$name.pcap" --out "$OUT/truth/$name.json" \
		--scenario "$scen" --side "$side" "$@" >"$WORK/truth-jobs/$name.sh"
}

run_truth_jobs() {
	[[ -d $WORK/truth-jobs ]] || return 0
	log "deriving truth files from the captures"
	find "$WORK/truth-jobs" -name '*.sh' -print0 | sort -z | xargs -0 -P 4 -n 1 bash
}

# ---------------------------------------------------------------- clients

# Clients that are meant to fail send their complaints to $WORK/logs/client.err.
CURL=(curl -sS --max-time 30 --connect-timeout 3 -o /dev/null)
LFTP_PRE="set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 5; set net:reconnect-interval-base 1; set ftp:ssl-allow no; set xfer:clobber yes"

# ---------------------------------------------------------------- scenarios

sc_passive-download() {
	topo_routed
	vsftpd_start
	cap_start passive-download c eth0 "$SNAP"
	nsx c "${CURL[@]}" --disable-epsv "ftp://$SRV/medium.bin"
	nsx c "${CURL[@]}" --disable-epsv "ftp://$SRV/pub/"
	cap_stop
	truth passive-download passive-download client --intent-healthy \
		--notes "Two anonymous curl sessions to vsftpd 3.0.3, passive mode forced to PASV (--disable-epsv): RETR medium.bin (32 KiB) and LIST pub/. Captured on the client."
}

sc_active-upload() {
	topo_routed
	vsftpd_start
	cap_start active-upload c eth0 "$SNAP"
	nsx c "${CURL[@]}" -P - --disable-eprt -T "$WORK/upload.bin" "ftp://$LAB_USER:$LAB_PASS@$SRV/upload/up.bin"
	cap_stop
	truth active-upload active-upload client --intent-healthy \
		--notes "curl active mode with PORT (-P - --disable-eprt) as local user $LAB_USER, STOR of 20000 bytes; vsftpd connects from port 20. Captured on the client."
}

sc_ipv6-epsv-eprt() {
	topo_routed
	vsftpd_start listen=NO listen_ipv6=YES
	cap_start ipv6-epsv-eprt c eth0 "$SNAP"
	nsx c "${CURL[@]}" -g "ftp://[$SRV6]/small.txt"
	nsx c "${CURL[@]}" -g -P - -T "$WORK/upload.bin" "ftp://$LAB_USER:$LAB_PASS@[$SRV6]/upload/up6.bin"
	cap_stop
	truth ipv6-epsv-eprt ipv6-epsv-eprt client --intent-healthy \
		--notes "IPv6 only: curl anonymous RETR over EPSV, then curl active STOR over EPRT |2|fd00:1::2|port| as $LAB_USER. vsftpd listen_ipv6. Captured on the client."
}

sc_active-blocked-client-fw() {
	topo_routed
	vsftpd_start
	nsx c iptables -A INPUT -i lo -j ACCEPT
	nsx c iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	nsx c iptables -A INPUT -p tcp --syn -j DROP
	cap_start active-blocked-client-fw c eth0 "$SNAP"
	nsx c "${CURL[@]}" -P - --disable-eprt "ftp://$SRV/small.txt" 2>>"$WORK/logs/client.err" || true
	cap_stop
	truth active-blocked-client-fw active-blocked-client-fw client \
		--intent-findings active-blocked,transfer-failed \
		--notes "Client firewall: stateful INPUT that drops every incoming SYN and has no FTP helper. curl sends PORT and RETR; vsftpd's SYN from port 20 reaches the client (tcpdump sees it before netfilter) and is dropped, retransmitted until vsftpd's connect_timeout=4 s, then 425. Captured on the client."
}

sc_active-unreachable-client-fw() {
	topo_routed
	vsftpd_start
	nsx c iptables -A INPUT -i lo -j ACCEPT
	nsx c iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	nsx c iptables -A INPUT -p tcp --syn -j REJECT --reject-with icmp-port-unreachable
	cap_start active-unreachable-client-fw c eth0 "$SNAP"
	nsx c "${CURL[@]}" -P - --disable-eprt "ftp://$SRV/small.txt" 2>>"$WORK/logs/client.err" || true
	cap_stop
	truth active-unreachable-client-fw active-unreachable-client-fw client \
		--intent-findings active-blocked,transfer-failed \
		--notes "Client firewall that rejects every incoming SYN with ICMP port unreachable (iptables REJECT --reject-with icmp-port-unreachable), no FTP helper. vsftpd's SYN from port 20 is answered by the ICMP error, its connect fails at once and it replies 425. Captured on the client."
}

sc_passive-refused-server-fw() {
	topo_routed
	vsftpd_start
	nsx s iptables -A INPUT -i lo -j ACCEPT
	nsx s iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	nsx s iptables -A INPUT -p tcp --dport 21 -j ACCEPT
	nsx s iptables -A INPUT -p tcp -j REJECT --reject-with tcp-reset
	cap_start passive-refused-server-fw c eth0 "$SNAP"
	nsx c "${CURL[@]}" --disable-epsv "ftp://$SRV/small.txt" 2>>"$WORK/logs/client.err" || true
	cap_stop
	truth passive-refused-server-fw passive-refused-server-fw client \
		--intent-findings passive-blocked \
		--notes "Server firewall that accepts port 21 and established traffic and rejects every other TCP SYN with a TCP reset (iptables REJECT --reject-with tcp-reset), no FTP helper. curl's SYN to the PASV port is answered by RST; curl gives up at once. Captured on the client."
}

sc_passive-blocked-server-fw() {
	topo_routed
	vsftpd_start
	nsx s iptables -A INPUT -i lo -j ACCEPT
	nsx s iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	nsx s iptables -A INPUT -p tcp --dport 21 -j ACCEPT
	nsx s iptables -A INPUT -p tcp -j DROP
	cap_start passive-blocked-server-fw c eth0 "$SNAP"
	nsx c "${CURL[@]}" --disable-epsv "ftp://$SRV/small.txt" 2>>"$WORK/logs/client.err" || true
	cap_stop
	truth passive-blocked-server-fw passive-blocked-server-fw client \
		--intent-findings passive-blocked \
		--notes "Server firewall: INPUT accepts port 21 and established traffic, drops every other TCP packet, no FTP helper. curl's SYN to the PASV port goes unanswered; curl gives up after --connect-timeout 3. Captured on the client."
}

sc_dnat-pasv-private() {
	topo_dnat
	nsx r iptables -t nat -A PREROUTING -i rc -p tcp --dport 40000:40049 -j DNAT --to-destination 10.0.2.2
	vsftpd_start
	cap_start dnat-pasv-private-client c eth0 "$SNAP"
	cap_start dnat-pasv-private-server s eth0 "$SNAP"
	nsx c "${CURL[@]}" --disable-epsv --no-ftp-skip-pasv-ip "ftp://$SRV/small.txt" 2>>"$WORK/logs/client.err" || true
	nsx c "${CURL[@]}" --disable-epsv "ftp://$SRV/readme.txt"
	cap_stop
	local n="Server 10.0.2.2 behind a router that forwards 203.0.113.1:21 and :40000-40049 (DNAT); vsftpd has no pasv_address so its 227 announces 10.0.2.2. Session 1: curl --no-ftp-skip-pasv-ip obeys the 227 and sends its SYN to 10.0.2.2, which the router drops (only DNAT-ed and established traffic is forwarded). Session 2: curl's default (--ftp-skip-pasv-ip) connects to the control address 203.0.113.1 at the announced port, which the router forwards: it works although the 227 is wrong."
	truth dnat-pasv-private-client dnat-pasv-private client \
		--intent-findings passive-private-address,passive-blocked --notes "$n Captured on the client."
	truth dnat-pasv-private-server dnat-pasv-private server \
		--notes "$n Captured on the server: there the 227 address is the server's own, session 1's SYN never arrives and the session ends without a transfer command."
}

sc_dnat-pasv-address() {
	topo_dnat
	nsx r iptables -t nat -A PREROUTING -i rc -p tcp --dport 40000:40049 -j DNAT --to-destination 10.0.2.2
	vsftpd_start pasv_address=203.0.113.1
	cap_start dnat-pasv-address-client c eth0 "$SNAP"
	cap_start dnat-pasv-address-server s eth0 "$SNAP"
	nsx c "${CURL[@]}" --disable-epsv --no-ftp-skip-pasv-ip "ftp://$SRV/small.txt"
	nsx c "${CURL[@]}" --disable-epsv --no-ftp-skip-pasv-ip "ftp://$SRV/pub/"
	cap_stop
	local n="Server 10.0.2.2 behind a router that forwards 203.0.113.1:21 and :40000-40049 (DNAT), configured correctly: vsftpd pasv_address=203.0.113.1, so its 227 announces the public address. curl obeys the 227 (--no-ftp-skip-pasv-ip): PASV RETR, PASV LIST; both work."
	truth dnat-pasv-address-client dnat-pasv-address client --intent-healthy --notes "$n Captured on the client: the 227 address is the control address."
	truth dnat-pasv-address-server dnat-pasv-address server --intent-healthy --intent-findings address-rewritten \
		--notes "$n Captured on the server, behind the NAT: the 227 announces 203.0.113.1 while the server's control address is 10.0.2.2, and the data connections arrive at 10.0.2.2 at the announced port."
}

sc_port-bounce-refused() {
	topo_routed
	vsftpd_start
	cap_start port-bounce-refused c eth0 "$SNAP"
	nsx c "${CURL[@]}" -P 10.0.1.2:25-25 --disable-eprt "ftp://$SRV/small.txt" 2>>"$WORK/logs/client.err" || true
	cap_stop
	truth port-bounce-refused port-bounce-refused client --intent-findings ftp-bounce \
		--notes "curl -P 10.0.1.2:25-25 sends PORT 10,0,1,2,0,25: the client's own address but the privileged port 25 (the shape of an FTP bounce towards a mail server). vsftpd's default port_promiscuous=NO refuses it: 500 Illegal PORT command. No data connection. Captured on the client."
}

sc_snat-port-nohelper() {
	topo_snat
	vsftpd_start port_promiscuous=YES connect_from_port_20=NO
	cap_start snat-port-nohelper-client c eth0 "$SNAP"
	cap_start snat-port-nohelper-server s eth0 "$SNAP"
	nsx c "${CURL[@]}" -P - --disable-eprt "ftp://$SRV/small.txt" 2>>"$WORK/logs/client.err" || true
	cap_stop
	local n="Client 10.0.1.2 behind a masquerading router (198.51.100.1) without an FTP helper: curl's PORT carries 10,0,1,2. vsftpd runs with port_promiscuous=YES (its default NO would answer 500 Illegal PORT command) and connect_from_port_20=NO (together with port_promiscuous=YES, vsftpd 3.0.3 binds port 20 in its unprivileged process and fails with 500 OOPS: vsf_sysutil_bind), and sends its SYN from an ephemeral port to 10.0.1.2, which the router drops (it forwards only what the inside opened); 425 after connect_timeout=4 s."
	truth snat-port-nohelper-client snat-port-nohelper client \
		--intent-findings data-connection-missing,transfer-failed --notes "$n Captured on the client: PORT matches the client's own address there and the SYN never reaches it."
	truth snat-port-nohelper-server snat-port-nohelper server \
		--intent-findings active-private-address,active-blocked,transfer-failed --notes "$n Captured on the server."
}

sc_snat-port-helper() {
	if [[ $HAVE_CT_HELPER != yes ]]; then
		log "snat-port-helper skipped: this kernel has no conntrack FTP helper (iptables -t raw ... -j CT --helper ftp fails)"
		return 0
	fi
	topo_snat
	nsx r iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp
	vsftpd_start
	cap_start snat-port-helper-client c eth0 "$SNAP"
	cap_start snat-port-helper-server s eth0 "$SNAP"
	nsx c "${CURL[@]}" -P - --disable-eprt "ftp://$SRV/small.txt"
	nsx c "${CURL[@]}" -P - -T "$WORK/upload.bin" "ftp://$LAB_USER:$LAB_PASS@$SRV/upload/nat.bin"
	cap_stop
	local n="Client 10.0.1.2 behind a masquerading router (198.51.100.1) with the conntrack FTP helper (iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp; nf_conntrack_ftp + nf_nat_ftp built into this kernel). Session 1: curl PORT + RETR; session 2: curl EPRT + STOR. The helper rewrites the address in PORT and EPRT to 198.51.100.1 and opens the expectation; vsftpd's data connection from port 20 is forwarded to the client."
	truth snat-port-helper-client snat-port-helper client --helper-router active --intent-healthy --notes "$n Captured on the client (before the rewrite)."
	truth snat-port-helper-server snat-port-helper server --helper-router active --intent-healthy --notes "$n Captured on the server (after the rewrite)."
}

sc_ftps-explicit() {
	topo_routed
	make_cert
	vsftpd_start ssl_enable=YES "rsa_cert_file=$WORK/cert.pem" "rsa_private_key_file=$WORK/key.pem" \
		allow_anon_ssl=YES force_local_logins_ssl=YES force_local_data_ssl=YES require_ssl_reuse=NO ssl_ciphers=HIGH
	cap_start ftps-explicit c eth0 0
	# lftp, not curl: curl 7.88 with a TLS data connection sometimes reads the
	# SIZE reply as the answer to its EPSV (Bad PASV/EPSV response: 213).
	nsx c lftp -c "$LFTP_PRE; set ftp:ssl-allow yes; set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ssl:verify-certificate no; open -u $LAB_USER,$LAB_PASS ftp://$SRV; get small.txt -o $WORK/f1; cls pub" >/dev/null
	cap_stop
	truth ftps-explicit ftps-explicit client --intent-findings control-encrypted --intent-healthy \
		--notes "Explicit FTPS: vsftpd with a self-signed certificate made by openssl at run time; lftp with ftp:ssl-force sends AUTH TLS, everything after the 234 is TLS (USER, PASS, PASV, RETR, LIST unreadable), data connections are TLS too (PROT P). The data connections seen are listed in unmatched_data_connections. Captured on the client with the full snaplen, so the stream has no hole."
}

sc_mixed-port-pasv() {
	topo_routed
	vsftpd_start
	cap_start mixed-port-pasv c eth0 "$SNAP"
	nsx c lftp -c "$LFTP_PRE; open -u $LAB_USER,$LAB_PASS ftp://$SRV; set ftp:passive-mode off; get small.txt -o $WORK/m1; set ftp:passive-mode on; get readme.txt -o $WORK/m2; set ftp:passive-mode off; cls pub; set ftp:passive-mode on; put $WORK/upload.bin -o upload/mixed.bin; set ftp:passive-mode off; get medium.bin -o $WORK/m3" >/dev/null
	cap_stop
	truth mixed-port-pasv mixed-port-pasv client --intent-healthy \
		--notes "One lftp session as $LAB_USER toggling set ftp:passive-mode: PORT RETR, PASV RETR, PORT LIST, PASV STOR, PORT RETR. Captured on the client."
}

sc_aborted-transfer() {
	topo_routed
	vsftpd_start
	# Small socket buffers, or the whole file sits in them before curl is stopped.
	nsx c sysctl -qw net.ipv4.tcp_rmem="4096 32768 65536"
	nsx s sysctl -qw net.ipv4.tcp_wmem="4096 32768 65536"
	cap_start aborted-transfer c eth0 "$SNAP"
	# ip netns exec execs curl, so $! is curl itself. SIGTERM, not SIGINT: a
	# non-interactive shell starts background commands with SIGINT ignored.
	ip netns exec "${PFX}c" curl -sS --limit-rate 200k -o /dev/null "ftp://$SRV/big.bin" &
	local pid=$!
	sleep 1.5
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	sleep 1
	cap_stop
	truth aborted-transfer aborted-transfer client --intent-findings transfer-failed \
		--notes "curl --limit-rate 200k downloads big.bin (8 MiB) in EPSV mode and is killed with SIGTERM after 1.5 s, as a user pressing Ctrl-C would (curl has no handler for either signal and dies). Socket buffers are kept small (client tcp_rmem max 64 KiB, server tcp_wmem max 64 KiB), otherwise the whole file is in flight before the interrupt. The kernel closes both sockets (RST on the data connection, which still holds unread data); vsftpd's write fails and it sends 426 Failure writing network stream on the control connection, which the client no longer reads (RST). Captured on the client."
}

sc_port-2121() {
	topo_routed
	pureftpd_start 2121
	cap_start port-2121 c eth0 "$SNAP"
	nsx c lftp -c "$LFTP_PRE; open -p 2121 -u $LAB_USER,$LAB_PASS ftp://$SRV; cd $ROOT; set ftp:passive-mode on; get small.txt -o $WORK/p1; set ftp:passive-mode off; get readme.txt -o $WORK/p2; set ftp:passive-mode on; cls pub" >/dev/null
	cap_stop
	truth port-2121 port-2121 client --ports 2121 --intent-healthy \
		--notes "pure-ftpd 1.0.50 (run from its extracted Debian package) listening on port 2121, local user $LAB_USER (-l unix), multi-line 220 banner; lftp: PASV RETR, PORT RETR, PASV LIST. Analyse with --ports 2121."
}

sc_large-snaplen96() {
	topo_routed
	vsftpd_start
	nsx c sysctl -qw net.ipv4.tcp_timestamps=0
	cap_start large-snaplen96 c eth0 96
	nsx c "${CURL[@]}" -P - --disable-eprt "ftp://$SRV/big.bin"
	cap_stop
	truth large-snaplen96 large-snaplen96 client --intent-healthy --intent-findings control-gap \
		--notes "8 MiB download in active mode (PORT) captured with tcpdump -s 96 and TCP timestamps off on the client, so every frame keeps at most 42 bytes of TCP payload: enough for PORT 10,0,1,2,p1,p2 and the reply codes, not for the data, nor for the longer replies (150 Opening BINARY mode data connection for big.bin (8388608 bytes). is cut: control-gap), nor for a 227 line, which is why the transfer is active. Segments are as large as veth's GSO/GRO makes them. Captured on the client."
}

sc_fifty-sessions() {
	topo_routed two
	vsftpd_start
	cap_start fifty-sessions s eth0 "$SNAP"
	local i cl args
	for ((i = 0; i < 50; i++)); do
		cl=c
		((i % 2)) && cl=c2
		case $((i % 3)) in
		0) args=(--disable-epsv) ;;
		1) args=() ;;
		2) args=(-P - --disable-eprt) ;;
		esac
		nsx "$cl" "${CURL[@]}" "${args[@]}" "ftp://$SRV/pub/file$((i % 3 + 1)).txt"
	done
	cap_stop
	truth fifty-sessions fifty-sessions server --intent-healthy \
		--notes "Fifty short anonymous curl sessions, alternating between two clients (10.0.1.2, 10.0.3.2), cycling PASV, EPSV and PORT, each a RETR of a small file. Captured on the server."
}

sc_data-tuple-reused() {
	topo_routed
	# Linux reuses a TIME_WAIT tuple for an outgoing connection only with
	# tcp_tw_reuse=1 (and a timestamp a second newer); vsftpd's connect from
	# port 20 to the port curl names again then opens a new connection on
	# the four-tuple of the previous transfer.
	nsx s sysctl -qw net.ipv4.tcp_tw_reuse=1
	vsftpd_start
	cap_start data-tuple-reused s eth0 "$SNAP"
	nsx c "${CURL[@]}" -P 10.0.1.2:50000 --disable-eprt "ftp://$SRV/small.txt"
	sleep 1.2
	nsx c "${CURL[@]}" -P 10.0.1.2:50000 --disable-eprt "ftp://$SRV/readme.txt"
	cap_stop
	truth data-tuple-reused data-tuple-reused server --intent-healthy \
		--notes "Two curl sessions in active mode naming the same port (-P 10.0.1.2:50000) 1.2 s apart; vsftpd connects from port 20 both times (tcp_tw_reuse=1 on the server), so both data connections have the four-tuple 10.0.2.2:20 -> 10.0.1.2:50000, the second with a new initial sequence number. Captured on the server."
}

sc_vlan-tagged() {
	topo_routed
	vsftpd_start
	cap_start vlan-untagged c eth0 "$SNAP"
	nsx c "${CURL[@]}" --disable-epsv "ftp://$SRV/small.txt"
	nsx c "${CURL[@]}" -P - --disable-eprt "ftp://$SRV/readme.txt"
	sleep 0.3
	local p
	for p in "${CAP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${CAP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	CAP_PIDS=()
	CAP_FILES=()
	(cd "$REPO_DIR" && go run ./internal/labtest/vlantag -vid 100 "$WORK/vlan-untagged.pcap" "$OUT/captures/vlan-tagged.pcap")
	local how="tags added afterwards by internal/labtest/vlantag (802.1Q, VLAN 100, to every frame) because this kernel has no 8021q support"
	[[ $HAVE_VLAN == yes ]] && how="tags added afterwards by internal/labtest/vlantag (802.1Q, VLAN 100) so that the capture is the same on every kernel"
	truth vlan-tagged vlan-tagged client --intent-healthy \
		--notes "Real capture of two curl sessions (PASV RETR, PORT RETR) on the client; $how."
}

sc_any-sll2() {
	topo_routed
	vsftpd_start
	cap_start any-sll2 r any "$SNAP" -y LINUX_SLL2
	nsx c "${CURL[@]}" --disable-epsv "ftp://$SRV/small.txt"
	nsx c "${CURL[@]}" -P - --disable-eprt "ftp://$LAB_USER:$LAB_PASS@$SRV/readme.txt"
	cap_stop
	truth any-sll2 any-sll2 router --intent-healthy \
		--notes "tcpdump -i any -y LINUX_SLL2 in the router namespace (this tcpdump 4.99.3/libpcap 1.10.3 defaults to LINUX_SLL v1 for any, so SLL2 is asked for). Every forwarded packet appears twice: once arriving on rc or rs and once leaving on the other interface, with different interface indexes. curl PASV RETR anonymous, then PORT RETR as $LAB_USER."
}

sc_control-loss() {
	topo_routed
	vsftpd_start
	nsx r iptables -A FORWARD -p tcp --sport 21 -m statistic --mode nth --every 3 --packet 1 -j DROP
	nsx r iptables -A FORWARD -p tcp --dport 21 -m statistic --mode nth --every 4 --packet 2 -j DROP
	cap_start control-loss c eth0 "$SNAP"
	# curl's --connect-timeout covers the FTP login too, which the losses slow down.
	nsx c "${CURL[@]}" --connect-timeout 30 --max-time 60 --disable-epsv "ftp://$SRV/small.txt"
	nsx c "${CURL[@]}" --connect-timeout 30 --max-time 60 -P - --disable-eprt "ftp://$LAB_USER:$LAB_PASS@$SRV/readme.txt"
	cap_stop
	truth control-loss control-loss client --intent-healthy \
		--notes "Packet loss on the control connection only: the router drops every 3rd packet from port 21 and every 4th packet to port 21 (iptables -m statistic --mode nth, because this kernel has no tc netem). TCP retransmits, so the capture on the client has retransmissions and out-of-order arrivals but no hole. curl PASV RETR, then PORT RETR."
}

# ------------------------------------------------- control connection, logins, content

# fw_port21 RULE... puts a firewall rule for TCP port 21 into the router's
# FORWARD chain: between client and server, where a perimeter firewall sits.
fw_port21() { nsx r iptables -A FORWARD -p tcp --dport 21 "$@"; }

sc_control-dropped() {
	topo_routed
	vsftpd_start
	fw_port21 -j DROP
	cap_start control-dropped c eth0 "$SNAP"
	# The kernel retransmits the SYN after 1 s and 3 s: two SYNs before curl gives up at 2 s.
	nsx c "${CURL[@]}" --connect-timeout 2 "ftp://$SRV/small.txt" 2>>"$WORK/logs/client.err" || true
	cap_stop
	truth control-dropped control-dropped client --intent-findings control-blocked \
		--notes "A firewall between client and server drops the control connection: the router's FORWARD chain has iptables -p tcp --dport 21 -j DROP. curl --connect-timeout 2: the SYN to 10.0.2.2:21 and its retransmission 1 s later go unanswered, curl gives up after 2 s without a word of FTP. vsftpd runs behind the firewall. Captured on the client."
}

sc_control-refused-rst() {
	topo_routed
	vsftpd_start
	fw_port21 -j REJECT --reject-with tcp-reset
	cap_start control-refused-rst c eth0 "$SNAP"
	nsx c "${CURL[@]}" --connect-timeout 2 "ftp://$SRV/small.txt" 2>>"$WORK/logs/client.err" || true
	cap_stop
	truth control-refused-rst control-refused-rst client --intent-findings control-blocked \
		--notes "A firewall between client and server refuses the control connection with a TCP reset: the router's FORWARD chain has iptables -p tcp --dport 21 -j REJECT --reject-with tcp-reset, so the RST carries the server's address (as a closed port would). curl's SYN is answered by RST+ACK at once: Connection refused. Captured on the client."
}

sc_control-refused-icmp() {
	topo_routed
	vsftpd_start
	fw_port21 -j REJECT --reject-with icmp-admin-prohibited
	cap_start control-refused-icmp c eth0 "$SNAP"
	nsx c "${CURL[@]}" --connect-timeout 2 "ftp://$SRV/small.txt" 2>>"$WORK/logs/client.err" || true
	cap_stop
	truth control-refused-icmp control-refused-icmp client --intent-findings control-blocked \
		--notes "A firewall between client and server refuses the control connection with ICMP: the router's FORWARD chain has iptables -p tcp --dport 21 -j REJECT --reject-with icmp-admin-prohibited. The ICMP destination unreachable (type 3, code 13, communication administratively prohibited) comes from the router's address 10.0.1.1, not from the server, and quotes curl's SYN; curl fails at once. Captured on the client."
}

sc_login-wrong-password() {
	topo_routed
	vsftpd_start
	cap_start login-wrong-password c eth0 "$SNAP"
	# --connect-timeout covers the login, and the 530 comes about 3 s after PASS.
	nsx c "${CURL[@]}" --connect-timeout 10 "ftp://$LAB_USER:not-$LAB_PASS@$SRV/small.txt" 2>>"$WORK/logs/client.err" || true
	cap_stop
	truth login-wrong-password login-wrong-password client --intent-findings login-failed \
		--notes "curl as local user $LAB_USER with a wrong password: USER answered 331, PASS answered 530 Login incorrect about 3 s later (pam_unix's failure delay of about 2 s, then vsftpd's delay_failed_login of 1 s); curl gives up and closes. No data channel. Captured on the client."
}

sc_login-brute-force() {
	topo_routed
	vsftpd_start
	cat >"$WORK/brute.py" <<'EOF'
# A password guesser as hydra runs one: several connections at once, each
# trying guesses until vsftpd hangs up after max_login_fails (3).
import ftplib, sys, threading
host, user, conns, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
words = ["123456", "password", "admin", "letmein", "qwerty", "ftp", "welcome", "abc123", "secret",
         "changeme", "monkey", "dragon", "master", "root", "test", "guest", "111111", "sunshine"]
def guess(i):
    ftp = ftplib.FTP(timeout=10)
    ftp.connect(host, 21)
    for pw in words[i * per:(i + 1) * per]:
        try:
            ftp.login(user, pw)
            print("found", pw)
        except ftplib.error_perm:
            continue
        except (EOFError, OSError):
            break
    ftp.close()
threads = [threading.Thread(target=guess, args=(i,)) for i in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
EOF
	cap_start login-brute-force s eth0 "$SNAP"
	nsx c python3 "$WORK/brute.py" "$SRV" admin 6 3
	cap_stop
	truth login-brute-force login-brute-force server --intent-findings login-failed,login-brute-force \
		--notes "A password guesser on 10.0.1.2 (Python ftplib, six threads, as hydra -t 6 would) tries 18 common passwords for the user admin: six connections at once, three USER/PASS attempts each, every PASS answered 530 Login incorrect about 3 s later (pam_unix's failure delay, then vsftpd's delay_failed_login) until vsftpd closes the connection after max_login_fails=3. 18 failed logins within about 9 s. Captured on the server."
}

sc_retr-550() {
	topo_routed
	vsftpd_start
	cap_start retr-550 c eth0 "$SNAP"
	# cmd:fail-exit off, so that lftp goes on after each refusal.
	nsx c lftp -c "$LFTP_PRE; set cmd:fail-exit no; open ftp://$SRV; get no-such-file.txt -o $WORK/r1; set ftp:passive-mode off; get pub/missing.txt -o $WORK/r2; set ftp:passive-mode on; put $WORK/upload.bin -o upload/anon.bin; get small.txt -o $WORK/r3" \
		>/dev/null 2>>"$WORK/logs/client.err" || true
	cap_stop
	truth retr-550 retr-550 client --intent-findings transfer-rejected \
		--notes "One anonymous lftp session to vsftpd that asks for what the server refuses: RETR no-such-file.txt in passive mode (lftp opens the data connection first, then 550 Failed to open file), RETR pub/missing.txt in active mode (550, so vsftpd never connects: no data connection was due), STOR upload/anon.bin (550 Permission denied: anonymous uploads are off), then a RETR small.txt that works. Captured on the client."
}

sc_login-failed-then-ok() {
	topo_routed
	vsftpd_start
	cap_start login-failed-then-ok c eth0 "$SNAP"
	# One control connection: a mistyped password, then the right one.
	nsx c python3 -c '
import ftplib, sys
host, user, pw = sys.argv[1:4]
ftp = ftplib.FTP(timeout=10)
ftp.connect(host, 21)
try:
    ftp.login(user, pw + "x")
except ftplib.error_perm as e:
    print("first login:", e, file=sys.stderr)
ftp.login(user, pw)
ftp.retrbinary("RETR small.txt", lambda b: None)
ftp.quit()
' "$SRV" "$LAB_USER" "$LAB_PASS" 2>>"$WORK/logs/client.err"
	cap_stop
	truth login-failed-then-ok login-failed-then-ok client --intent-healthy \
		--notes "Python ftplib in one control connection: login as $LAB_USER with a mistyped password (USER 331, PASS 530 Login incorrect), then again with the right one (USER 331, PASS 230), PASV RETR small.txt, QUIT. One failed login, logged in: no login-failed. Captured on the client."
}

sc_filtered-port21() {
	topo_routed
	vsftpd_start
	cap_start filtered-port21 c eth0 "$SNAP" port 21
	nsx c "${CURL[@]}" --disable-epsv "ftp://$SRV/medium.bin"
	nsx c "${CURL[@]}" "ftp://$SRV/pub/"
	nsx c "${CURL[@]}" -P - --disable-eprt -T "$WORK/upload.bin" "ftp://$LAB_USER:$LAB_PASS@$SRV/upload/filtered.bin"
	cap_stop
	truth filtered-port21 filtered-port21 client --intent-healthy --intent-findings data-path-unseen \
		--notes "Three healthy curl sessions captured with the capture filter port 21 (tcpdump ... port 21), as users often capture FTP: PASV RETR medium.bin, EPSV LIST pub/, PORT STOR as $LAB_USER. Every transfer ends with 226, and no data connection is in the capture. Captured on the client."
}

sc_content-2121-beside-smtp() {
	topo_routed
	LISTEN_PORT=2121 vsftpd_start listen_port=2121
	cat >"$WORK/smtpd.py" <<'EOF'
# Enough of an SMTP server to greet with 220 as FTP servers do.
import socketserver
class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 mail.lab ESMTP\r\n")
        for line in self.rfile:
            verb = line.split()[0].upper() if line.split() else b""
            if verb == b"EHLO":
                self.wfile.write(b"250-mail.lab\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 2.0.0 Bye\r\n")
                return
            else:
                self.wfile.write(b"250 2.0.0 OK\r\n")
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("0.0.0.0", 25), Handler).serve_forever()
EOF
	nsx s python3 "$WORK/smtpd.py" >>"$WORK/logs/smtpd.out" 2>&1 &
	wait_listen s 25
	cap_start content-2121-beside-smtp c eth0 "$SNAP"
	# The SMTP client talks while the FTP sessions run (smtplib sends its
	# verbs in lower case: ehlo, noop, quit).
	nsx c python3 -c '
import smtplib, sys, time
s = smtplib.SMTP(sys.argv[1], 25, local_hostname="client.lab", timeout=10)
s.ehlo()
time.sleep(0.3)
s.noop()
time.sleep(0.3)
s.quit()
' "$SRV" &
	local smtp=$! i
	for ((i = 0; i < 50; i++)); do
		nsx c ss -tnH state established "dport = :25" 2>/dev/null | grep -q . && break
		sleep 0.05
	done
	nsx c "${CURL[@]}" "ftp://$SRV:2121/small.txt"
	nsx c "${CURL[@]}" -P - --disable-eprt "ftp://$SRV:2121/pub/"
	wait "$smtp"
	cap_stop
	truth content-2121-beside-smtp content-2121-beside-smtp client --intent-healthy --intent-findings nonstandard-control-port \
		--notes "vsftpd on port 2121 (listen_port=2121) and beside it, on port 25, a Python SMTP-like server (220 mail.lab ESMTP, 250 lines to EHLO, 221 to QUIT). At the same time: Python smtplib (ehlo, noop, quit, in lower case as smtplib sends them) and two curl sessions to port 2121: EPSV RETR small.txt, PORT LIST pub/ (vsftpd connects from port 20). Analysed without --ports: the FTP sessions are found by their content (220, then USER), the SMTP one (220, then ehlo) is no FTP session; it is listed among unmatched_data_connections as every TCP connection that is neither FTP control nor announced is. Captured on the client."
}

# ------------------------------------------------- firewall FTP helper, idle timers, FXP

# need_helper SCENARIO returns false (and says so) when this kernel has no
# conntrack FTP helper: the helper scenarios are skipped.
need_helper() {
	[[ $HAVE_CT_HELPER == yes ]] && return 0
	log "$1 skipped: this kernel has no conntrack FTP helper (iptables -t raw ... -j CT --helper ftp fails)"
	return 1
}

FW_RULES="the router's FORWARD chain accepts conntrack ESTABLISHED,RELATED and new TCP SYNs to the control port only, in both directions, and drops everything else (policy DROP); the conntrack FTP helper is attached to port 21 (iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp; nf_conntrack_ftp is built into this kernel)"

sc_helper-opens() {
	need_helper helper-opens || return 0
	topo_fw
	vsftpd_start
	cap_start helper-opens c eth0 "$SNAP"
	nsx c "${CURL[@]}" -P - --disable-eprt "ftp://$SRV/small.txt"
	nsx c "${CURL[@]}" --disable-epsv "ftp://$SRV/readme.txt"
	nsx c "${CURL[@]}" -P - -T "$WORK/upload.bin" "ftp://$LAB_USER:$LAB_PASS@$SRV/upload/fw.bin"
	nsx c "${CURL[@]}" "ftp://$SRV/pub/"
	cap_stop
	truth helper-opens helper-opens client --helper-router active,passive --intent-healthy \
		--notes "A stateful firewall between client 10.0.1.2 and server 10.0.2.2, no NAT: $FW_RULES. Every data connection below is a new connection to a port other than 21, so it crosses the router only because the helper read its announcement and made an expectation (RELATED). Four curl sessions to vsftpd: PORT RETR, PASV RETR, EPRT STOR as $LAB_USER, EPSV LIST; every data connection is established (vsftpd connects from port 20 for PORT and EPRT). Captured on the client."
}

# split_port_py writes a client that speaks FTP by hand and sends its PORT
# command in two TCP segments: "PORT 10,0,1,2," and, 50 ms later, the rest
# of the line (TCP_NODELAY, so that each send() is a segment of its own).
split_port_py() {
	cat >"$WORK/split_port.py" <<'PYEOF'
import socket, sys, time
host, addr, wait = sys.argv[1], sys.argv[2], float(sys.argv[3])
def log(*a):
    print("split_port:", *a, file=sys.stderr, flush=True)
c = socket.create_connection((host, 21), timeout=5)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = c.makefile("rb")
def reply():
    line = f.readline().decode("latin-1")
    code = line[:3]
    if line[3:4] == "-":
        while not (line[:3] == code and line[3:4] == " "):
            line = f.readline().decode("latin-1")
    log("<", line.strip())
    return line
def cmd(text):
    log(">", text)
    c.sendall(text.encode() + b"\r\n")
    return reply()
reply()
if cmd("USER anonymous").startswith("331"):
    cmd("PASS lab@")
cmd("TYPE I")
ls = socket.socket()
ls.bind((addr, 0))
ls.listen(1)
ls.settimeout(10)
port = ls.getsockname()[1]
first = "PORT " + addr.replace(".", ",") + ","
rest = "%d,%d" % (port >> 8, port & 255)
log("> %s | %s" % (first, rest))
c.sendall(first.encode())
time.sleep(0.05)
c.sendall(rest.encode() + b"\r\n")
c.settimeout(wait)
try:
    reply()
except OSError as e:
    log("no reply to PORT after %g s (%s): giving up" % (wait, e))
    sys.exit(1)
c.settimeout(15)
if cmd("RETR small.txt").startswith("150"):
    d, _ = ls.accept()
    n = 0
    while True:
        b = d.recv(65536)
        if not b:
            break
        n += len(b)
    d.close()
    log("data connection: %d bytes" % n)
    reply()
cmd("QUIT")
PYEOF
}

sc_helper-split-port() {
	need_helper helper-split-port || return 0
	topo_fw
	vsftpd_start
	split_port_py
	cap_start helper-split-port-client c eth0 "$SNAP"
	cap_start helper-split-port-server s eth0 "$SNAP"
	nsx c python3 "$WORK/split_port.py" "$SRV" 10.0.1.2 6 2>>"$WORK/logs/client.err" || true
	# Without SACK the client's retransmission carries both parts at once.
	nsx c sysctl -qw net.ipv4.tcp_sack=0
	nsx c python3 "$WORK/split_port.py" "$SRV" 10.0.1.2 6 2>>"$WORK/logs/client.err" || true
	cap_stop
	local n="A Python client speaking FTP by hand (TCP_NODELAY) sends PORT in two segments, 'PORT 10,0,1,2,' and 50 ms later the rest of the line, through the firewall of helper-opens: $FW_RULES. nf_conntrack_ftp parses each segment from its first byte; a segment that starts a PORT but does not hold the whole line is a partial match, which it drops (NF_DROP). Session 1, the client's default TCP with SACK: the rest of the line passes (it does not start after a newline, the helper ignores it) and the server SACKs it, so every retransmission of the first segment (0.2, 0.6, 1.4, 3.1 s...) carries only 'PORT 10,0,1,2,' again and is dropped again; PORT is never answered and the client gives up after 6 s (its FIN stays queued behind the unacknowledged bytes). Session 2, tcp_sack=0 on the client: the server cannot SACK the rest, so the client's retransmission 0.2 s later collapses both parts into one segment holding the whole line; the helper parses it, makes the expectation, 200 PORT, and vsftpd's data connection from port 20 crosses the router: RETR works."
	truth helper-split-port-client helper-split-port client --helper-router active,passive --intent-findings helper-would-miss \
		--notes "$n Captured on the client."
	truth helper-split-port-server helper-split-port server --helper-router active,passive --intent-findings control-gap \
		--notes "$n Captured on the server: in session 1 the first 14 bytes of the PORT line never arrive (the router dropped every copy), so its stream has a 14-byte hole and the rest of the line arrives as a line of its own (control-gap: bytes that never reached the server); session 2 is whole."
}

sc_helper-port-2121() {
	need_helper helper-port-2121 || return 0
	topo_fw 2121
	LISTEN_PORT=2121 vsftpd_start listen_port=2121
	cap_start helper-port-2121-client c eth0 "$SNAP"
	cap_start helper-port-2121-server s eth0 "$SNAP"
	nsx c "${CURL[@]}" -P - --disable-eprt "ftp://$SRV:2121/small.txt" 2>>"$WORK/logs/client.err" || true
	nsx c "${CURL[@]}" --disable-epsv "ftp://$SRV:2121/readme.txt" 2>>"$WORK/logs/client.err" || true
	cap_stop
	local n="vsftpd on port 2121 behind the firewall of helper-opens, with its port opened for the control connection: ${FW_RULES/control port/control port 2121}. The helper watches port 21 only, so it never reads these announcements. Session 1: curl PORT RETR; vsftpd's SYN from port 20 to the client is dropped by the router, retransmitted until connect_timeout=4 s, 425. Session 2: curl PASV RETR; curl's SYN to the PASV port is dropped by the router, retransmitted, curl gives up after --connect-timeout 3 (no RETR). Analyse with --ports 2121."
	truth helper-port-2121-client helper-port-2121 client --ports 2121 --helper-router active,passive \
		--intent-findings data-connection-missing,transfer-failed,passive-blocked,helper-would-miss \
		--notes "$n Captured on the client: vsftpd's SYNs never reach it."
	truth helper-port-2121-server helper-port-2121 server --ports 2121 --helper-router active,passive \
		--intent-findings active-blocked,transfer-failed,helper-would-miss \
		--notes "$n Captured on the server: curl's passive SYNs never reach it and session 2 has no transfer command, so only session 1 shows the failure."
}

sc_helper-ftps() {
	need_helper helper-ftps || return 0
	topo_fw
	make_cert
	vsftpd_start ssl_enable=YES "rsa_cert_file=$WORK/cert.pem" "rsa_private_key_file=$WORK/key.pem" \
		allow_anon_ssl=YES force_local_logins_ssl=YES force_local_data_ssl=YES require_ssl_reuse=NO ssl_ciphers=HIGH
	cap_start helper-ftps-client c eth0 0
	cap_start helper-ftps-server s eth0 0
	local tls="set ftp:ssl-allow yes; set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ssl:verify-certificate no"
	nsx c lftp -c "$LFTP_PRE; $tls; set ftp:passive-mode off; open -u $LAB_USER,$LAB_PASS ftp://$SRV; get small.txt -o $WORK/t1" \
		>/dev/null 2>>"$WORK/logs/client.err" || true
	nsx c lftp -c "$LFTP_PRE; $tls; set ftp:passive-mode on; open -u $LAB_USER,$LAB_PASS ftp://$SRV; get readme.txt -o $WORK/t2" \
		>/dev/null 2>>"$WORK/logs/client.err" || true
	cap_stop
	local n="Explicit FTPS through the firewall of helper-opens: $FW_RULES. After AUTH TLS the helper sees only TLS records, never a PORT or a 227, so it opens nothing. Session 1: lftp in active mode; vsftpd's SYN from port 20 to the port named in the encrypted PORT is dropped by the router, retransmitted until connect_timeout=4 s, and lftp gives up. Session 2: lftp in passive mode; its SYN to the port of the encrypted 227 is dropped, retransmitted until lftp's net:timeout (5 s). Full snaplen, so the TLS stream has no hole."
	truth helper-ftps-client helper-ftps client --helper-router active,passive --intent-findings control-encrypted,helper-would-miss \
		--notes "$n Captured on the client: session 2's unanswered SYNs are there (session 1's SYNs never reach the client)."
	truth helper-ftps-server helper-ftps server --helper-router active,passive --intent-findings control-encrypted,helper-would-miss \
		--notes "$n Captured on the server: session 1's unanswered SYNs from port 20 are there (session 2's SYNs never reach the server)."
}

sc_idle-timeout() {
	topo_routed
	nsx r iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	nsx r iptables -A FORWARD -i rc -p tcp --syn -m conntrack --ctstate NEW -j ACCEPT
	nsx r iptables -P FORWARD DROP
	nsx r sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=10
	# Small socket buffers, so that the data connection lasts as long as
	# the client reads, and vsftpd's 226 comes at the end.
	nsx c sysctl -qw net.ipv4.tcp_rmem="4096 16384 16384"
	nsx s sysctl -qw net.ipv4.tcp_wmem="4096 16384 16384"
	vsftpd_start
	cap_start idle-timeout-client c eth0 "$SNAP"
	cap_start idle-timeout-server s eth0 "$SNAP"
	# lftp, not curl: curl 7.88's --limit-rate let this download finish in 3 s.
	nsx c lftp -c "$LFTP_PRE; set net:limit-rate 16384; set net:timeout 6; open ftp://$SRV; get slow.bin -o $WORK/slow.out" \
		>/dev/null 2>>"$WORK/logs/client.err" || true
	sleep 2
	cap_stop
	local n="A router whose conntrack forgets an established TCP connection after 10 s without a packet (net.netfilter.nf_conntrack_tcp_timeout_established=10 in its namespace); its FORWARD chain accepts ESTABLISHED,RELATED and new SYNs from the client side, and drops everything else (policy DROP: a packet of a forgotten connection is NEW without SYN, loose pickup, and is dropped). lftp (net:limit-rate 16384) downloads slow.bin (256 KiB) over PASV in about 15 s; small socket buffers on both ends keep the data flowing that long. The control connection carries nothing after the 150 until vsftpd's 226 about 13.6 s later: by then the router has forgotten it and drops the 226 and every retransmission. lftp waits net:timeout=6 s after the last data, gives up on the old control connection (its FIN is dropped too and retransmitted), logs in again on a new one (a new SYN passes) and quits."
	truth idle-timeout-client idle-timeout client --intent-findings control-idle-timeout \
		--notes "$n Captured on the client: the 226 never arrives."
	truth idle-timeout-server idle-timeout server --intent-findings control-idle-timeout \
		--notes "$n Captured on the server: the 226 is sent and retransmitted, never acknowledged."
}

# topo_lan: client 198.51.100.10 and two servers 198.51.100.21 and .22 on one
# Ethernet segment, a bridge in the namespace sw (the switch); tcpdump on br0
# (promiscuous) sees every frame between them once, as a mirror port would.
topo_lan() {
	ns_new sw c s s2
	ip -n "${PFX}sw" link add br0 type bridge
	ip -n "${PFX}sw" link set br0 up
	local n
	for n in c s s2; do
		ip -n "${PFX}sw" link add "p$n" type veth peer name eth0 netns "${PFX}$n"
		ip -n "${PFX}sw" link set "p$n" master br0 up
		ip -n "${PFX}$n" link set eth0 up
	done
	addr c eth0 198.51.100.10/24
	addr s eth0 198.51.100.21/24
	addr s2 eth0 198.51.100.22/24
}

sc_fxp() {
	topo_lan
	# The source server accepts a PORT naming another host (and then cannot
	# bind port 20, hence connect_from_port_20=NO); the destination accepts
	# a data connection from another host than its client.
	vsftpd_start port_promiscuous=YES connect_from_port_20=NO
	VSFTPD_NS=s2 vsftpd_start pasv_promiscuous=YES
	cap_start fxp sw br0 "$SNAP"
	nsx c lftp -c "$LFTP_PRE; set ftp:use-fxp yes; get ftp://198.51.100.21/medium.bin -o ftp://$LAB_USER:$LAB_PASS@198.51.100.22/upload/fxp.bin" \
		>/dev/null
	cap_stop
	truth fxp fxp switch --intent-healthy --intent-findings fxp-transfer \
		--notes "FXP: lftp on 198.51.100.10 with ftp:use-fxp copies medium.bin (32 KiB) from vsftpd on 198.51.100.21 (anonymous, port_promiscuous=YES, connect_from_port_20=NO) to vsftpd on 198.51.100.22 (as $LAB_USER, pasv_promiscuous=YES). lftp opens both control connections, sends PASV to the destination and a PORT naming the destination's 227 address and port to the source, then RETR and STOR; the source connects to the destination and the data goes server to server. Captured on the bridge that joins the three hosts (tcpdump -i br0, as on a mirror port): both control connections and the data connection."
}

# ---------------------------------------------------------------- main

main() {
	mkdir -p "$OUT/captures" "$OUT/truth"
	OUT=$(cd "$OUT" && pwd)
	ensure_tools
	ensure_user
	kernel_probe
	make_ftproot
	local s failed=() t0=$SECONDS
	for s in "${SCENARIOS[@]}"; do
		log "scenario $s"
		if [[ -n ${FTPSCOPE_LAB_TRACE:-} ]]; then
			PS4='+ $EPOCHREALTIME '
			set -x
		fi
		# In the background and waited for, so that a signal to this shell is
		# handled at once (cleanup) instead of after the scenario.
		(
			set -e
			"sc_$s"
		) &
		SC_PID=$!
		local rc=0
		wait "$SC_PID" || rc=$?
		SC_PID=
		if [[ $rc -ne 0 ]]; then
			failed+=("$s")
			log "scenario $s FAILED (exit $rc)"
		fi
		ns_teardown
	done
	run_truth_jobs || failed+=(truth.py)
	log "done in $((SECONDS - t0)) s; captures: $(du -cb "$OUT"/captures/*.pcap 2>/dev/null | tail -1 | cut -f1) bytes"
	if [[ ${#failed[@]} -gt 0 ]]; then
		die "failed scenarios: ${failed[*]}"
	fi
}

main
