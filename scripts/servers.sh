# shellcheck shell=bash
# Start and stop the real servers the dockwright tests talk to. Sourced by scripts/test and
# scripts/dev-up; see ../shared/DESIGN.md for why each flag is there.
#
#   dw_install_packages     apt-get install what is missing (root, Debian)
#   dw_servers_start        start everything under a new temp dir, export DOCKWRIGHT_TEST_*
#   dw_servers_stop         stop everything dw_servers_start started and remove the temp dir
#
# Only loopback addresses are used: dockerd runs with --bridge=none --iptables=false, the swarm
# advertises 127.0.0.1 (manager), 127.0.0.2 and 127.0.0.3 (workers; DW_NODE_ADDRS changes them),
# registries listen on 127.0.0.1.
#
# Nothing is found or killed by name or pattern (no pkill/killall/pgrep): this may run on a
# machine with registries, dockerds and nginx of its own. What we start is recorded as
# "PID STARTTIME" in $DW_T/pids (the start time, field 22 of /proc/PID/stat, tells a recorded
# process from a later one that got the same PID); what dockerd starts is found from there (see
# dw_servers_stop). scripts/servers_test.sh tests this without starting any server.

# g++: libFuzzer (the fuzz step of scripts/test, scripts/fuzz) is C++.
DW_PACKAGES=(docker.io docker-registry nginx-light skopeo busybox-static apache2-utils openssl time curl g++)

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
    # Debian's packages start services of their own; ours run in temp dirs instead. Stop what
    # this install started, through the service manager that started it (it knows their PIDs),
    # and only for the packages installed just now: a docker or registry the machine already ran
    # is not ours to stop.
    dw_stop_package_services "${missing[@]}"
}

dw_has_systemd() { [ -d /run/systemd/system ]; }

dw_package_units() { # dw_package_units PKG -> the units its postinst enables and starts
    case $1 in
        docker.io) echo docker.service docker.socket ;;
        docker-registry) echo docker-registry.service ;;
        nginx-light) echo nginx.service ;;
    esac
}

dw_stop_package_services() { # dw_stop_package_services PKG...
    local p u units=()
    for p in "$@"; do
        for u in $(dw_package_units "$p"); do units+=("$u"); done
    done
    [ ${#units[@]} -gt 0 ] || return 0
    if dw_has_systemd; then
        systemctl disable --now "${units[@]}" >/dev/null 2>&1 || true
    else
        # sysvinit: the init script stops its daemon by the pidfile it wrote.
        for u in "${units[@]}"; do
            case $u in *.service) ;; *) continue ;; esac
            [ -x "/etc/init.d/${u%.service}" ] || continue
            invoke-rc.d "${u%.service}" stop >/dev/null 2>&1 || true
        done
    fi
}

dw_id_of() { # dw_id_of PID -> "PID STARTTIME" of a live (non-zombie) process, else nothing
    local s f
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    s=${s##*) } # after the command name, which may hold spaces and parentheses
    read -r -a f <<<"$s"
    # f[0] is field 3 (state), so field 22 (starttime) is f[19]
    [ "${f[0]}" = Z ] || echo "$1 ${f[19]}"
}

dw_record() { # dw_record PID: note a process we started, for dw_servers_stop
    dw_id_of "$1" >>"$DW_T/pids"
}

dw_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }

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

dw_start_dockerd() { # dw_start_dockerd NAME -> socket at $DW_T/NAME/docker.sock, answering
    dw_spawn_dockerd "$1"
    dw_wait_dockerd "$1"
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
    echo $! >"$d/registry.pid"
    dw_record $!
    if ! dw_wait_for 30 "registry $1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"; then
        tail -n 30 "$d/registry.log" >&2
        return 1
    fi
}

# The swarm's nodes, manager first: one dockerd per address (named m, w, w2, w3, …), the manager
# initialises the swarm on its address, the others join as workers on theirs. Override with
# DW_NODE_ADDRS (and DW_DATA_PATH_PORT, the swarm's VXLAN port) to start a second, separate set,
# e.g. to try this script beside a running one: DW_NODE_ADDRS="127.0.0.50 127.0.0.51 127.0.0.52"
# DW_DATA_PATH_PORT=4793. Tests that start private daemons of their own use 127.0.0.40 and above.
DW_NODE_ADDRS_DEFAULT="127.0.0.1 127.0.0.2 127.0.0.3"

dw_node_name() { # dw_node_name INDEX -> m, w, w2, w3, …
    case $1 in
        0) echo m ;;
        1) echo w ;;
        *) echo "w$1" ;;
    esac
}

dw_spawn_dockerd() { # dw_spawn_dockerd NAME: start, record, do not wait
    local d="$DW_T/$1"
    mkdir -p "$d"
    dockerd --host "unix://$d/docker.sock" --data-root "$d/data" --exec-root "$d/exec" \
        --pidfile "$d/pid" --iptables=false --ip-masq=false --bridge=none \
        >"$d/dockerd.log" 2>&1 &
    echo $! >"$d/dockerd.pid"
    dw_record $!
}

dw_wait_dockerd() { # dw_wait_dockerd NAME: until it answers (60 s)
    local d="$DW_T/$1"
    if ! dw_wait_for 60 "dockerd $1" docker -H "unix://$d/docker.sock" version; then
        tail -n 30 "$d/dockerd.log" >&2
        return 1
    fi
}

dw_servers_start() {
    local addrs=() i name
    read -r -a addrs <<<"${DW_NODE_ADDRS:-$DW_NODE_ADDRS_DEFAULT}"
    if [ ${#addrs[@]} -lt 1 ]; then
        dw_log "DW_NODE_ADDRS names no address"
        return 1
    fi
    DW_T=$(mktemp -d /tmp/dw.XXXXXX) # short: unix socket paths must stay under ~100 bytes
    export DW_T
    dw_log "state in $DW_T; nodes ${addrs[*]}"

    # All daemons start together (each takes a few seconds), then each is waited for.
    local t0=$SECONDS
    for i in "${!addrs[@]}"; do dw_spawn_dockerd "$(dw_node_name "$i")"; done
    for i in "${!addrs[@]}"; do dw_wait_dockerd "$(dw_node_name "$i")" || return 1; done
    dw_log "${#addrs[@]} dockerds answered after $((SECONDS - t0)) s"

    local mgr="unix://$DW_T/m/docker.sock" m_addr=${addrs[0]}
    local init=(swarm init --advertise-addr "$m_addr" --listen-addr "$m_addr:2377")
    [ -z "${DW_DATA_PATH_PORT:-}" ] || init+=(--data-path-port "$DW_DATA_PATH_PORT")
    docker -H "$mgr" "${init[@]}" >/dev/null || return 1
    local token
    token=$(docker -H "$mgr" swarm join-token -q worker) || return 1
    for ((i = 1; i < ${#addrs[@]}; i++)); do
        name=$(dw_node_name "$i")
        docker -H "unix://$DW_T/$name/docker.sock" swarm join --token "$token" \
            --advertise-addr "${addrs[$i]}" --listen-addr "${addrs[$i]}:2377" "$m_addr:2377" \
            >/dev/null || return 1
    done

    local user=dockwright pass
    pass="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    htpasswd -Bbn "$user" "$pass" >"$DW_T/htpasswd" 2>/dev/null || return 1
    local p1 p2
    p1=$(dw_free_port)
    dw_start_registry reg "$p1" || return 1
    p2=$(dw_free_port)
    dw_start_registry authreg "$p2" "$DW_T/htpasswd" || return 1

    # The manager, then one variable per worker: …_WORKER_DOCKER_HOST, …_WORKER2_DOCKER_HOST, …
    local vars=("DW_T=$DW_T" "DOCKWRIGHT_TEST_DOCKER_HOST=$mgr" "DOCKWRIGHT_TEST_NODE_ADDRS=${addrs[*]}")
    for ((i = 1; i < ${#addrs[@]}; i++)); do
        local suffix=$i
        [ "$i" -gt 1 ] || suffix=
        vars+=("DOCKWRIGHT_TEST_WORKER${suffix}_DOCKER_HOST=unix://$DW_T/$(dw_node_name "$i")/docker.sock")
    done
    vars+=("DOCKWRIGHT_TEST_REGISTRY=127.0.0.1:$p1" "DOCKWRIGHT_TEST_AUTH_REGISTRY=127.0.0.1:$p2")
    vars+=("DOCKWRIGHT_TEST_REGISTRY_USER=$user" "DOCKWRIGHT_TEST_REGISTRY_PASSWORD=$pass")
    local v
    : >"$DW_T/env"
    for v in "${vars[@]}"; do
        export "${v?}"
        printf 'export %s=%q\n' "${v%%=*}" "${v#*=}" >>"$DW_T/env"
    done
    docker -H "$mgr" node ls >&2
    dw_log "registries: 127.0.0.1:$p1 (open), 127.0.0.1:$p2 (htpasswd)"
}

dw_descendants() { # dw_descendants PID... -> the ids ("PID STARTTIME") of all their descendants
    local p c
    for p in "$@"; do
        for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do
            dw_id_of "$c"
            dw_descendants "$c"
        done
    done
}

dw_shims() { # the ids of containerd shims and container inits of the dockerds under $DW_T
    # containerd writes shim.pid and init.pid into each task's bundle under dockerd's exec root.
    # A shim detaches from containerd (it is not in dockerd's process tree). A pid file may be
    # stale, so a shim counts only if its command line names our containerd socket, and an init
    # only if its parent is such a shim.
    local b pid init
    for b in "$DW_T"/*/exec/containerd/daemon/io.containerd.runtime.v2.task/*/*/; do
        [ -f "$b/shim.pid" ] || continue
        pid=$(cat "$b/shim.pid" 2>/dev/null)
        [[ $pid =~ ^[0-9]+$ ]] || continue
        case $(dw_cmdline "$pid") in
            *containerd-shim*"$DW_T/"*) ;;
            *) continue ;;
        esac
        dw_id_of "$pid"
        init=$(cat "$b/init.pid" 2>/dev/null)
        if [[ $init =~ ^[0-9]+$ ]] && [ "$(ps -o ppid= -p "$init" 2>/dev/null | tr -d ' ')" = "$pid" ]; then
            dw_id_of "$init"
        fi
    done
}

dw_stop_ids() { # dw_stop_ids SECONDS "PID STARTTIME"...: TERM, wait up to SECONDS, then KILL
    local secs=$1 id i left
    shift
    for id in "$@"; do
        [ "$(dw_id_of "${id%% *}")" = "$id" ] && kill "${id%% *}" 2>/dev/null
    done
    for ((i = 0; i < secs * 10; i++)); do
        left=0
        for id in "$@"; do
            [ "$(dw_id_of "${id%% *}")" = "$id" ] && left=1
        done
        [ $left = 1 ] || return 0
        sleep 0.1
    done
    for id in "$@"; do
        [ "$(dw_id_of "${id%% *}")" = "$id" ] && kill -9 "${id%% *}" 2>/dev/null
    done
    return 0
}

dw_servers_stop() {
    [ -n "${DW_T:-}" ] && [ -d "$DW_T" ] || return 0
    # 1. What this script started (dockerds, registries), from $DW_T/pids. Before stopping them,
    #    note what they started: their process trees (containerd under dockerd) and the shims
    #    and container inits containerd recorded under the exec roots. A recorded PID whose start
    #    time no longer matches is another process now and is left alone.
    local started=() rest=() line
    while read -r line; do
        [ -n "$line" ] && started+=("$line")
    done <"$DW_T/pids" 2>/dev/null
    while read -r line; do
        [ -n "$line" ] && rest+=("$line")
    done < <(dw_descendants "${started[@]%% *}"; dw_shims)
    # 2. Stop them gracefully: dockerd stops its containers and its containerd on the way out.
    dw_stop_ids 10 "${started[@]}"
    # 3. Anything they started that outlived them (recorded before, matched by start time).
    while read -r line; do
        [ -n "$line" ] && rest+=("$line")
    done < <(dw_shims)
    [ ${#rest[@]} -eq 0 ] || dw_stop_ids 5 "${rest[@]}"
    grep -F " $DW_T" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$DW_T"
    dw_log "stopped and removed $DW_T"
    DW_T=
}
