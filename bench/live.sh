#!/usr/bin/env bash
# Measures the highest rate at which ftpscope captures and analyses live
# traffic without the kernel dropping a packet, on one socket and on a
# fanout group of several (--workers): tcpreplay plays the benchmark's
# synthetic capture into a veth pair between two network namespaces made
# for the run, at each rate in turn, while ftpscope -i sniffs the other
# end. Needs root.
#
#   bench/live.sh [SESSIONS]      # default 20000 sessions (~911k packets, ~270 MB)
#
# Environment:
#   SEED=1                 seed of the capture (as bench/run.sh; a capture it made is reused)
#   WORKERS="1 2"          the --workers values measured
#   RATES="100000 ..."     packets per second asked of tcpreplay, in order; "max" is
#                          tcpreplay --topspeed (default: 100k to 500k, then max)
#   SETTLE=3               seconds between the end of the replay and Ctrl-C to ftpscope
#   BENCH_DIR              where the capture is kept (default /tmp/ftpscope-bench, shared with
#                          bench/run.sh); the binaries are built for the run
#
# One line per run: the rate asked and the rate tcpreplay reached, the packets
# ftpscope read on each socket and the kernel's drops on each, ftpscope's CPU
# time, and whether its JSON report holds every session with its data channel
# established (bench/checkreport) and every packet played was captured (a
# sender faster than the veth's receiving side loses packets in the kernel's
# receive backlog, before any socket: counted apart). Then, per --workers value, the highest rate
# with no drop and a complete report. Only private namespaces are used: the
# frames never leave the veth pair (their MAC addresses are nobody's there, so
# neither namespace's IP stack takes them).
# Exit status 0 when every run finished, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

SESSIONS=${1:-20000}
SEED=${SEED:-1}
WORKERS=${WORKERS:-1 2}
RATES=${RATES:-100000 150000 200000 250000 300000 350000 400000 500000 max}
SETTLE=${SETTLE:-3}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/ftpscope-bench}

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "live capture in network namespaces needs root"
need_apt() {
	if command -v apt-get >/dev/null; then
		echo "bench: installing $1 from Debian" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "$1" >/dev/null
	fi
}
command -v tcpreplay >/dev/null || need_apt tcpreplay || true
command -v tcpreplay >/dev/null || die "tcpreplay is missing: apt-get install tcpreplay"
[ -x /usr/bin/time ] || need_apt time || true
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is missing: apt-get install time"
command -v ip >/dev/null || die "ip (iproute2) is missing"

mkdir -p "$BENCH_DIR"
work=$(mktemp -d "$BENCH_DIR/live.XXXXXX")
NS_C=ftpscope-bench-$$-c
NS_S=ftpscope-bench-$$-s
DEV_C=fbench$$c
DEV_S=fbench$$s
cleanup() {
	ip netns del "$NS_C" 2>/dev/null || true
	ip netns del "$NS_S" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
bin=$work/bin
mkdir -p "$bin"

echo "building ftpscope and the bench tools ..."
go build -o "$bin/ftpscope" ./cmd/ftpscope
go build -o "$bin/checkreport" ./bench/checkreport
go build -o "$bin/synth" ./internal/synth/cmd/synth

# The capture bench/run.sh makes, under the same name.
genhash=$(cat internal/synth/big.go internal/synth/bulk.go internal/synth/tape.go internal/synth/tcp.go \
	internal/synth/ftp.go internal/synth/write.go | sha1sum | cut -c1-10)
CAP="$BENCH_DIR/big-$SESSIONS-s$SEED-$genhash.pcap"
if [ ! -s "$CAP" ] || [ ! -s "$CAP.stats" ]; then
	echo "generating $SESSIONS sessions into $CAP ..."
	"$bin/synth" big -sessions "$SESSIONS" -seed "$SEED" -o "$CAP.tmp" >"$CAP.stats.tmp"
	mv "$CAP.tmp" "$CAP" && mv "$CAP.stats.tmp" "$CAP.stats"
fi
for kv in $(cat "$CAP.stats"); do
	case $kv in
	passive=*) P=${kv#*=} ;; active=*) A=${kv#*=} ;; packets=*) PKTS=${kv#*=} ;;
	esac
done

ip netns add "$NS_C"
ip netns add "$NS_S"
ip -n "$NS_C" link add "$DEV_C" type veth peer name "$DEV_S" netns "$NS_S"
ip -n "$NS_C" link set "$DEV_C" up
ip -n "$NS_S" link set "$DEV_S" up

echo "capture: $CAP, $SESSIONS sessions ($P passive, $A active), $PKTS packets"
echo "machine: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-7s %-8s %10s %10s  %-28s %-14s %7s  %s\n' workers rate "asked pps" "sent pps" "packets per socket" "drops" "cpu s" report
rows=$work/rows
: >"$rows"
failed=0

# softnet_drops: packets the kernel dropped from its per-CPU receive
# backlogs (netdev_max_backlog), where a veth's receiver falls behind its
# sender, before any packet socket sees them.
softnet_drops() {
	local s=0 _ d
	while read -r _ d _; do s=$((s + 16#$d)); done </proc/net/softnet_stat
	echo "$s"
}

# run W RATE: one replay at RATE with ftpscope --workers W sniffing.
run() {
	local w=$1 rate=$2 pid i sent actual line packets drops cpu check ok=1
	# tcp or udp: the frames played, not the IPv6 neighbour discovery of
	# the veth pair itself.
	ip netns exec "$NS_S" /usr/bin/time -f '%U %S' -o "$work/time" \
		"$bin/ftpscope" -i "$DEV_S" -o json -q -v --workers "$w" tcp or udp >"$work/report.json" 2>"$work/stderr" &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '^listening on' "$work/stderr" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q '^listening on' "$work/stderr"; then
		cat "$work/stderr" >&2
		kill "$(pgrep -P "$pid")" 2>/dev/null || true
		die "ftpscope --workers $w did not start"
	fi
	local speed=(--pps="$rate")
	[ "$rate" = max ] && speed=(--topspeed)
	local backlog0 backlog1
	backlog0=$(softnet_drops)
	# -K: the capture is read into memory first, so the disk does not pace it.
	ip netns exec "$NS_C" tcpreplay -K -i "$DEV_C" "${speed[@]}" "$CAP" >"$work/replay" 2>&1 || { cat "$work/replay" >&2; die "tcpreplay failed"; }
	backlog1=$(softnet_drops)
	sleep "$SETTLE"
	# ip netns exec has become GNU time, which ignores SIGINT: signal
	# ftpscope, its child.
	kill -INT "$(pgrep -P "$pid")"
	wait "$pid" || ok=0
	sent=$(sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p' "$work/replay" | head -1)
	actual=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' "$work/replay" | head -1)
	line=$(grep -E '^ftpscope: [^ ]+: [0-9]+ sockets?: ' "$work/stderr" || true)
	packets=$(sed -n 's/.*sockets\{0,1\}: \(.*\) packets, .*/\1/p' <<<"$line" | sed 's/ and /+/; s/, /+/g')
	drops=$(sed -n 's/.* packets, \(.*\) dropped by the kernel/\1/p' <<<"$line" | sed 's/ and /+/; s/, /+/g')
	cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$work/time")
	if check=$("$bin/checkreport" -passive "$P" -active "$A" <"$work/report.json" 2>&1); then
		check="complete"
	else
		check="INCOMPLETE: $(tr '\n' ' ' <<<"$check" | head -c 100)"
	fi
	[ "$actual" = "$PKTS" ] || check="$check (tcpreplay sent $actual of $PKTS)"
	local captured lost
	captured=$(tr '+' ' ' <<<"$packets" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s }')
	lost=$((PKTS - captured))
	if [ "$lost" != 0 ]; then
		check="$check; $lost packets not captured ($((backlog1 - backlog0)) dropped by the kernel's receive backlog)"
	fi
	[ -n "$line" ] || { ok=0; check="no sockets line: $(tr '\n' ' ' <"$work/stderr" | head -c 200)"; }
	printf '%-7s %-8s %10s %10.0f  %-28s %-14s %7s  %s\n' "$w" "$rate" "$([ "$rate" = max ] && echo - || echo "$rate")" "${sent:-0}" "$packets" "$drops" "$cpu" "$check"
	printf '%s %s %s %s %s\n' "$w" "$rate" "${sent:-0}" "$(tr '+' ' ' <<<"$drops" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s }')" "$([ "$check" = complete ] && [ "$lost" = 0 ] && echo 1 || echo 0)" >>"$rows"
	[ "$ok" = 1 ] || failed=1
}

for w in $WORKERS; do
	for rate in $RATES; do
		run "$w" "$rate"
	done
done

echo
echo "highest rate with no kernel drop and a complete report (tcpreplay's rate reached):"
for w in $WORKERS; do
	best=$(awk -v w="$w" '$1 == w && $4 == 0 && $5 == 1 && $3 > b { b = $3 } END { printf "%.0f", b }' "$rows")
	echo "  --workers $w: $best packets/s"
done
exit "$failed"
