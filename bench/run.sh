#!/usr/bin/env bash
# Benchmarks ftpscope's speed and memory on a large synthetic capture, side
# by side with the bare read+decode loop it is built on and with tshark.
#
#   bench/run.sh [SESSIONS]        # default 20000 sessions (~270 MB, ~911k packets)
#
# Environment:
#   SEED=1                 seed of the capture (timing and file sizes)
#   REPEAT=2               runs of each ftpscope/baseline command; the least wall and CPU
#                          times are shown
#   TSHARK_SESSIONS=5000   sessions of the capture tshark is timed on (it takes ~2 ms of
#                          CPU per session); when below SESSIONS, a second table compares
#                          ftpscope and tshark on that smaller capture. Set it to SESSIONS
#                          to time tshark on the big one, 0 to skip tshark.
#   TSHARK_REPEAT=1        runs of tshark
#   BENCH_DIR              where binaries and captures go (default /tmp/ftpscope-bench);
#                          a capture is reused while its size, seed and generator are the same
#
# Every timed output is checked, so a broken analysis cannot pass: ftpscope's JSON must
# report every session with its one data channel established (bench/checkreport), the
# table must list them all, the HTML page must show them all (bench/htmlload, which also
# times how long headless Chromium takes to open it), and tshark must see every PASV/PORT
# and 226.
# Exit status 0 when every check passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

SESSIONS=${1:-20000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-2}
TSHARK_SESSIONS=${TSHARK_SESSIONS:-5000}
TSHARK_REPEAT=${TSHARK_REPEAT:-1}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/ftpscope-bench}
TSHARK_FILTER='ftp || ftp-data'

die() { echo "bench: $*" >&2; exit 1; }
[[ $SESSIONS =~ ^[0-9]+$ && $SESSIONS -gt 0 ]] || die "SESSIONS must be a positive number, not '$SESSIONS'"
[[ $TSHARK_SESSIONS =~ ^[0-9]+$ ]] || die "TSHARK_SESSIONS must be a number"

# Tools: GNU time for peak RSS; tshark for the comparison.
need_apt() {
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "bench: installing $1 from Debian" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "$1" >/dev/null
	fi
}
[ -x /usr/bin/time ] || need_apt time
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is missing: apt-get install time"
if [ "$TSHARK_SESSIONS" -gt 0 ] && ! command -v tshark >/dev/null; then
	need_apt tshark || true
	command -v tshark >/dev/null || { echo "bench: tshark missing, skipping it" >&2; TSHARK_SESSIONS=0; }
fi
# Chromium opens the HTML report to time its load.
chromium_path() { command -v chromium || command -v chromium-browser || command -v google-chrome || true; }
CHROMIUM=$(chromium_path)
if [ -z "$CHROMIUM" ]; then
	need_apt chromium || true
	CHROMIUM=$(chromium_path)
	[ -n "$CHROMIUM" ] || echo "bench: chromium missing: the HTML page is measured but not opened" >&2
fi

mkdir -p "$BENCH_DIR/bin"
work=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
bin=$BENCH_DIR/bin

echo "building ftpscope and the bench tools ..."
go build -o "$bin/ftpscope" ./cmd/ftpscope
for t in gencap decodeloop checkreport htmlload; do go build -o "$bin/$t" "./bench/$t"; done

# The generator's sources name the capture, so that a change to it makes a new one.
genhash=$(cat internal/synth/big.go internal/synth/tape.go internal/synth/tcp.go internal/synth/ftp.go internal/synth/write.go | sha1sum | cut -c1-10)

# capture N: sets CAP to a capture of N sessions (generated or reused) and
# P/A/PKTS/FTPPKTS/NOISE/SPAN from its stats.
capture() {
	local n=$1 base="$BENCH_DIR/big-$1-s$SEED"
	CAP="$base-$genhash.pcap"
	if [ ! -s "$CAP" ] || [ ! -s "$CAP.stats" ]; then
		rm -f "$base"-*.pcap "$base"-*.pcap.stats
		echo "generating $n sessions into $CAP ..."
		/usr/bin/time -f '%e s wall, %U s user' -o "$work/gentime" \
			"$bin/gencap" -sessions "$n" -seed "$SEED" -o "$CAP.tmp" >"$CAP.stats.tmp"
		mv "$CAP.tmp" "$CAP" && mv "$CAP.stats.tmp" "$CAP.stats"
		echo "  took $(tail -1 "$work/gentime")"
	fi
	local kv
	for kv in $(cat "$CAP.stats"); do
		case $kv in
		passive=*) P=${kv#*=} ;; active=*) A=${kv#*=} ;; packets=*) PKTS=${kv#*=} ;;
		ftp_packets=*) FTPPKTS=${kv#*=} ;; noise_packets=*) NOISE=${kv#*=} ;; span=*) SPAN=${kv#*=} ;;
		esac
	done
	[ $((P + A)) = "$n" ] || die "$CAP.stats says $P passive + $A active sessions, want $n"
}

# measure LABEL REPS OUT CMD...: runs CMD REPS times under GNU time with its
# stdout in OUT and appends to $work/rows the least wall time, the least CPU
# time (user + sys) and the largest peak RSS of the runs. A failing command
# ends the benchmark.
measure() {
	local label=$1 reps=$2 out=$3 i wall user sys rss runs=""
	shift 3
	for ((i = 1; i <= reps; i++)); do
		if ! /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$out" 2>"$work/stderr"; then
			cat "$work/stderr" >&2
			die "$label failed: $*"
		fi
		read -r wall user sys rss < <(tail -1 "$work/time")
		runs+="$wall $user $sys $rss"$'\n'
	done
	printf '%s\t%s\n' "$label" "$(printf '%s' "$runs" | awk '
		NR == 1 || $1 < w { w = $1 }
		NR == 1 || $2 + $3 < c { c = $2 + $3 }
		$4 > r { r = $4 }
		END { printf "%s %.2f %d", w, c, r }')" >>"$work/rows"
}

# table BYTES PACKETS: prints the rows measured so far; ratios are to the
# row labelled "decode loop".
table() {
	awk -F'\t' -v bytes="$1" -v pkts="$2" '
		{ split($2, f, " "); label[NR] = $1; wall[NR] = f[1]; cpu[NR] = f[2]; rss[NR] = f[3]
		  if ($1 ~ /^decode loop/) { bw = f[1]; bc = f[2] } }
		END {
			printf "%-34s %7s %7s %11s %8s %9s %8s %8s\n", "tool", "wall s", "cpu s", "packets/s", "MB/s", "RSS MiB", "wall x", "cpu x"
			for (i = 1; i <= NR; i++) {
				w = (wall[i] > 0) ? wall[i] : 0.01
				printf "%-34s %7.2f %7.2f %11.0f %8.1f %9.1f %8s %8s\n", label[i], wall[i], cpu[i],
					pkts / w, bytes / w / 1e6, rss[i] / 1024,
					((bw > 0) ? sprintf("%.1f", wall[i] / bw) : "-"), ((bc > 0) ? sprintf("%.1f", cpu[i] / bc) : "-")
			}
		}' "$work/rows"
}

ok=1
fail() { echo "CHECK FAILED: $*"; ok=0; }

# bench N TSHARK: measures every tool on a capture of N sessions, tshark too
# when TSHARK is 1, then checks every output and prints the table.
bench() {
	local n=$1 with_tshark=$2 bytes
	capture "$n"
	bytes=$(stat -c %s "$CAP")
	echo
	echo "== $n sessions ($P passive, $A active): $CAP"
	echo "   $PKTS packets ($FTPPKTS FTP, $NOISE DNS/HTTPS noise), $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB, $SPAN of traffic"
	echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
	: >"$work/rows"
	measure "read only (capture.OpenFiles)" "$REPEAT" "$work/read.out" "$bin/decodeloop" -mode read -r "$CAP"
	measure "decode loop (baseline)" "$REPEAT" "$work/decode.out" "$bin/decodeloop" -mode decode -r "$CAP"
	measure "analysis only, no report" "$REPEAT" "$work/analyse.out" "$bin/decodeloop" -mode analyse -o none -r "$CAP"
	measure "ftpscope -o json" "$REPEAT" "$work/report.json" "$bin/ftpscope" -r "$CAP" -o json -q
	# -o table lists every session (the default output would be the summary);
	# COLUMNS=200 keeps the closing totals line on one line for the check.
	measure "ftpscope -o table" "$REPEAT" "$work/report.txt" env COLUMNS=200 "$bin/ftpscope" -r "$CAP" -o table -q
	measure "ftpscope -o html" "$REPEAT" "$work/report.html" "$bin/ftpscope" -r "$CAP" -o html -q
	if [ "$with_tshark" = 1 ]; then
		measure "tshark -Y '$TSHARK_FILTER'" "$TSHARK_REPEAT" "$work/tshark.out" \
			tshark -n -r "$CAP" -Y "$TSHARK_FILTER" -T fields -e frame.number -e ftp.request.command -e ftp.response.code
	fi
	echo "   load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	table "$bytes" "$PKTS"
	echo
	local got
	for m in read decode analyse; do
		got=$(sed -n 's/.* packets=\([0-9]*\) .*/\1/p' "$work/$m.out")
		[ "$got" = "$PKTS" ] || fail "decodeloop -mode $m read $got packets, want $PKTS"
	done
	got=$(sed -n 's/.* sessions=\([0-9]*\) .*/\1/p' "$work/analyse.out")
	[ "$got" = "$n" ] || fail "decodeloop -mode analyse found $got sessions, want $n"
	if out=$("$bin/checkreport" -passive "$P" -active "$A" <"$work/report.json" 2>&1); then
		echo "check json:   $out"
	else
		fail "ftpscope -o json: $out"
	fi
	local listed summary
	listed=$(grep -cE '^  OK: 1 (passive|active) transfer$' "$work/report.txt" || true)
	summary=$(tail -1 "$work/report.txt")
	if [ "$listed" = "$n" ] && [[ $summary == *" $n FTP sessions, $n data channels;"* ]]; then
		echo "check table:  $listed sessions each with 'OK: 1 transfer'; '$summary'"
	else
		fail "ftpscope -o table: $listed sessions OK, want $n; last line '$summary'"
	fi
	# The page: every session drawn or listed, its size, and how long
	# headless Chromium takes to open it (least/median of 3 loads).
	local html_bytes
	html_bytes=$(stat -c %s "$work/report.html")
	if [ -n "$CHROMIUM" ]; then
		if out=$("$bin/htmlload" -sessions "$n" -repeat 3 -chromium "$CHROMIUM" "$work/report.html" 2>&1); then
			echo "check html:   $out"
		else
			fail "ftpscope -o html: $out"
		fi
	else
		echo "check html:   bytes=$html_bytes (no Chromium: load time not measured)"
	fi
	[ "$html_bytes" -lt 10000000 ] || fail "ftpscope -o html: the page is $html_bytes bytes, want under 10 MB"
	if [ "$with_tshark" = 1 ]; then
		local counts
		counts=$(awk -F'\t' '$2 == "PASV" { pasv++ } $2 == "PORT" { port++ } $3 == "226" { done++ } $2 == "" && $3 == "" { data++ }
			END { printf "%d %d %d %d", pasv, port, done, data }' "$work/tshark.out")
		read -r pasv port done data <<<"$counts"
		if [ "$pasv" = "$P" ] && [ "$port" = "$A" ] && [ "$done" = "$n" ] && [ "$data" -ge $((n * 5)) ]; then
			echo "check tshark: $pasv PASV, $port PORT, $done replies 226, $data ftp-data frames"
		else
			fail "tshark: $pasv PASV (want $P), $port PORT (want $A), $done 226 (want $n), $data ftp-data frames (want >= $((n * 5)))"
		fi
	fi
}

tshark_here=0
if [ "$TSHARK_SESSIONS" -ge "$SESSIONS" ]; then tshark_here=1; fi
echo "$(go version); $(tshark -v 2>/dev/null | head -1 || true)"
echo "best of $REPEAT runs (tshark: $TSHARK_REPEAT), wall and cpu (user + sys) each the least seen, RSS the largest;"
echo "packets/s and MB/s per wall second;"
echo "x = ratio to the decode loop; RSS = peak resident set size (GNU time)."
echo "tshark -n -Y '$TSHARK_FILTER' dissects every frame (TCP analysis, FTP, PASV/PORT -> ftp-data"
echo "conversations) and prints frame number, FTP command and reply code of the FTP frames."
bench "$SESSIONS" "$tshark_here"
if [ "$TSHARK_SESSIONS" -gt 0 ] && [ "$tshark_here" = 0 ]; then
	echo
	echo "tshark is timed on a smaller capture (TSHARK_SESSIONS=$TSHARK_SESSIONS; TSHARK_SESSIONS=$SESSIONS times it on the big one):"
	bench "$TSHARK_SESSIONS" 1
fi
echo
if [ "$ok" = 1 ]; then echo "all checks passed"; else echo "some checks FAILED"; exit 1; fi
