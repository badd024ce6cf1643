# Shared by bench/run and bench/all: settings, sign-in, result lines. Sourced, not run.
# shellcheck shell=bash

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"

: "${RAPPORT_URL:=http://127.0.0.1:8080}"
: "${RAPPORT_ADMIN_EMAIL:=admin@rapport.localhost}"
: "${RAPPORT_ADMIN_PASSWORD:=bench-admin-password}"
: "${BENCH_RESULTS:=$BENCH_DIR/results}"
: "${BENCH_IDS:=$BENCH_RESULTS/ids.txt}"
: "${BENCH_DURATION:=30}"
: "${BENCH_LATENCY_DURATION:=60}"
: "${BENCH_CONNECTIONS:=32}"
: "${BENCH_THREADS:=2}"
: "${BENCH_NGINX_PORT:=8089}"
: "${BENCH_SEARCH_TERMS:=zhang}"
: "${BENCH_LIST_QUERY:=lifecycle_stage=customer&limit=50}"
OHA="${OHA:-$BENCH_DIR/.tools/bin/oha}"
export RAPPORT_URL RAPPORT_ADMIN_EMAIL RAPPORT_ADMIN_PASSWORD BENCH_IDS BENCH_SEARCH_TERMS BENCH_LIST_QUERY

die() { echo "bench: $*" >&2; exit 1; }

need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || [ -x "$tool" ] || die "$tool is missing: run bench/setup"
  done
}

# The access token of the administrator.
login_token() {
  local body
  body=$(printf '{"email":"%s","password":"%s"}' "$RAPPORT_ADMIN_EMAIL" "$RAPPORT_ADMIN_PASSWORD")
  curl -sf -X POST "$RAPPORT_URL/api/v1/auth/login" -H 'content-type: application/json' -d "$body" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' ||
    die "cannot sign in as $RAPPORT_ADMIN_EMAIL at $RAPPORT_URL (is the server up, with RAPPORT_ADMIN_PASSWORD?)"
}

# VmRSS of a process in kB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# Samples VmRSS of $1 every 100 ms into $2 (the peak so far) until killed.
rss_sampler() {
  local pid=$1 out=$2 peak=0 now
  while kill -0 "$pid" 2>/dev/null; do
    now=$(rss_kb "$pid")
    if [ "${now:-0}" -gt "$peak" ]; then peak=$now; echo "$peak" > "$out"; fi
    sleep 0.1
  done
}

# key=value from a line of key=value pairs: kv LINE KEY
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2; exit}'; }

# The median of numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print ""; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
