//! `--help` with an example for every command: the examples live in one table here, attached
//! to the clap command tree by [`command`], so `dockwright X --help` and the completion scripts
//! come from the same tree, and a test checks that no command lacks one.

use clap::{CommandFactory, FromArgMatches};

use super::Cli;

/// `(command path, example)`: the path is the subcommand names after `dockwright`, joined by
/// spaces (`""` is the top level).
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "",
        r#"dockwright service create --name web --replicas 3 127.0.0.1:5000/busybox:latest httpd -f -p 8080"#,
    ),
    ("auth", r#"dockwright auth show 127.0.0.1:5000"#),
    ("auth show", r#"dockwright auth show 127.0.0.1:5000"#),
    ("auth header", r#"dockwright auth header 127.0.0.1:5000"#),
    ("ref", r#"dockwright ref inspect nginx_lb:2.0"#),
    ("ref inspect", r#"dockwright ref inspect nginx_lb:2.0"#),
    (
        "login",
        r#"echo "$PASSWORD" | dockwright login 127.0.0.1:5000 -u dev1johndoe --password-stdin"#,
    ),
    ("logout", r#"dockwright logout 127.0.0.1:5000"#),
    (
        "tag",
        r#"dockwright tag 127.0.0.1:5000/dev1johndoe/nginx_lb:2.0 latest"#,
    ),
    (
        "push",
        r#"dockwright push ./nginx_lb-oci 127.0.0.1:5000/dev1johndoe/nginx_lb:2.0"#,
    ),
    (
        "pull",
        r#"dockwright pull 127.0.0.1:5000/dev1johndoe/nginx_lb:2.0 ./pulled --platform linux/amd64"#,
    ),
    (
        "copy",
        r#"dockwright copy 127.0.0.1:5000/dev1johndoe/nginx_lb:2.0 127.0.0.1:5001/team/nginx_lb:2.0"#,
    ),
    (
        "tags",
        r#"dockwright tags 127.0.0.1:5000/dev1johndoe/nginx_lb"#,
    ),
    (
        "manifest",
        r#"dockwright manifest 127.0.0.1:5000/dev1johndoe/nginx_lb:2.0"#,
    ),
    (
        "catalog",
        r#"dockwright catalog 127.0.0.1:5000 --format json"#,
    ),
    (
        "delete",
        r#"dockwright delete 127.0.0.1:5000/dev1johndoe/nginx_lb:old"#,
    ),
    (
        "mount",
        r#"dockwright mount parse 'type=volume,source=www,target=/usr/share/nginx/html,volume-nocopy=true'"#,
    ),
    (
        "mount parse",
        r#"dockwright mount parse 'type=volume,source=www,target=/usr/share/nginx/html,volume-nocopy=true'"#,
    ),
    (
        "publish",
        r#"dockwright publish parse mode=host,target=80,published=8080"#,
    ),
    (
        "publish parse",
        r#"dockwright publish parse mode=host,target=80,published=8080"#,
    ),
    (
        "swarm",
        r#"dockwright swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377"#,
    ),
    (
        "swarm init",
        r#"dockwright swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377"#,
    ),
    (
        "swarm join",
        r#"dockwright swarm -H unix:///run/worker.sock join --token SWMTKN-1-… --advertise-addr 127.0.0.2 127.0.0.1:2377"#,
    ),
    (
        "swarm join-token",
        r#"dockwright swarm join-token --rotate worker"#,
    ),
    ("swarm leave", r#"dockwright swarm leave --force"#),
    (
        "swarm unlock",
        r#"dockwright swarm unlock < unlock-key.txt"#,
    ),
    (
        "swarm update",
        r#"dockwright swarm update --task-history-limit 10 --cert-expiry 720h"#,
    ),
    (
        "swarm unlock-key",
        r#"dockwright swarm unlock-key --rotate -q"#,
    ),
    ("node", r#"dockwright node ls"#),
    ("node ls", r#"dockwright node ls --format json"#),
    ("node inspect", r#"dockwright node inspect self"#),
    (
        "node update",
        r#"dockwright node update --availability drain --label-add zone=a swarm-docker-w1"#,
    ),
    ("node rm", r#"dockwright node rm --force swarm-docker-w2"#),
    ("node promote", r#"dockwright node promote swarm-docker-w1"#),
    ("node demote", r#"dockwright node demote swarm-docker-w1"#),
    ("service", r#"dockwright service ls"#),
    (
        "service create",
        r#"dockwright service create --name web --replicas 3 --network host -e PORT=80{{.Task.Slot}} 127.0.0.1:5000/busybox:latest sh -c 'httpd -f -p 127.0.0.1:$PORT'"#,
    ),
    (
        "service update",
        r#"dockwright service update --image 127.0.0.1:5000/busybox:2 web"#,
    ),
    (
        "service ps",
        r#"dockwright service ps web --filter desired-state=running"#,
    ),
    ("service ls", r#"dockwright service ls -q"#),
    ("service inspect", r#"dockwright service inspect web"#),
    (
        "service logs",
        r#"dockwright service logs --tail 20 -f web"#,
    ),
    ("service rm", r#"dockwright service rm web"#),
    ("service rollback", r#"dockwright service rollback web"#),
    ("service scale", r#"dockwright service scale web=5"#),
    (
        "service exec",
        r#"dockwright service exec web.1 -- nginx -s reload"#,
    ),
    ("secret", r#"dockwright secret ls"#),
    (
        "secret create",
        r#"printf '%s' "$DB_PASSWORD" | dockwright secret create db_password -"#,
    ),
    (
        "secret ls",
        r#"dockwright secret ls --filter label=app=web"#,
    ),
    ("secret inspect", r#"dockwright secret inspect db_password"#),
    ("secret rm", r#"dockwright secret rm db_password"#),
    ("config", r#"dockwright config ls"#),
    (
        "config create",
        r#"dockwright config create --label app=lb nginx_conf ./nginx.conf"#,
    ),
    ("config ls", r#"dockwright config ls --format json"#),
    ("config inspect", r#"dockwright config inspect nginx_conf"#),
    ("config rm", r#"dockwright config rm nginx_conf"#),
    ("network", r#"dockwright network ls"#),
    (
        "network create",
        r#"dockwright network create --driver overlay --attachable backend"#,
    ),
    (
        "network ls",
        r#"dockwright network ls --filter driver=overlay"#,
    ),
    ("network inspect", r#"dockwright network inspect backend"#),
    ("network rm", r#"dockwright network rm backend"#),
    ("stack", r#"dockwright stack deploy -c compose.yml day5"#),
    (
        "stack deploy",
        r#"dockwright stack deploy -c compose.yml --prune day5"#,
    ),
    ("stack plan", r#"dockwright stack plan -c compose.yml day5"#),
    ("stack ls", r#"dockwright stack ls"#),
    ("stack ps", r#"dockwright stack ps day5"#),
    ("stack services", r#"dockwright stack services day5"#),
    ("stack rm", r#"dockwright stack rm day5"#),
    (
        "lb",
        r#"dockwright lb render --method least_conn --server '127.0.0.1:8081 weight=2' --server 127.0.0.2:8082"#,
    ),
    (
        "lb render",
        r#"dockwright lb render --method least_conn --server '127.0.0.1:8081 weight=2' --server 127.0.0.2:8082"#,
    ),
    (
        "lb apply",
        r#"dockwright lb apply --conf /etc/nginx/conf.d/lb.conf --server 127.0.0.1:8081 --server 127.0.0.2:8082"#,
    ),
    (
        "lb from-service",
        r#"dockwright lb from-service --port-base 808 web"#,
    ),
    (
        "lb watch",
        r#"dockwright lb watch --port-base 808 --conf /etc/nginx/conf.d/lb.conf web"#,
    ),
    (
        "nfs",
        r#"dockwright nfs volume-opts --addr 192.168.1.220 --path /www -o nfsvers=4,rw"#,
    ),
    (
        "nfs volume-opts",
        r#"dockwright nfs volume-opts --addr 192.168.1.220 --path /www -o nfsvers=4,rw"#,
    ),
    (
        "nfs mount-string",
        r#"dockwright nfs mount-string --addr 192.168.1.220 --path /www --source www --target /usr/share/nginx/html --nocopy"#,
    ),
    (
        "nfs fstab",
        r#"dockwright nfs fstab --addr 192.168.1.220 --path /www --mountpoint /mnt/www -o nfsvers=4"#,
    ),
    (
        "nfs volume-create",
        r#"dockwright nfs volume-create --addr 192.168.1.220 --path /www --name www"#,
    ),
    (
        "nfs volume-name",
        r#"dockwright nfs volume-name --addr 192.168.1.220 --path /www --prefix nfs"#,
    ),
    (
        "nfs parse",
        r#"dockwright nfs parse 'addr=192.168.1.220,nfsvers=4,rw'"#,
    ),
    (
        "nfs export",
        r#"dockwright nfs export --path /www --client '192.168.1.0/24' -o rw,sync,no_subtree_check"#,
    ),
    ("image", r#"dockwright image ls"#),
    (
        "image ls",
        r#"dockwright image ls --digests --filter dangling=false"#,
    ),
    (
        "image inspect",
        r#"dockwright image inspect 127.0.0.1:5000/dev1johndoe/nginx_lb:2.0"#,
    ),
    (
        "image tag",
        r#"dockwright image tag nginx_lb:2.0 127.0.0.1:5000/dev1johndoe/nginx_lb:2.0"#,
    ),
    ("image rm", r#"dockwright image rm nginx_lb:old"#),
    (
        "image prune",
        r#"dockwright image prune -f --filter until=24h"#,
    ),
    (
        "image save",
        r#"dockwright image save -o nginx_lb.tar nginx_lb:2.0"#,
    ),
    ("image load", r#"dockwright image load -i nginx_lb.tar"#),
    (
        "image build",
        r#"dockwright image build -t nginx_lb:2.0 --build-arg VERSION=2.0 ./nginx_lb"#,
    ),
    (
        "build",
        r#"dockwright build -t 127.0.0.1:5000/dev1johndoe/nginx_lb:2.0 -f Dockerfile.lb --label team=web ."#,
    ),
    ("completion", r#"source <(dockwright completion bash)"#),
];

/// The example of the command at `path` (see [`EXAMPLES`]).
#[must_use]
pub fn example(path: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(p, _)| *p == path).map(|(_, e)| *e)
}

/// `Example:` and the example's lines, indented, as `--help` ends.
#[must_use]
pub fn example_text(path: &str) -> String {
    example(path).map_or_else(String::new, |e| {
        let body: Vec<String> = e.lines().map(|l| format!("  {l}")).collect();
        format!("Example:\n{}\n", body.join("\n"))
    })
}

fn attach(cmd: clap::Command, path: &str) -> clap::Command {
    let mut cmd = match example(path) {
        Some(_) => cmd.after_help(example_text(path).trim_end().to_owned()),
        None => cmd,
    };
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd = cmd.mut_subcommand(&name, |s| attach(s, &sub_path));
    }
    cmd
}

/// The CLI's clap command with every example attached.
#[must_use]
pub fn command() -> clap::Command {
    attach(Cli::command(), "")
}

/// Parses the process's arguments with [`command`] (exits with clap's message on bad usage,
/// prints help or the version and exits 0 when asked).
#[must_use]
pub fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Every command path of the tree, depth first (`""` first).
#[must_use]
pub fn paths() -> Vec<String> {
    fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        out.push(path.to_owned());
        for s in cmd.get_subcommands() {
            let p = if path.is_empty() {
                s.get_name().to_owned()
            } else {
                format!("{path} {}", s.get_name())
            };
            walk(s, &p, out);
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_an_example_and_every_example_a_command() {
        let paths = paths();
        let missing: Vec<&String> = paths
            .iter()
            .filter(|p| p.as_str() != "help" && !p.starts_with("help ") && !p.ends_with(" help"))
            .filter(|p| example(p).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "commands without an example: {missing:#?}"
        );
        for (p, e) in EXAMPLES {
            assert!(
                paths.iter().any(|x| x == p),
                "example for no command: {p:?}"
            );
            assert!(e.contains("dockwright"), "{p}: {e}");
        }
    }
}
