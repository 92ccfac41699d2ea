//! The day-5 topology as compose files (examples/day5/): the seed's file converts to the same
//! NFS mounts and host-mode ports as the seed's `docker service create` flags, and the loopback
//! variant uses only the external `host` network, a port per slot and a swarm config.

use std::path::Path;

use examples::day5::{SEED_LB_MOUNT, SEED_WEB_MOUNT};
use swarm_client::mount::MountSpec;
use swarm_client::port::PortSpec;
use swarm_stack::convert::{LABEL_NAMESPACE, StackSpec, convert};
use swarm_stack::{ComposeFile, Loader};

fn stack(file: &str, env: &[(&str, &str)]) -> StackSpec {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("day5");
    let loader = Loader::new(dir.display().to_string())
        .envs(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
        .file(ComposeFile::read(dir.join(file)).unwrap());
    let loaded = loader.load().unwrap();
    assert!(loaded.unsupported.is_empty() && loaded.warnings.is_empty());
    convert("day5", &loaded.compose, &*loader.file_reader()).unwrap()
}

#[test]
fn seed_file_has_the_seed_mounts_and_ports() {
    let s = stack("stack.yml", &[]);
    for (svc, seed_mount, publish, replicas) in [
        (
            "swarm_nginx",
            SEED_WEB_MOUNT,
            "mode=host,target=80,published=8080",
            3,
        ),
        (
            "swarm_nginx_lb",
            SEED_LB_MOUNT,
            "mode=host,target=80,published=80",
            1,
        ),
    ] {
        let spec = &s.services[svc];
        assert_eq!(spec.name, format!("day5_{svc}"));
        assert_eq!(
            spec.mode,
            swarm_client::spec::ServiceMode::replicated(replicas)
        );
        let mut ours = spec.container().unwrap().mounts[0].clone();
        let seed = seed_mount.parse::<MountSpec>().unwrap().mount().clone();
        // A stack scopes the volume name and labels the volume; everything else is the seed's.
        assert_eq!(ours.source, format!("day5_{}", seed.source));
        let opts = ours.volume_options.as_mut().unwrap();
        assert_eq!(opts.labels.remove(LABEL_NAMESPACE).as_deref(), Some("day5"));
        ours.source = seed.source.clone();
        assert_eq!(ours, seed, "{svc}");
        let ports = &spec.endpoint_spec.as_ref().unwrap().ports;
        assert_eq!(
            ports,
            publish.parse::<PortSpec>().unwrap().configs(),
            "{svc}"
        );
    }
}

#[test]
fn loopback_variant_uses_host_network_slot_ports_and_a_config() {
    let s = stack(
        "stack-loopback.yml",
        &[
            ("WEB_IMAGE", "127.0.0.1:5000/dev1johndoe/nginx:latest"),
            ("LB_IMAGE", "127.0.0.1:5000/dev1johndoe/nginx_lb:latest"),
            ("WWW_DIR", "/tmp/www"),
            ("CONF_DIR", "/tmp/conf.d"),
            ("WEB_PORT_BASE", "3123"),
        ],
    );
    assert!(s.networks.is_empty(), "no overlay network is created");
    assert_eq!(s.external_networks, ["host"]);
    let web = &s.services["swarm_nginx"];
    assert_eq!(web.task_template.networks[0].target, "host");
    let c = web.container().unwrap();
    assert!(c.env.contains(&"PORT=3123{{.Task.Slot}}".to_owned()));
    assert_eq!(
        c.args[2],
        "exec httpd -f -p 127.0.0.1:$PORT -h /www/$SLOT -c /etc/httpd.conf"
    );
    assert_eq!(c.mounts[0].source, "/tmp/www");
    assert_eq!(c.configs[0].config_name, "day5_httpd_conf");
    assert_eq!(
        s.configs[0].data,
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("day5/httpd.conf")).unwrap()
    );
    let lb = &s.services["swarm_nginx_lb"];
    assert_eq!(lb.task_template.networks[0].target, "host");
    assert_eq!(lb.mode, swarm_client::spec::ServiceMode::replicated(1));
}

#[test]
fn loopback_variant_names_a_missing_variable() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("day5");
    let e = Loader::new(dir.display().to_string())
        .file(ComposeFile::read(dir.join("stack-loopback.yml")).unwrap())
        .load()
        .unwrap_err();
    assert!(e.to_string().contains("required variable"), "{e}");
}
