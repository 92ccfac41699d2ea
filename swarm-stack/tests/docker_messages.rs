//! Invalid compose files refused with docker's own message: each expected text below is what
//! `docker stack config -c FILE` (docker CLI 28.2.2, the same loader `stack deploy` runs)
//! printed for the same file.

use swarm_stack::{ComposeFile, Loader};

const CASES: &[(&str, &str)] = &[
    (
        "services:\n  web:\n    image: a\n    foo: 1\n",
        "services.web Additional property foo is not allowed",
    ),
    (
        "services:\n  web:\n    image: a\n    read_only: yes\n",
        "services.web.read_only must be a boolean",
    ),
    (
        "services:\n  web:\n    image: a\n    ports: [true]\n",
        "services.web.ports.0 must be a number",
    ),
    (
        "services:\n  web:\n    image: a\n    ports: [\"80:80:80:80\"]\n",
        "services.web.ports.0 Does not match format 'ports'",
    ),
    (
        "services:\n  web:\n    image: a\n    deploy: {replicas: \"3\"}\n",
        "services.web.deploy.replicas must be a integer",
    ),
    (
        "services:\n  web:\n    image: a\n    deploy: {replicas: 1.5}\n",
        "services.web.deploy.replicas must be a integer",
    ),
    (
        "services:\n  web:\n    image: a\n    environment: 3\n",
        "services.web.environment must be a mapping",
    ),
    (
        "services:\n  web:\n    image: a\n    stop_grace_period: 10x\n",
        "services.web.stop_grace_period Does not match format 'duration'",
    ),
    (
        "version: 3.8\nservices:\n  web:\n    image: a\n",
        "version must be a string",
    ),
    (
        "version: \"2\"\nservices:\n  web:\n    image: a\n",
        "unsupported Compose file version: 2",
    ),
    (
        "services:\n  web:\n    image: a\n    deploy: {update_config: {order: x}}\n",
        "services.web.deploy.update_config.order services.web.deploy.update_config.order must be one of the following: \"start-first\", \"stop-first\"",
    ),
    (
        "services:\n  web:\n    image: a\n    ulimits: {nofile: {soft: 1}}\n",
        "services.web.ulimits.nofile hard is required",
    ),
    (
        "services:\n  web:\n    image: a\n    volumes: [{source: x, target: /y}]\n",
        "services.web.volumes.0 type is required",
    ),
    (
        "servicesx: {}\n",
        "(root) Additional property servicesx is not allowed",
    ),
    (
        "services:\n  \"a b\":\n    image: a\n",
        "services Additional property a b is not allowed",
    ),
    (
        "services:\n  web:\n    image: a\n    environment: [A=1, A=1]\n",
        "services.web.environment array items[0,1] must be unique",
    ),
    (
        "services:\n  web:\n    image: a\n    cap_add: [A, A]\n",
        "services.web.cap_add array items[0,1] must be unique",
    ),
    (
        "services:\n  web:\n    image: ${X:?need x}\n",
        "invalid interpolation format for services.web.image: \"required variable X is missing a value: need x\"; you may need to escape any $ with another $",
    ),
    (
        "services:\n  web:\n    image: $\n",
        "invalid interpolation format for services.web.image: \"$\"; you may need to escape any $ with another $",
    ),
    (
        "services:\n  web:\n    image: a\n    deploy:\n      replicas: ${R}\n",
        "error while interpolating services.web.deploy.replicas: failed to cast to expected type: strconv.Atoi: parsing \"\": invalid syntax",
    ),
    (
        "services:\n  web:\n    image: a\n    command: 3\n",
        "services.web.command must be a string",
    ),
    (
        "services:\n  web:\n    image: a\n    networks: 3\n",
        "services.web.networks must be a list",
    ),
    (
        "services:\n  web:\n    image: a\n    secrets: [3]\n",
        "services.web.secrets.0 must be a string",
    ),
    (
        "services:\n  web:\n    image: a\n    healthcheck: {interval: 3}\n",
        "services.web.healthcheck.interval must be a string",
    ),
    (
        "services:\n  web:\n    image: a\n    deploy: {resources: {limits: {cpus: 0.5}}}\n",
        "services.web.deploy.resources.limits.cpus must be a string",
    ),
    (
        "services:\n  web:\n    image: a\n    deploy: {placement: {constraints: x}}\n",
        "services.web.deploy.placement.constraints must be a list",
    ),
    (
        "services:\n  web:\n    image: a\n    labels: {a: [1]}\n",
        "services.web.labels.a must be a string, number or null",
    ),
    (
        "version: \"3.6\"\nservices:\n  web:\n    image: a\n    x-foo: 1\n",
        "services.web Additional property x-foo is not allowed",
    ),
    (
        "version: \"3.3\"\nx-foo: 1\nservices:\n  web:\n    image: a\n",
        "(root) Additional property x-foo is not allowed",
    ),
    (
        "version: \"3.2\"\nservices:\n  web:\n    image: a\nconfigs: {}\n",
        "(root) Additional property configs is not allowed",
    ),
    (
        "version: \"3.6\"\nservices:\n  web:\n    image: a\n    init: true\n",
        "services.web Additional property init is not allowed",
    ),
    (
        "services:\n  web:\n    image: a\n    volumes: [{type: bind, source: /x, target: /y, bogus: 1}]\n",
        "services.web.volumes.0 Additional property bogus is not allowed",
    ),
    (
        "services:\n  web:\n    image: a\n    ulimits: {nofile: x}\n",
        "services.web.ulimits.nofile must be a integer",
    ),
    (
        "services:\n  web:\n    image: a\n    extra_hosts: {h: [1]}\n",
        "services.web.extra_hosts.h must be a string, number or null",
    ),
    (
        "services:\n  web:\n    image: a\nnetworks:\n  n: {driver: 3}\n",
        "networks.n.driver must be a string",
    ),
    (
        "services:\n  web:\n    image: a\nsecrets:\n  s:\n",
        "secrets.s must be a mapping",
    ),
    (
        "services:\n  web:\n    image: a\n    build: 3\n",
        "services.web.build must be a string",
    ),
    (
        "services:\n  web:\n    image: a\n    logging: {options: {a: [1]}}\n",
        "services.web.logging.options.a must be a string, number or null",
    ),
    (
        "services:\n  web:\n    image: a\n    ports: [{target: \"80\"}]\n",
        "services.web.ports.0.target must be a integer",
    ),
    (
        "version: \"3.5\"\nservices:\n  web:\n    image: a\nnetworks:\n  n: {external: {name: x}, name: y}\n",
        "network n: network.external.name and network.name conflict; only use network.name",
    ),
    (
        "version: \"3.5\"\nservices:\n  web:\n    image: a\nvolumes:\n  v: {external: {name: x}, name: y}\n",
        "volume v: volume.external.name and volume.name conflict; only use volume.name",
    ),
    (
        "version: \"3.5\"\nservices:\n  web:\n    image: a\nsecrets:\n  s: {external: {name: x}, name: y}\n",
        "secret s: secret.external.name and secret.name conflict; only use secret.name",
    ),
];

#[test]
fn refused_with_dockers_message() {
    let mut failures = Vec::new();
    for (yaml, docker) in CASES {
        let got = Loader::new("/w")
            .file(ComposeFile::new("c.yml", *yaml))
            .load()
            .map(|_| ())
            .map_err(|e| e.to_string());
        if got.as_ref().err().map(String::as_str) != Some(*docker) {
            failures.push(format!("{yaml:?}\n  docker: {docker}\n  ours:   {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn decoding_errors_name_the_key() {
    for (yaml, key, reason) in [
        (
            "services:\n  web:\n    image: a\n    command: \"a 'b\"\n",
            "services.web.command",
            "EOF found when expecting closing quote",
        ),
        (
            "services:\n  web:\n    image: a\n    deploy: {resources: {limits: {memory: 10x}}}\n",
            "services.web.deploy.resources.limits.memory",
            "invalid size",
        ),
    ] {
        let e = Loader::new("/w")
            .file(ComposeFile::new("c.yml", yaml))
            .load()
            .unwrap_err()
            .to_string();
        assert!(e.contains(key) && e.contains(reason), "{e}");
    }
}

/// docker warns about `external.name` from file format 3.4 for volumes, 3.5 for the others
/// (`docker stack config` printed these warnings for the same files).
#[test]
fn external_name_is_deprecated_as_docker_says() {
    for (version, top, key, warned) in [
        ("3.4", "volumes", "v", true),
        ("3.3", "volumes", "v", false),
        ("3.5", "networks", "n", true),
        ("3.4", "networks", "n", false),
        ("3.5", "configs", "c", true),
    ] {
        let kind = top.trim_end_matches('s');
        let yaml = format!(
            "version: \"{version}\"\nservices:\n  web:\n    image: a\n{top}:\n  {key}: {{external: {{name: x}}}}\n"
        );
        let loaded = Loader::new("/w")
            .file(ComposeFile::new("c.yml", yaml))
            .load()
            .unwrap();
        let warning =
            format!("{kind} {key}: {kind}.external.name is deprecated in favor of {kind}.name");
        assert_eq!(
            loaded.warnings.contains(&warning),
            warned,
            "{version} {top}: {:?}",
            loaded.warnings
        );
    }
}
