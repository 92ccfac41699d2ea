# shellcheck shell=bash
# Start and stop the real servers the dockwright tests talk to. Sourced by scripts/test and
# scripts/dev-up; see ../shared/DESIGN.md for why each flag is there.
#
#   dw_install_packages     apt-get install what is missing (root, Debian)
#   dw_servers_start        start everything under a new temp dir, export DOCKWRIGHT_TEST_*
#   dw_servers_stop         stop everything dw_servers_start started and remove the temp dir
#
# Only loopback addresses are used: dockerd runs with --bridge=none --iptables=false, the swarm
# advertises 127.0.0.1 (manager) and 127.0.0.2 (worker), registries listen on 127.0.0.1.

DW_PACKAGES=(docker.io docker-registry nginx-light skopeo busybox-static apache2-utils openssl time curl)

dw_log() { printf '[servers] %s\n' "$*" >&2; }

dw_install_packages() {
    local missing=() p
    for p in "${DW_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        dw_log "packages present"
        return 0
    fi
    dw_log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian's packages start services of their own; ours run in temp dirs instead.
    systemctl disable --now docker.service docker.socket docker-registry nginx >/dev/null 2>&1 || true
    pkill -x docker-registry 2>/dev/null || true
}

dw_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

dw_wait_for() { # dw_wait_for SECONDS DESCRIPTION COMMAND...
    local secs=$1 what=$2 i
    shift 2
    for ((i = 0; i < secs * 5; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    dw_log "timed out waiting for $what"
    return 1
}

dw_start_dockerd() { # dw_start_dockerd NAME -> socket at $DW_T/NAME/docker.sock
    local d="$DW_T/$1"
    mkdir -p "$d"
    dockerd --host "unix://$d/docker.sock" --data-root "$d/data" --exec-root "$d/exec" \
        --pidfile "$d/pid" --iptables=false --ip-masq=false --bridge=none \
        >"$d/dockerd.log" 2>&1 &
    echo $! >"$d/dockerd.pid"
    DW_PIDS+=("$!")
    if ! dw_wait_for 60 "dockerd $1" docker -H "unix://$d/docker.sock" version; then
        tail -n 30 "$d/dockerd.log" >&2
        return 1
    fi
}

dw_start_registry() { # dw_start_registry NAME PORT [HTPASSWD]
    local d="$DW_T/$1" port=$2 htpasswd=${3:-}
    mkdir -p "$d/data"
    {
        echo "version: 0.1"
        echo "log:"
        echo "  level: warn"
        echo "storage:"
        echo "  filesystem:"
        echo "    rootdirectory: $d/data"
        echo "  delete:"
        echo "    enabled: true"
        echo "http:"
        echo "  addr: 127.0.0.1:$port"
        if [ -n "$htpasswd" ]; then
            echo "auth:"
            echo "  htpasswd:"
            echo "    realm: dockwright"
            echo "    path: $htpasswd"
        fi
    } >"$d/config.yml"
    docker-registry serve "$d/config.yml" >"$d/registry.log" 2>&1 &
    DW_PIDS+=("$!")
    if ! dw_wait_for 30 "registry $1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"; then
        tail -n 30 "$d/registry.log" >&2
        return 1
    fi
}

dw_servers_start() {
    DW_PIDS=()
    DW_T=$(mktemp -d /tmp/dw.XXXXXX) # short: unix socket paths must stay under ~100 bytes
    export DW_T
    dw_log "state in $DW_T"

    dw_start_dockerd m || return 1
    dw_start_dockerd w || return 1
    local mgr="unix://$DW_T/m/docker.sock" wkr="unix://$DW_T/w/docker.sock"
    docker -H "$mgr" swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null || return 1
    local token
    token=$(docker -H "$mgr" swarm join-token -q worker) || return 1
    docker -H "$wkr" swarm join --token "$token" --advertise-addr 127.0.0.2 \
        --listen-addr 127.0.0.2:2377 127.0.0.1:2377 >/dev/null || return 1

    local user=dockwright pass
    pass="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    htpasswd -Bbn "$user" "$pass" >"$DW_T/htpasswd" 2>/dev/null || return 1
    local p1 p2
    p1=$(dw_free_port)
    dw_start_registry reg "$p1" || return 1
    p2=$(dw_free_port)
    dw_start_registry authreg "$p2" "$DW_T/htpasswd" || return 1

    export DOCKWRIGHT_TEST_DOCKER_HOST="$mgr"
    export DOCKWRIGHT_TEST_WORKER_DOCKER_HOST="$wkr"
    export DOCKWRIGHT_TEST_REGISTRY="127.0.0.1:$p1"
    export DOCKWRIGHT_TEST_AUTH_REGISTRY="127.0.0.1:$p2"
    export DOCKWRIGHT_TEST_REGISTRY_USER="$user"
    export DOCKWRIGHT_TEST_REGISTRY_PASSWORD="$pass"
    {
        echo "export DW_T=$DW_T"
        echo "export DOCKWRIGHT_TEST_DOCKER_HOST=$mgr"
        echo "export DOCKWRIGHT_TEST_WORKER_DOCKER_HOST=$wkr"
        echo "export DOCKWRIGHT_TEST_REGISTRY=127.0.0.1:$p1"
        echo "export DOCKWRIGHT_TEST_AUTH_REGISTRY=127.0.0.1:$p2"
        echo "export DOCKWRIGHT_TEST_REGISTRY_USER=$user"
        echo "export DOCKWRIGHT_TEST_REGISTRY_PASSWORD=$pass"
    } >"$DW_T/env"
    docker -H "$mgr" node ls >&2
    dw_log "registries: 127.0.0.1:$p1 (open), 127.0.0.1:$p2 (htpasswd)"
}

dw_servers_stop() {
    [ -n "${DW_T:-}" ] && [ -d "$DW_T" ] || return 0
    local pid
    for pid in $(cat "$DW_T"/*/dockerd.pid 2>/dev/null) "${DW_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $(cat "$DW_T"/*/dockerd.pid 2>/dev/null) "${DW_PIDS[@]}"; do
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    # containerd shims and nginx started by tests inside DW_T, if any survived
    # (the pattern ends in "/" so it never matches a script that got DW_T as an argument)
    local p
    for p in $(pgrep -f -- "$DW_T/" 2>/dev/null); do
        [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] || kill "$p" 2>/dev/null || true
    done
    grep -F " $DW_T" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$DW_T"
    dw_log "stopped and removed $DW_T"
    DW_T=
}
