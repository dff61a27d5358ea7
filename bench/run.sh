#!/usr/bin/env bash
# Benchmarks ftpscope's speed and memory on two large synthetic captures, side
# by side with the bare read+decode loop it is built on and with tshark, then
# its peak memory on the five flood captures of ../shared/floods, and prints
# the goals of issue 13 as met or not met.
#
#   bench/run.sh [SESSIONS]        # default 20000 sessions (~270 MB, ~911k packets)
#
# The captures: SESSIONS FTP sessions with a little DNS and HTTPS beside them
# (half of all packets are FTP control segments), and a mixed capture of about
# 1 GB where long HTTPS-like downloads between other hosts make FTP about 10 %
# of the packets (synth big -ftp-share).
#
# Environment:
#   SEED=1                 seed of the captures (timing and file sizes)
#   REPEAT=3               runs of each ftpscope/baseline command, taken in turn; the least
#                          wall and CPU times are shown
#   MIXED_SESSIONS=2800    FTP sessions of the mixed capture (2800: ~1.03 GB, ~1.07 M
#                          packets); 0 skips it
#   MIXED_SHARE=0.1        share of the mixed capture's packets that are FTP
#   TSHARK_SESSIONS        sessions of the FTP capture tshark is timed on; by default
#                          SESSIONS, the big capture itself (~40 s of CPU for 20000). When
#                          below SESSIONS, a second table compares ftpscope and tshark on
#                          that smaller capture. 0 skips tshark, on the mixed capture too.
#   TSHARK_REPEAT=1        runs of tshark
#   FLOODS                 the flood script run as "$FLOODS BIN" (default
#                          ../shared/floods/run.sh; skipped with a message when missing);
#                          0 skips the floods
#   BENCH_DIR              where binaries and captures go (default /tmp/ftpscope-bench);
#                          a capture is reused while its size, seed and generator are the same
#
# Every timed output is checked, so a broken analysis cannot pass: ftpscope's JSON must
# report every session with its one data channel established (bench/checkreport), with
# one worker and with all the same report, the table must list them all, the HTML page
# must show them all (bench/htmlload, which also times how long headless Chromium takes
# to open it), tshark must see every PASV/PORT and 226, and no flood may crash ftpscope.
# Goals not met are reported in the closing summary, not as failed checks.
# Exit status 0 when every check passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

SESSIONS=${1:-20000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-3}
MIXED_SESSIONS=${MIXED_SESSIONS:-2800}
MIXED_SHARE=${MIXED_SHARE:-0.1}
TSHARK_SESSIONS=${TSHARK_SESSIONS:-$SESSIONS}
TSHARK_REPEAT=${TSHARK_REPEAT:-1}
FLOODS=${FLOODS:-../shared/floods/run.sh}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/ftpscope-bench}
TSHARK_FILTER='ftp || ftp-data'

die() { echo "bench: $*" >&2; exit 1; }
[[ $SESSIONS =~ ^[0-9]+$ && $SESSIONS -gt 0 ]] || die "SESSIONS must be a positive number, not '$SESSIONS'"
[[ $REPEAT =~ ^[0-9]+$ && $REPEAT -gt 0 ]] || die "REPEAT must be a positive number"
[[ $TSHARK_SESSIONS =~ ^[0-9]+$ ]] || die "TSHARK_SESSIONS must be a number"
[[ $MIXED_SESSIONS =~ ^[0-9]+$ ]] || die "MIXED_SESSIONS must be a number"
awk -v s="$MIXED_SHARE" 'BEGIN { exit !(s + 0 > 0 && s + 0 < 1) }' || die "MIXED_SHARE must be above 0 and below 1"

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
CPUS=$(nproc)

echo "building ftpscope and the bench tools ..."
go build -o "$bin/ftpscope" ./cmd/ftpscope
for t in decodeloop checkreport htmlload; do go build -o "$bin/$t" "./bench/$t"; done
go build -o "$bin/synth" ./internal/synth/cmd/synth

# The generator's sources name the capture, so that a change to it makes a new one.
genhash=$(cat internal/synth/big.go internal/synth/bulk.go internal/synth/tape.go internal/synth/tcp.go \
	internal/synth/ftp.go internal/synth/write.go | sha1sum | cut -c1-10)

# capture N [SHARE]: sets CAP to a capture of N sessions (generated or reused),
# with bulk traffic making FTP about SHARE of the packets when SHARE is given,
# and P/A/PKTS/FTPPKTS/NOISE/BULK/SPAN from its stats.
capture() {
	local n=$1 share=${2:-} base="$BENCH_DIR/big-$1-s$SEED" gen=()
	if [ -n "$share" ]; then
		base="$BENCH_DIR/mixed-$1-ftp$(awk -v s="$share" 'BEGIN { print s * 100 }')pct-s$SEED"
		gen=(-ftp-share "$share")
	fi
	CAP="$base-$genhash.pcap"
	if [ ! -s "$CAP" ] || [ ! -s "$CAP.stats" ]; then
		rm -f "$base"-*.pcap "$base"-*.pcap.stats
		echo "generating $n sessions${share:+ (FTP $share of the packets)} into $CAP ..."
		/usr/bin/time -f '%e s wall, %U s user, %M KiB peak RSS' -o "$work/gentime" \
			"$bin/synth" big -sessions "$n" -seed "$SEED" "${gen[@]}" -o "$CAP.tmp" >"$CAP.stats.tmp"
		mv "$CAP.tmp" "$CAP" && mv "$CAP.stats.tmp" "$CAP.stats"
		echo "  took $(tail -1 "$work/gentime")"
	fi
	local kv
	BULK=0
	for kv in $(cat "$CAP.stats"); do
		case $kv in
		passive=*) P=${kv#*=} ;; active=*) A=${kv#*=} ;; packets=*) PKTS=${kv#*=} ;;
		ftp_packets=*) FTPPKTS=${kv#*=} ;; noise_packets=*) NOISE=${kv#*=} ;;
		bulk_packets=*) BULK=${kv#*=} ;; span=*) SPAN=${kv#*=} ;;
		esac
	done
	[ $((P + A)) = "$n" ] || die "$CAP.stats says $P passive + $A active sessions, want $n"
}

# plan KEY LABEL OUT CMD...: adds CMD, with its stdout going to OUT, to the
# commands the next measure runs; KEY names its row (decode and tshark are
# the rows ratios are taken to).
plan() {
	local key=$1 label=$2 out=$3
	shift 3
	KEYS+=("$key") LABELS+=("$label") OUTS+=("$out") CMDS+=("$(printf '%q ' "$@")")
}

# measure REPS: runs the planned commands REPS times under GNU time, round
# robin (every command once, then every command again), so that a burst of
# other work on the machine slows every row alike, and appends to
# $work/rows for each the least wall time, the least CPU time (user + sys)
# and the largest peak RSS (KiB) of its runs. A failing command ends the
# benchmark.
measure() {
	local reps=$1 i j wall user sys rss
	for ((i = 1; i <= reps; i++)); do
		for j in "${!CMDS[@]}"; do
			if ! eval "/usr/bin/time -f '%e %U %S %M' -o \"\$work/time\" ${CMDS[j]}" >"${OUTS[j]}" 2>"$work/stderr"; then
				cat "$work/stderr" >&2
				die "${LABELS[j]} failed: ${CMDS[j]}"
			fi
			read -r wall user sys rss < <(tail -1 "$work/time")
			printf '%s %s %s %s %s\n' "$j" "$wall" "$user" "$sys" "$rss" >>"$work/runs"
		done
	done
	for j in "${!CMDS[@]}"; do
		printf '%s\t%s\t%s\n' "${KEYS[j]}" "${LABELS[j]}" "$(awk -v j="$j" '$1 == j' "$work/runs" | awk '
			NR == 1 || $2 < w { w = $2 }
			NR == 1 || $3 + $4 < c { c = $3 + $4 }
			$5 > r { r = $5 }
			END { printf "%s %.2f %d", w, c, r }')" >>"$work/rows"
	done
	KEYS=() LABELS=() OUTS=() CMDS=()
	: >"$work/runs"
}
KEYS=() LABELS=() OUTS=() CMDS=()

# table BYTES PACKETS: prints the rows measured so far. "x dec" is the ratio
# to the row keyed decode (the decode loop), "x tshark" to the row keyed
# tshark.
table() {
	awk -F'\t' -v bytes="$1" -v pkts="$2" '
		{ split($3, f, " "); key[NR] = $1; label[NR] = $2; wall[NR] = f[1]; cpu[NR] = f[2]; rss[NR] = f[3]
		  if ($1 == "decode") { bw = f[1]; bc = f[2] }
		  if ($1 == "tshark") { tw = f[1]; tc = f[2]; tr = f[3] } }
		function ratio(a, b, fmt) { return (b > 0) ? sprintf(fmt, a / b) : "-" }
		END {
			printf "%-34s %7s %7s %10s %7s %8s | %6s %6s | %6s %6s %6s\n", "", "", "", "", "", "", \
				"x dec", "x dec", "x ts", "x ts", "x ts"
			printf "%-34s %7s %7s %10s %7s %8s | %6s %6s | %6s %6s %6s\n", "tool", "wall s", "cpu s", "packets/s", \
				"MB/s", "RSS MiB", "wall", "cpu", "wall", "cpu", "RSS"
			for (i = 1; i <= NR; i++) {
				w = (wall[i] > 0) ? wall[i] : 0.01
				printf "%-34s %7.2f %7.2f %10.0f %7.1f %8.1f | %6s %6s | %6s %6s %6s\n", label[i], wall[i], cpu[i],
					pkts / w, bytes / w / 1e6, rss[i] / 1024,
					ratio(wall[i], bw, "%.2f"), ratio(cpu[i], bc, "%.2f"),
					ratio(wall[i], tw, "%.3f"), ratio(cpu[i], tc, "%.3f"), ratio(rss[i], tr, "%.3f")
			}
		}' "$work/rows"
}

# result TAG KEY FIELD: prints FIELD (wall, cpu or rss in MiB) of the row
# keyed KEY of the capture tagged TAG, or nothing.
result() {
	awk -F'\t' -v tag="$1" -v key="$2" -v field="$3" '
		$1 == tag && $2 == key { split($4, f, " "); if (field == "wall") print f[1]; else if (field == "cpu") print f[2]; else printf "%.1f\n", f[3] / 1024 }' \
		"$work/results"
}

ok=1
fail() { echo "CHECK FAILED: $*"; ok=0; }

# loadavg TAG: prints the load average before TAG's runs, and a warning when
# other work shares the CPUs: wall times then grow, the all-core rows most.
LOADS=""
loadavg() {
	local l
	l=$(cut -d' ' -f1 /proc/loadavg)
	LOADS+="$1 $l, "
	echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $CPUS CPUs"
	if awk -v l="$l" -v c="$CPUS" 'BEGIN { exit !(l > c / 2) }'; then
		echo "   (the machine is busy: wall times, of the all-core rows most, are longer than on a quiet one)"
	fi
}

# bench TAG N SHARE TSHARK FULL: measures every tool on a capture of N
# sessions (mixed with bulk traffic when SHARE is not empty), tshark too when
# TSHARK is 1 and the table and HTML reports too when FULL is 1, then checks
# every output, prints the table and keeps the rows under TAG for the
# summary.
bench() {
	local tag=$1 n=$2 share=$3 with_tshark=$4 full=$5 bytes
	capture "$n" "$share"
	bytes=$(stat -c %s "$CAP")
	echo
	if [ -n "$share" ]; then
		echo "== mixed: $n FTP sessions ($P passive, $A active) among bulk HTTPS-like downloads: $CAP"
	else
		echo "== $n sessions ($P passive, $A active): $CAP"
	fi
	echo "   $PKTS packets ($FTPPKTS FTP, $(awk -v f="$FTPPKTS" -v p="$PKTS" 'BEGIN { printf "%.1f", 100 * f / p }') %;" \
		"$NOISE DNS/HTTPS noise, of which $BULK bulk), $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB, $SPAN of traffic"
	loadavg "$tag"
	: >"$work/rows"
	plan read "read only (capture.OpenFiles)" "$work/read.out" "$bin/decodeloop" -mode read -r "$CAP"
	plan decode "decode loop (baseline)" "$work/decode.out" "$bin/decodeloop" -mode decode -r "$CAP"
	plan analyse "analysis only, no report, 1 worker" "$work/analyse.out" "$bin/decodeloop" -mode analyse -o none -r "$CAP"
	plan json1 "ftpscope -o json --workers 1" "$work/report1.json" "$bin/ftpscope" -r "$CAP" -o json -q --workers 1
	plan json "ftpscope -o json ($CPUS workers)" "$work/report.json" "$bin/ftpscope" -r "$CAP" -o json -q
	if [ "$full" = 1 ]; then
		# -o table lists every session (the default output would be the summary);
		# COLUMNS=200 keeps the closing totals line on one line for the check.
		plan table "ftpscope -o table" "$work/report.txt" env COLUMNS=200 "$bin/ftpscope" -r "$CAP" -o table -q
		plan html "ftpscope -o html" "$work/report.html" "$bin/ftpscope" -r "$CAP" -o html -q
	fi
	measure "$REPEAT"
	if [ "$with_tshark" = 1 ]; then
		plan tshark "tshark -Y '$TSHARK_FILTER'" "$work/tshark.out" \
			tshark -n -r "$CAP" -Y "$TSHARK_FILTER" -T fields -e frame.number -e ftp.request.command -e ftp.response.code
		measure "$TSHARK_REPEAT"
	fi
	echo "   load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	table "$bytes" "$PKTS"
	awk -v tag="$tag" '{ print tag "\t" $0 }' "$work/rows" >>"$work/results"
	echo
	local got m
	for m in read decode analyse; do
		got=$(sed -n 's/.* packets=\([0-9]*\) .*/\1/p' "$work/$m.out")
		[ "$got" = "$PKTS" ] || fail "decodeloop -mode $m read $got packets, want $PKTS"
	done
	got=$(sed -n 's/.* sessions=\([0-9]*\) .*/\1/p' "$work/analyse.out")
	if [ "$got" = "$n" ]; then
		echo "check analysis: $got sessions found in $PKTS packets"
	else
		fail "decodeloop -mode analyse found $got sessions, want $n"
	fi
	if out=$("$bin/checkreport" -passive "$P" -active "$A" <"$work/report.json" 2>&1); then
		echo "check json:   $out"
	else
		fail "ftpscope -o json: $out"
	fi
	# The report is the same for every number of workers; only the time
	# taken differs.
	if cmp -s <(grep -v '"elapsed_ms":' "$work/report1.json") <(grep -v '"elapsed_ms":' "$work/report.json"); then
		echo "check json:   --workers 1 and $CPUS workers write the same report"
	else
		fail "ftpscope -o json: the reports of --workers 1 and $CPUS workers differ"
	fi
	if [ "$full" = 1 ]; then
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
	fi
	if [ "$with_tshark" = 1 ]; then
		local counts pasv port done data
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

# floods: runs the flood script on ftpscope and keeps its rows for the
# summary. A crash, timeout or exit status above 1 is a failed check; a peak
# RSS over the limit is a goal not met.
floods() {
	echo
	if [ "$FLOODS" = 0 ]; then
		echo "== floods: skipped (FLOODS=0)"
		return
	fi
	if [ ! -x "$FLOODS" ]; then
		echo "== floods: $FLOODS not found, skipped (FLOODS=PATH names the flood script)"
		return
	fi
	echo "== floods: $FLOODS $bin/ftpscope (ftpscope -r FILE -o json on $CPUS workers)"
	loadavg floods
	"$FLOODS" "$bin/ftpscope" | tee "$work/floods.out" || true
	local bad
	bad=$(awk '$1 ~ /\.pcap$/ && $7 != "ok" && !/peak RSS over/' "$work/floods.out")
	[ -z "$bad" ] || fail "floods: $bad"
	grep -q '^floods: ' "$work/floods.out" || fail "floods: $FLOODS printed no closing line"
}

# summary: the goals of issue 13 against the figures of this run.
summary() {
	local w d r
	echo
	echo "== goals (issue 13), from this run; wall times are the least of $REPEAT runs"
	echo "   load average before each part: ${LOADS}now $(cut -d' ' -f1 /proc/loadavg) on $CPUS CPUs"
	printf '%-46s %-28s %-34s %s\n' "capture" "goal" "measured" "verdict"
	verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo "NOT MET"; fi; }
	goal_ratio() { # TAG TITLE LIMIT
		w=$(result "$1" json wall) d=$(result "$1" decode wall)
		# GNU time has hundredths of a second.
		[ "$d" != 0.00 ] || d=0.01
		if [ -z "$w" ] || [ -z "$d" ]; then
			printf '%-46s %-28s %-34s %s\n' "$2" "<= $3x decode loop (wall)" "not measured" "-"
			return
		fi
		printf '%-46s %-28s %-34s %s\n' "$2" "<= $3x decode loop (wall)" \
			"$(awk -v w="$w" -v d="$d" 'BEGIN { printf "%.2fx (%.2f s / %.2f s)", w / d, w, d }')" \
			"$(verdict "$w / $d <= $3")"
	}
	goal_ratio ftp "$SESSIONS FTP sessions, -o json, $CPUS CPUs" 2.0
	r=$(result ftp json rss)
	printf '%-46s %-28s %-34s %s\n' "" "< 100 MiB" "$r MiB" "$(verdict "$r < 100")"
	if [ "$MIXED_SESSIONS" -gt 0 ]; then
		goal_ratio mixed "mixed, $(awk -v b="$MIXED_BYTES" 'BEGIN { printf "%.2f GB", b / 1e9 }'), FTP $MIXED_PCT % of packets, -o json" 1.3
	else
		printf '%-46s %-28s %-34s %s\n' "mixed capture" "<= 1.3x decode loop (wall)" "skipped (MIXED_SESSIONS=0)" "-"
	fi
	if [ -s "$work/floods.out" ]; then
		awk '$1 ~ /\.pcap$/ {
			v = ($5 < 200) ? "met" : "NOT MET"
			if ($7 != "ok" && $0 !~ /peak RSS over/) v = "NOT MET (" substr($0, index($0, $7)) ")"
			printf "%-46s %-28s %-34s %s\n", "flood " $1, "< 200 MiB", $5 " MiB, " $4 " s", v
		}' "$work/floods.out"
	else
		printf '%-46s %-28s %-34s %s\n' "floods" "< 200 MiB each" "not run" "-"
	fi
}

: >"$work/results"
tshark_here=0
if [ "$TSHARK_SESSIONS" -ge "$SESSIONS" ]; then tshark_here=1; fi
echo "$(go version); $(tshark -v 2>/dev/null | head -1 || true); $CPUS CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
echo "best of $REPEAT runs taken in turn (tshark: $TSHARK_REPEAT), wall and cpu (user + sys) each the least seen, RSS the largest;"
echo "packets/s and MB/s per wall second; RSS = peak resident set size (GNU time);"
echo "x dec = ratio to the decode loop, x ts = ratio to tshark (0.050: a twentieth of tshark's)."
echo "tshark -n -Y '$TSHARK_FILTER' dissects every frame (TCP analysis, FTP, PASV/PORT -> ftp-data"
echo "conversations, DNS, TLS) and prints frame number, FTP command and reply code of the FTP frames."
bench ftp "$SESSIONS" "" "$tshark_here" 1
if [ "$TSHARK_SESSIONS" -gt 0 ] && [ "$tshark_here" = 0 ]; then
	echo
	echo "tshark is timed on a smaller capture (TSHARK_SESSIONS=$TSHARK_SESSIONS; TSHARK_SESSIONS=$SESSIONS times it on the big one):"
	bench small "$TSHARK_SESSIONS" "" 1 1
fi
MIXED_BYTES=0 MIXED_PCT=0
if [ "$MIXED_SESSIONS" -gt 0 ]; then
	bench mixed "$MIXED_SESSIONS" "$MIXED_SHARE" "$([ "$TSHARK_SESSIONS" -gt 0 ] && echo 1 || echo 0)" 0
	MIXED_BYTES=$(stat -c %s "$CAP")
	MIXED_PCT=$(awk -v f="$FTPPKTS" -v p="$PKTS" 'BEGIN { printf "%.1f", 100 * f / p }')
fi
floods
summary
echo
if [ "$ok" = 1 ]; then echo "all checks passed"; else echo "some checks FAILED"; exit 1; fi
