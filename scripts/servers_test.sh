#!/usr/bin/env bash
# Tests of scripts/servers.sh in isolation: it must stop exactly what it started, by PID, and
# leave everything else alone. No dockerd, registry, apt-get or systemctl is run: stand-ins on
# PATH take their place (a fake dockerd that spawns a fake containerd and a detached fake shim
# with a container init, as the real ones do; a fake registry listening on its port). Decoys that
# must survive: a copy of sleep named docker-registry, a `tail -f` of a log under DW_T (an
# unrelated process naming DW_T in its arguments), and a stale shim.pid naming the first decoy.
#
#   bash scripts/servers_test.sh        (exit 0 = pass; prints what failed otherwise)
set -uo pipefail
cd "$(dirname "$0")/.."
unset DW_T

FAILS=0
fail() { printf 'FAIL: %s\n' "$*" >&2; FAILS=$((FAILS + 1)); }
pass() { printf 'ok: %s\n' "$*" >&2; }

# Alive = exists and is not a zombie.
alive() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    [ "${s%% *}" != Z ]
}

WORK=$(mktemp -d /tmp/dw-servers-test.XXXXXX)
STUBS=$WORK/bin
DECOYS=()
cleanup() {
    local p
    for p in "${DECOYS[@]}" "${STARTED[@]:-}"; do
        [ -n "$p" ] && alive "$p" && kill -9 "$p" 2>/dev/null
    done
    [ -n "${DW_T:-}" ] && rm -rf "$DW_T"
    rm -rf "$WORK"
}
STARTED=()
trap cleanup EXIT

mkdir -p "$STUBS" "$WORK/decoy"
# Anything that kills by name must not run at all: these record the call and kill nothing.
for name in pkill killall; do
    printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\nexit 0\n' "$name" "$WORK" >"$STUBS/$name"
done
# The service managers and apt: record their arguments.
for name in systemctl invoke-rc.d service apt-get; do
    printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\nexit 0\n' "$name" "$WORK" >"$STUBS/$name"
done
# dpkg-query: every package installed except those listed in $WORK/missing.
cat >"$STUBS/dpkg-query" <<EOF
#!/bin/sh
for a in "\$@"; do p=\$a; done
grep -qx "\$p" "$WORK/missing" 2>/dev/null && exit 1
printf 'install ok installed'
EOF
# docker CLI: `docker -H … version` answers at once.
printf '#!/bin/sh\nexit 0\n' >"$STUBS/docker"
# dockerd: a fake containerd as its child, and a shim that detaches (setsid, reparented away
# from dockerd, as containerd-shim-runc-v2 does) and runs a container init; each writes its
# pid where the real one does (containerd.pid, the bundle's shim.pid and init.pid).
cat >"$STUBS/dockerd" <<'EOF'
#!/usr/bin/env bash
while [ $# -gt 0 ]; do
    case $1 in --exec-root) exec_root=$2; shift ;; esac
    shift
done
c=$exec_root/containerd
bundle=$c/daemon/io.containerd.runtime.v2.task/moby/c1
mkdir -p "$bundle"
bash -c 'sleep 1000; :' containerd --config "$c/containerd.toml" &
echo $! >"$c/containerd.pid"
( setsid bash -c 'sleep 1000 & echo $! >"$1/init.pid"; wait' containerd-shim-runc-v2 "$bundle" \
    -namespace moby -address "$c/containerd.sock" &
  echo $! >"$bundle/shim.pid" )
wait
EOF
# docker-registry: listens on the config's port until killed.
cat >"$STUBS/docker-registry" <<'EOF'
#!/usr/bin/env python3
import http.server, re, sys
port = int(re.search(r"addr: 127\.0\.0\.1:(\d+)", open(sys.argv[2]).read()).group(1))
http.server.HTTPServer(("127.0.0.1", port), http.server.BaseHTTPRequestHandler).serve_forever()
EOF
chmod +x "$STUBS"/*
export PATH="$STUBS:$PATH"
[ "$(command -v dockerd)" = "$STUBS/dockerd" ] || { echo "stub dockerd not first on PATH" >&2; exit 1; }
[ "$(command -v pkill)" = "$STUBS/pkill" ] || { echo "stub pkill not first on PATH" >&2; exit 1; }

# shellcheck source=scripts/servers.sh
source scripts/servers.sh

# Decoy 1: not ours, but named like the registry.
cp /bin/sleep "$WORK/decoy/docker-registry"
"$WORK/decoy/docker-registry" 1000 &
DECOY_REG=$!
DECOYS+=("$DECOY_REG")

# --- dw_install_packages: stops only the services of the packages it installed, through the
# service manager, never by process name.
echo docker-registry >"$WORK/missing"
: >"$WORK/calls"
dw_install_packages
if grep -qE '^(pkill|killall) ' "$WORK/calls"; then
    fail "dw_install_packages killed by name: $(grep -E '^(pkill|killall) ' "$WORK/calls")"
else
    pass "dw_install_packages kills nothing by name"
fi
grep -q '^apt-get install .*docker-registry' "$WORK/calls" || fail "docker-registry was not installed"
stops=$(grep -E '^(systemctl|invoke-rc.d|service) ' "$WORK/calls")
if grep -qE 'docker\.service|docker\.socket|nginx|invoke-rc.d docker ' <<<"$stops"; then
    fail "services of packages that were already installed were stopped: $stops"
elif ! grep -qE '(systemctl disable --now docker-registry\.service|invoke-rc.d docker-registry stop)$' <<<"$stops"; then
    fail "the docker-registry service the install started was not stopped: $stops"
else
    pass "only the installed package's service is stopped ($stops)"
fi
# With systemd as the service manager, systemctl is used for the same.
: >"$WORK/calls"
dw_has_systemd() { return 0; }
dw_install_packages
grep -qx 'systemctl disable --now docker-registry.service' "$WORK/calls" \
    || fail "with systemd: $(cat "$WORK/calls")"
unset -f dw_has_systemd
# Nothing missing: nothing installed, nothing stopped.
: >"$WORK/missing"
: >"$WORK/calls"
dw_install_packages
[ -s "$WORK/calls" ] && fail "with nothing missing: $(cat "$WORK/calls")"
alive "$DECOY_REG" && pass "the decoy docker-registry survived the install" \
    || fail "the decoy docker-registry was killed by the install"

# --- start (stand-ins), then stop.
DW_T=$(mktemp -d /tmp/dwt.XXXXXX)
export DW_T
dw_start_dockerd m || fail "dw_start_dockerd"
port=$(dw_free_port)
dw_start_registry reg "$port" || fail "dw_start_registry"
c=$DW_T/m/exec/containerd
bundle=$c/daemon/io.containerd.runtime.v2.task/moby/c1
for _ in $(seq 1 50); do [ -s "$bundle/init.pid" ] && [ -s "$bundle/shim.pid" ] && break; sleep 0.1; done

# What was started: dockerd, its containerd (and that one's child), the detached shim and its
# container init, the registry.
shim=$(cat "$bundle/shim.pid")
init=$(cat "$bundle/init.pid")
containerd=$(cat "$c/containerd.pid")
dockerd=$(cat "$DW_T/m/dockerd.pid")
registry=$(ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)
STARTED=("$dockerd" "$containerd" "$shim" "$init" "$registry")
STARTED+=($(ps -o pid= --ppid "$containerd"))
for p in "${STARTED[@]}"; do
    alive "$p" || fail "stand-in $p did not start"
done
# The shim is not in dockerd's process tree (as with the real containerd-shim-runc-v2).
[ "$(ps -o ppid= -p "$shim" | tr -d ' ')" != "$dockerd" ] || fail "the fake shim did not detach"

# Decoy 2: a user watching a log under DW_T. Decoy 3: a stale shim.pid naming decoy 1.
tail -f "$DW_T/reg/registry.log" >/dev/null 2>&1 &
DECOY_TAIL=$!
DECOYS+=("$DECOY_TAIL")
mkdir -p "$c/daemon/io.containerd.runtime.v2.task/moby/stale"
echo "$DECOY_REG" >"$c/daemon/io.containerd.runtime.v2.task/moby/stale/shim.pid"
echo "$DECOY_REG" >"$c/daemon/io.containerd.runtime.v2.task/moby/stale/init.pid"

# Stopped from another shell, as scripts/dev-down does: only what is on disk is known there.
saved_t=$DW_T
t0=$(date +%s)
bash -c 'source scripts/servers.sh; DW_T=$1; dw_servers_stop' _ "$DW_T" 2>"$WORK/stop.log"
took=$(($(date +%s) - t0))
for p in "${STARTED[@]}"; do
    if alive "$p"; then
        fail "started process $p still runs after dw_servers_stop: $(tr '\0' ' ' <"/proc/$p/cmdline")"
    fi
done
[ "$FAILS" -eq 0 ] && pass "dw_servers_stop stopped all ${#STARTED[@]} started processes in ${took}s"
alive "$DECOY_REG" && pass "the decoy docker-registry (and its stale shim.pid) survived" \
    || fail "dw_servers_stop killed the unrelated docker-registry"
alive "$DECOY_TAIL" && pass "the unrelated process naming DW_T survived" \
    || fail "dw_servers_stop killed an unrelated process that only names DW_T in its arguments"
[ -e "$saved_t" ] && fail "$saved_t was not removed"
if grep -qE '^(pkill|killall) ' "$WORK/calls"; then
    fail "dw_servers_stop killed by name: $(grep -E '^(pkill|killall) ' "$WORK/calls")"
fi
if grep -nE '\b(pkill|killall|pgrep)\b' scripts/servers.sh | grep -v '^\s*[0-9]*:\s*#'; then
    fail "servers.sh still finds or kills processes by name or pattern"
fi
DW_T=

if [ "$FAILS" -ne 0 ]; then
    echo "servers_test: $FAILS failure(s)" >&2
    exit 1
fi
echo "servers_test: all passed" >&2
