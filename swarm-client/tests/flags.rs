//! `swarm_client::flags` without a daemon: docker's argument lists to the spec the docker CLI
//! 28.2.2 sends (create) and to the edit it makes of a stored spec (update), the fixes of issue
//! 10's parity defects, and what is refused offline. The same semantics run against the real
//! daemon beside the docker CLI in `flags_parity.rs`.

use serde_json::{Value, json};
use swarm_client::ApiVersion;
use swarm_client::flags::{
    CreateFlags, FlagDef, FlagsError, ObjectIds, UpdateFlags, create_flags, create_help,
    update_flags,
};
use swarm_client::spec::ServiceSpec;

fn create(args: &[&str]) -> Value {
    let spec = CreateFlags::parse(args.iter().copied())
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
        .to_spec()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    serde_json::to_value(&spec).unwrap()
}

fn create_err(args: &[&str]) -> String {
    match CreateFlags::parse(args.iter().copied()) {
        Err(e) => e.to_string(),
        Ok(f) => f
            .to_spec()
            .expect_err(&format!("{args:?} accepted"))
            .to_string(),
    }
}

/// `args` (the service name last) applied to `spec` (JSON) with `ids`.
fn update_with(spec: Value, args: &[&str], ids: &ObjectIds) -> Result<Value, FlagsError> {
    let mut typed: ServiceSpec = serde_json::from_value(spec).unwrap();
    let mut all: Vec<&str> = args.to_vec();
    all.push("svc");
    UpdateFlags::parse(all)?.apply(&mut typed, ids)?;
    Ok(serde_json::to_value(&typed).unwrap())
}

fn update(spec: Value, args: &[&str]) -> Value {
    update_with(spec, args, &ObjectIds::default()).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

#[test]
fn no_flags_is_the_cli_default_spec() {
    assert_eq!(
        create(&["127.0.0.1:5000/absent/x"]),
        json!({"Name": "", "Labels": {}, "TaskTemplate": {"ContainerSpec": {
                "Image": "127.0.0.1:5000/absent/x:latest", "Init": false, "DNSConfig": {}},
            "Resources": {"Limits": {}, "Reservations": {}}, "Placement": {}, "ForceUpdate": 0},
          "Mode": {"Replicated": {}}, "EndpointSpec": {"Mode": "vip"}})
        .as_object()
        .map(|o| {
            let mut o = o.clone();
            o.remove("Name"); // an empty name is left out
            Value::Object(o)
        })
        .unwrap()
    );
}

#[test]
fn the_image_ends_the_flags_and_the_rest_is_the_command() {
    let v = create(&[
        "--name",
        "web",
        "-e",
        "A=1",
        "nginx",
        "nginx",
        "-g",
        "daemon off;",
        "--name",
        "x",
    ]);
    assert_eq!(v["Name"], "web");
    assert_eq!(v["TaskTemplate"]["ContainerSpec"]["Image"], "nginx:latest");
    assert_eq!(
        v["TaskTemplate"]["ContainerSpec"]["Args"],
        json!(["nginx", "-g", "daemon off;", "--name", "x"])
    );
    // docker.io names are sent in their familiar form, tagged.
    let v = create(&["docker.io/library/nginx"]);
    assert_eq!(v["TaskTemplate"]["ContainerSpec"]["Image"], "nginx:latest");
}

#[test]
fn parity_defects_of_issue_10_are_fixed() {
    // --limit-pids is sent.
    let v = create(&["--limit-pids", "64", "img"]);
    assert_eq!(
        v["TaskTemplate"]["Resources"]["Limits"],
        json!({"Pids": 64})
    );
    // --generic-resource exists on create (sorted by kind; a zero value is left out like Go).
    let v = create(&[
        "--generic-resource",
        "ssd=0",
        "--generic-resource",
        "gpu=2",
        "img",
    ]);
    assert_eq!(
        v["TaskTemplate"]["Resources"]["Reservations"]["GenericResources"],
        json!([{"DiscreteResourceSpec": {"Kind": "gpu", "Value": 2}},
               {"DiscreteResourceSpec": {"Kind": "ssd"}}])
    );
    // Jobs take no update or rollback settings.
    for mode in ["replicated-job", "global-job"] {
        assert_eq!(
            create_err(&["--mode", mode, "--update-delay", "1s", "img"]),
            "update and rollback configuration is not supported for jobs"
        );
        assert_eq!(
            create_err(&["--mode", mode, "--rollback-parallelism", "0", "img"]),
            "update and rollback configuration is not supported for jobs"
        );
    }
    // A relative bind source starting with `.` is made absolute against the working directory.
    let cwd = std::env::current_dir().unwrap();
    let v = create(&["--mount", "type=bind,source=.hidden/x,target=/w", "img"]);
    assert_eq!(
        v["TaskTemplate"]["ContainerSpec"]["Mounts"][0]["Source"],
        format!("{}/.hidden/x", cwd.display())
    );
    // `--publish 8080:80/udp/anything`: go-connections ignores what follows the protocol.
    let v = create(&["-p", "8080:80/udp/x", "img"]);
    assert_eq!(
        v["EndpointSpec"]["Ports"],
        json!([{"Protocol": "udp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"}])
    );
}

#[test]
fn create_values_like_the_cli() {
    let v = create(&[
        "-e",
        "A=1",
        "--env",
        "B=x",
        "-e",
        "A=2",
        "--label",
        "k",
        "--container-label",
        "c=3",
        "--cap-add",
        "chown",
        "--cap-drop",
        "CHOWN",
        "--cap-drop",
        "mknod",
        "--dns",
        "::0001",
        "--dns-search",
        " Ex-a.com. ",
        "--host",
        "h=[::1]",
        "--ulimit",
        "nproc=10",
        "--ulimit",
        "nofile=1:2",
        "--ulimit",
        "nproc=20",
        "--network",
        "b",
        "--network",
        "name=a,alias=x,driver-opt=MTU=1400,ip=10.0.0.2",
        "--endpoint-mode",
        "DNSRR",
        "--limit-cpu",
        "1/4",
        "--update-max-failure-ratio",
        "0.1",
        "--restart-condition",
        "",
        "--health-retries",
        "2",
        "--entrypoint",
        "sh -c",
        "img",
    ]);
    let cs = &v["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["Env"], json!(["B=x", "A=2"]));
    assert_eq!(v["Labels"], json!({"k": ""}));
    assert_eq!(cs["Labels"], json!({"c": "3"}));
    // Added and dropped: only added, as EffectiveCapAddCapDrop does.
    assert_eq!(cs["CapabilityAdd"], json!(["CAP_CHOWN"]));
    assert_eq!(cs["CapabilityDrop"], json!(["CAP_MKNOD"]));
    assert_eq!(
        cs["DNSConfig"],
        json!({"Nameservers": ["::1"], "Search": ["Ex-a.com"]})
    );
    assert_eq!(cs["Hosts"], json!(["::1 h"]));
    assert_eq!(
        cs["Ulimits"],
        json!([{"Name": "nofile", "Hard": 2, "Soft": 1}, {"Name": "nproc", "Hard": 20, "Soft": 20}])
    );
    assert_eq!(cs["Command"], json!(["sh", "-c"]));
    assert_eq!(cs["Healthcheck"], json!({"Retries": 2}));
    // Networks by name (offline), sorted; the long syntax's ip is read and not sent.
    assert_eq!(
        v["TaskTemplate"]["Networks"],
        json!([{"Target": "a", "Aliases": ["x"], "DriverOpts": {"mtu": "1400"}}, {"Target": "b"}])
    );
    assert_eq!(v["EndpointSpec"]["Mode"], "dnsrr");
    assert_eq!(
        v["TaskTemplate"]["Resources"]["Limits"]["NanoCPUs"],
        250_000_000
    );
    assert_eq!(v["UpdateConfig"]["MaxFailureRatio"], json!(0.1));
    // An empty condition is left out (Go's omitempty), the other defaults stay.
    assert_eq!(
        v["TaskTemplate"]["RestartPolicy"],
        json!({"Delay": 5_000_000_000_i64, "MaxAttempts": 0})
    );
}

#[test]
fn names_need_ids_offline_and_take_them_from_object_ids() {
    let f = CreateFlags::parse([
        "--secret",
        "db",
        "--config",
        "src=lb,target=/etc/lb",
        "--credential-spec",
        "config://cs",
        "--network",
        "front",
        "img",
    ])
    .unwrap();
    let names = f.object_names();
    assert_eq!(
        (
            names.secrets.clone(),
            names.configs.clone(),
            names.networks.clone()
        ),
        (
            vec!["db".to_owned()],
            vec!["lb".to_owned(), "cs".to_owned()],
            vec!["front".to_owned()]
        )
    );
    assert!(matches!(
        f.to_spec(),
        Err(FlagsError::NeedsLookup { kind: "secret", .. })
    ));
    let ids = ObjectIds::new()
        .secret("db", "id-db")
        .config("lb", "id-lb")
        .config("cs", "id-cs")
        .network("front", "id-front");
    let v = serde_json::to_value(f.to_spec_with(&ids).unwrap()).unwrap();
    let cs = &v["TaskTemplate"]["ContainerSpec"];
    assert_eq!(
        cs["Secrets"],
        json!([{"File": {"Name": "db", "UID": "0", "GID": "0", "Mode": 292},
            "SecretID": "id-db", "SecretName": "db"}])
    );
    // File configs, then the credential spec's runtime config; the spec holds its ID.
    assert_eq!(
        cs["Configs"],
        json!([{"File": {"Name": "/etc/lb", "UID": "0", "GID": "0", "Mode": 292},
                "ConfigID": "id-lb", "ConfigName": "lb"},
               {"Runtime": {}, "ConfigID": "id-cs", "ConfigName": "cs"}])
    );
    assert_eq!(
        cs["Privileges"],
        json!({"CredentialSpec": {"Config": "id-cs", "File": "", "Registry": ""},
            "SELinuxContext": null, "NoNewPrivileges": false})
    );
    assert_eq!(
        v["TaskTemplate"]["Networks"],
        json!([{"Target": "id-front"}])
    );
    assert_eq!(
        create_err(&[
            "--secret",
            "source=a,target=t",
            "--secret",
            "source=b,target=t",
            "img"
        ]),
        "duplicate secret target for b not allowed"
    );
}

#[test]
fn refused_like_the_cli() {
    for (args, why) in [
        (
            &["--mode", "global", "--replicas", "2", "img"][..],
            "replicas can only be used with replicated or replicated-job mode",
        ),
        (
            &[
                "--mode",
                "global-job",
                "--replicas-max-per-node",
                "1",
                "img",
            ],
            "replicas-max-per-node can only be used with replicated or replicated-job mode",
        ),
        (
            &["--max-concurrent", "2", "img"],
            "max-concurrent can only be used with replicated-job mode",
        ),
        (
            &["--mode", "x", "img"],
            "Unknown mode: x, only replicated and global supported",
        ),
        (
            &["--no-healthcheck", "--health-interval", "1s", "img"],
            "--no-healthcheck conflicts with --health-* options",
        ),
        (
            &["--generic-resource", "gpu=u1", "img"],
            "invalid generic-resource request `gpu=u1`, Named Generic Resources is not supported for service create or update",
        ),
        (
            &["--env-file", "/nonexistent/dw.env", "img"],
            "open /nonexistent/dw.env: no such file or directory",
        ),
        (
            &["--replicas", "three", "img"],
            "invalid argument \"three\" for \"--replicas\" flag: strconv.ParseUint: parsing \"three\": invalid syntax",
        ),
        (
            &["-e", "=x", "img"],
            "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x",
        ),
        (&["--bogus", "img"], "unknown flag: --bogus"),
        (&["-dZ", "img"], "unknown shorthand flag: 'Z' in -Z"),
        (&["--name"], "flag needs an argument: --name"),
        (&["-d"], "'service create' requires at least 1 argument"),
        (
            &["--update-max-failure-ratio", "1e39", "img"],
            "invalid argument \"1e39\" for \"--update-max-failure-ratio\" flag: strconv.ParseFloat: parsing \"1e39\": value out of range",
        ),
    ] {
        assert_eq!(create_err(args), why, "{args:?}");
    }
    assert!(matches!(
        CreateFlags::parse(["--help"]),
        Err(FlagsError::Help)
    ));
}

#[test]
fn flags_newer_than_the_daemon_are_refused_with_the_cli_message() {
    let f = CreateFlags::parse([
        "--oom-score-adj",
        "5",
        "--health-start-interval",
        "1s",
        "--init",
        "img",
    ])
    .unwrap();
    assert_eq!(
        f.check_api_version(ApiVersion::new(1, 41))
            .unwrap_err()
            .to_string(),
        "\"--health-start-interval\" requires API version 1.44, but the Docker daemon API version is 1.41\n\
         \"--oom-score-adj\" requires API version 1.46, but the Docker daemon API version is 1.41"
    );
    assert!(f.check_api_version(ApiVersion::new(1, 46)).is_ok());
    // Offline they are built.
    let v = serde_json::to_value(f.to_spec().unwrap()).unwrap();
    assert_eq!(v["TaskTemplate"]["ContainerSpec"]["OomScoreAdj"], 5);
    assert_eq!(
        v["TaskTemplate"]["ContainerSpec"]["Healthcheck"]["StartInterval"],
        1_000_000_000
    );
    let u = UpdateFlags::parse(["--oom-score-adj", "1", "web"]).unwrap();
    assert!(u.check_api_version(ApiVersion::new(1, 41)).is_err());
    // Every annotation of the tables parses as a version.
    for f in create_flags().iter().chain(update_flags()) {
        if let Some(v) = f.min_api_version() {
            assert!(v.parse::<ApiVersion>().is_ok(), "{}: {v}", f.name());
        }
    }
}

#[test]
fn a_programs_own_flags_parse_along_dockers() {
    const EXTRA: &[FlagDef] = &[
        FlagDef::boolean("dry-run", "Print the spec"),
        FlagDef::value("wait-timeout", "float", "Seconds"),
    ];
    let (f, extra) = CreateFlags::parse_with(
        ["--dry-run", "--wait-timeout=5", "-d", "img", "--dry-run"],
        EXTRA,
    )
    .unwrap();
    assert!(extra.is_true("dry-run"));
    assert_eq!(extra.last("wait-timeout"), Some("5"));
    assert_eq!(
        (f.common.detach, f.args.as_slice()),
        (Some(true), &["--dry-run".to_owned()][..])
    );
    let (_, extra) = CreateFlags::parse_with(["--dry-run=false", "img"], EXTRA).unwrap();
    assert!(!extra.is_true("dry-run"));
    assert!(CreateFlags::parse(["--dry-run", "img"]).is_err());
    let clash = [FlagDef::boolean("tty", "mine")];
    assert_eq!(
        CreateFlags::parse_with(["img"], &clash)
            .unwrap_err()
            .to_string(),
        "flag redefined: tty"
    );
    let help = create_help("mytool", EXTRA);
    assert!(help.starts_with("Usage:  mytool service create [OPTIONS] IMAGE [COMMAND] [ARG...]\n"));
    assert!(
        help.contains("\n      --dry-run                            Print the spec\n"),
        "{help}"
    );
}

fn stored() -> Value {
    json!({
        "Name": "web", "Labels": {"a": "1"}, "Future": {"kept": true},
        "Mode": {"Replicated": {"Replicas": 1}},
        "TaskTemplate": {"ContainerSpec": {"Image": "i:1", "Env": ["A=1", "B=1"],
            "Mounts": [{"Type": "tmpfs", "Target": "/t"}], "FutureField": 7},
            "Placement": {"Constraints": ["z==1"]}, "ForceUpdate": 2},
        "EndpointSpec": {"Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"}]}
    })
}

#[test]
fn update_edits_the_stored_spec_and_keeps_what_it_does_not_model() {
    let v = update(
        stored(),
        &[
            "--image",
            "i:2",
            "--replicas",
            "3",
            "--env-add",
            "B=2",
            "--env-add",
            "C=3",
            "--env-rm",
            "A",
            "--label-add",
            "b=2",
            "--label-rm",
            "a",
            "--mount-rm",
            "/t",
            "--mount-add",
            "type=volume,source=v,target=/v",
            "--publish-rm",
            "80",
            "--publish-add",
            "9090:90/udp",
            "--constraint-add",
            "a==1",
            "--update-parallelism",
            "2",
            "--update-monitor",
            "2s",
            "--force",
            "--args",
            "sh -c 'echo hi'",
        ],
    );
    assert_eq!(v["Future"]["kept"], true);
    assert_eq!(v["TaskTemplate"]["ContainerSpec"]["FutureField"], 7);
    assert_eq!(v["Mode"]["Replicated"]["Replicas"], 3);
    let cs = &v["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["Image"], "i:2");
    assert_eq!(cs["Env"], json!(["B=2", "C=3"]));
    assert_eq!(cs["Args"], json!(["sh", "-c", "echo hi"]));
    assert_eq!(
        cs["Mounts"],
        json!([{"Type": "volume", "Source": "v", "Target": "/v"}])
    );
    assert_eq!(v["Labels"], json!({"b": "2"}));
    assert_eq!(
        v["TaskTemplate"]["Placement"]["Constraints"],
        json!(["a==1", "z==1"])
    );
    assert_eq!(v["TaskTemplate"]["ForceUpdate"], 3);
    assert_eq!(
        v["EndpointSpec"]["Ports"],
        json!([{"Protocol": "udp", "TargetPort": 90, "PublishedPort": 9090, "PublishMode": "ingress"}])
    );
    assert_eq!(
        v["UpdateConfig"],
        json!({"Parallelism": 2, "FailureAction": "pause", "Monitor": 2_000_000_000_i64,
            "MaxFailureRatio": 0, "Order": "stop-first"})
    );
    // The image is tagged like the client library does, even when not changed.
    let v = update(
        json!({"TaskTemplate": {"ContainerSpec": {"Image": "nginx"}}}),
        &["--env-add", "A=1"],
    );
    assert_eq!(v["TaskTemplate"]["ContainerSpec"]["Image"], "nginx:latest");
}

#[test]
fn update_resources_secrets_and_configs() {
    let spec = json!({
        "TaskTemplate": {
            "ContainerSpec": {"Image": "i:1", "Secrets": [
                {"File": {"Name": "old", "UID": "0", "GID": "0", "Mode": 292},
                 "SecretID": "id-old", "SecretName": "old"},
                {"File": {"Name": "keep", "UID": "0", "GID": "0", "Mode": 292},
                 "SecretID": "id-keep", "SecretName": "keep"}]},
            "Resources": {"Limits": {"MemoryBytes": 1024}}
        }
    });
    let args = [
        "--limit-cpu",
        "0.5",
        "--limit-pids",
        "7",
        "--reserve-memory",
        "64m",
        "--secret-rm",
        "old",
        "--secret-add",
        "source=db,target=db.pw,mode=0400",
        "--config-add",
        "lb",
    ];
    let f = UpdateFlags::parse(args.iter().copied().chain(["svc"])).unwrap();
    let names = f.object_names();
    assert_eq!(
        (names.secrets, names.configs),
        (vec!["db".to_owned()], vec!["lb".to_owned()])
    );
    // Without the IDs the names need a lookup.
    assert!(matches!(
        update_with(spec.clone(), &args, &ObjectIds::default()),
        Err(FlagsError::NeedsLookup { kind: "secret", .. })
    ));
    let ids = ObjectIds::new().secret("db", "id-db").config("lb", "id-lb");
    let v = update_with(spec, &args, &ids).unwrap();
    let r = &v["TaskTemplate"]["Resources"];
    assert_eq!(
        r["Limits"],
        json!({"NanoCPUs": 500_000_000, "MemoryBytes": 1024, "Pids": 7})
    );
    assert_eq!(r["Reservations"], json!({"MemoryBytes": 64 * 1024 * 1024}));
    let cs = &v["TaskTemplate"]["ContainerSpec"];
    let names: Vec<&str> = cs["Secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["SecretName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["keep", "db"]);
    assert_eq!(
        cs["Secrets"][1],
        json!({"File": {"Name": "db.pw", "UID": "0", "GID": "0", "Mode": 256},
            "SecretID": "id-db", "SecretName": "db"})
    );
    assert_eq!(cs["Configs"][0]["ConfigID"], "id-lb");
    assert_eq!(cs["Configs"][0]["File"]["Name"], "lb");
    // Two added references with one target file are refused.
    let ids = ObjectIds::new().secret("db", "1").secret("db2", "2");
    let e = update_with(
        json!({}),
        &["--secret-add", "db", "--secret-add", "source=db2,target=db"],
        &ids,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "duplicate secret target for db2 not allowed");
}

#[test]
fn update_networks_like_update_networks() {
    let ids = ObjectIds::new()
        .network("front", "id-b")
        .network("back", "id-a")
        .network("id-a", "id-a")
        .network("mid", "id-c");
    // The deprecated top-level Networks is moved into the task template.
    let spec = json!({
        "Networks": [{"Target": "id-c"}, {"Target": "id-a", "Aliases": ["x"]}],
        "TaskTemplate": {}
    });
    let args = [
        "--network-rm",
        "id-a",
        "--network-add",
        "name=front,alias=web,driver-opt=MTU=1400",
    ];
    let f = UpdateFlags::parse(args.iter().copied().chain(["svc"])).unwrap();
    assert_eq!(
        f.object_names().networks,
        ["front".to_owned(), "id-a".to_owned()]
    );
    let v = update_with(spec, &args, &ids).unwrap();
    assert!(v.get("Networks").is_none());
    assert_eq!(
        v["TaskTemplate"]["Networks"],
        json!([{"Target": "id-b", "Aliases": ["web"], "DriverOpts": {"mtu": "1400"}}, {"Target": "id-c"}])
    );
    let e = update_with(v.clone(), &["--network-add", "mid"], &ids).unwrap_err();
    assert_eq!(e.to_string(), "service is already attached to network mid");
    let e = update_with(v, &["--network-rm", "nope"], &ids).unwrap_err();
    assert!(
        matches!(
            e,
            FlagsError::NeedsLookup {
                kind: "network",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn update_container_and_task_settings_like_update_service() {
    let spec = json!({"Mode": {"ReplicatedJob": {"MaxConcurrent": 1}},
        "TaskTemplate": {"ContainerSpec": {"Healthcheck": {"Test": ["NONE"]},
        "Hosts": ["bogus", "127.0.0.1   a b c", "127.0.0.2 c", "127.0.0.1 a", "db:1.2.3.4"]}}});
    let v = update(
        spec.clone(),
        &[
            "--oom-score-adj",
            "-500",
            "--health-retries",
            "2",
            "--max-concurrent",
            "4",
            "--host-rm",
            "a:127.0.0.1",
            "--host-add",
            "d= 127.0.0.4",
            "-t=false",
            "--health-start-interval",
            "2s",
        ],
    );
    let cs = &v["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["OomScoreAdj"], -500);
    assert!(cs.get("TTY").is_none(), "false is left out");
    // updateHealthcheck clears NONE, sets the retries, and ignores --health-start-interval.
    assert_eq!(cs["Healthcheck"], json!({"Retries": 2}));
    // A line that is no `IP NAME…` line goes; `HOST:IP` removes HOST from the lines of IP.
    assert_eq!(
        cs["Hosts"],
        json!(["127.0.0.1 b c", "127.0.0.2 c", " 127.0.0.4 d"])
    );
    assert_eq!(
        v["Mode"]["ReplicatedJob"]["MaxConcurrent"], 1,
        "ignored, like the CLI"
    );
    for (args, why) in [
        (
            &["--replicas", "2"][..],
            "replicas can only be used with replicated mode",
        ),
        (
            &["--no-healthcheck", "--health-retries", "0"],
            "--no-healthcheck conflicts with --health-* options",
        ),
        (
            &["--generic-resource-rm", "gpu"],
            "could not find generic-resource `gpu` to remove it",
        ),
        (
            &[
                "--mount-add",
                "type=tmpfs,target=/d",
                "--mount-add",
                "type=tmpfs,dst=/d",
            ],
            "duplicate mount target",
        ),
    ] {
        let e = update_with(spec.clone(), args, &ObjectIds::default()).unwrap_err();
        assert_eq!(e.to_string(), why, "{args:?}");
    }
    let e = update_with(
        json!({}),
        &["--ulimit-add", "nofile=2:1"],
        &ObjectIds::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("\"--ulimit-add\" flag"), "{e}");
}

#[test]
fn update_credential_spec_and_its_runtime_config() {
    let ids = ObjectIds::new().config("cs", "id-cs");
    let v = update_with(
        json!({"TaskTemplate": {"ContainerSpec": {}}}),
        &["--credential-spec", "config://cs"],
        &ids,
    )
    .unwrap();
    let cs = &v["TaskTemplate"]["ContainerSpec"];
    assert_eq!(
        cs["Privileges"]["CredentialSpec"],
        json!({"Config": "id-cs", "File": "", "Registry": ""})
    );
    assert_eq!(
        cs["Configs"],
        json!([{"Runtime": {}, "ConfigID": "id-cs", "ConfigName": "cs"}])
    );
    // Kept while the credential spec uses it, whatever else changes.
    let v = update(v, &["--env-add", "A=1", "--config-rm", "cs"]);
    assert_eq!(
        v["TaskTemplate"]["ContainerSpec"]["Configs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // An empty credential spec removes it, and its runtime config goes.
    let v = update(v, &["--credential-spec", ""]);
    let cs = &v["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["Privileges"]["CredentialSpec"], Value::Null);
    assert!(cs.get("Configs").is_none());
}

#[test]
fn update_capabilities_dns_ulimits_and_placement() {
    let spec = json!({"TaskTemplate": {"ContainerSpec": {
        "CapabilityAdd": ["CAP_NET_ADMIN"], "CapabilityDrop": ["CAP_MKNOD", "CAP_CHOWN"],
        "DNSConfig": {"Nameservers": ["127.0.0.9", "127.0.0.2"], "Options": ["b"]},
        "Ulimits": [{"Name": "nproc", "Hard": 1, "Soft": 1}, {"Name": "core", "Hard": 0, "Soft": 0}]},
        "Placement": {"Preferences": [{"Spread": {"SpreadDescriptor": "a"}}, {"Spread": {"SpreadDescriptor": "b"}}]}}});
    let v = update(
        spec,
        &[
            "--cap-add",
            "mknod",
            "--cap-drop",
            "net_admin",
            "--cap-drop",
            "NET_RAW",
            "--dns-add",
            "::0001",
            "--dns-add",
            "127.0.0.2",
            "--dns-rm",
            "127.0.0.9",
            "--dns-option-add",
            "a",
            "--dns-option-add",
            "a",
            "--dns-option-rm",
            "b",
            "--ulimit-rm",
            "core=1",
            "--ulimit-add",
            "nofile=1:2",
            "--placement-pref-rm",
            "spread=a",
            "--placement-pref-add",
            "spread=c",
        ],
    );
    let cs = &v["TaskTemplate"]["ContainerSpec"];
    // Dropping an added one only un-adds it; adding a dropped one only un-drops it.
    assert!(cs.get("CapabilityAdd").is_none());
    assert_eq!(cs["CapabilityDrop"], json!(["CAP_CHOWN", "CAP_NET_RAW"]));
    assert_eq!(
        cs["DNSConfig"],
        json!({"Nameservers": ["127.0.0.2", "::1"], "Options": ["a"]})
    );
    assert_eq!(
        cs["Ulimits"],
        json!([{"Name": "nofile", "Hard": 2, "Soft": 1}, {"Name": "nproc", "Hard": 1, "Soft": 1}])
    );
    assert_eq!(
        v["TaskTemplate"]["Placement"]["Preferences"],
        json!([{"Spread": {"SpreadDescriptor": "b"}}, {"Spread": {"SpreadDescriptor": "c"}}])
    );
    // RESET clears a list before the rest applies.
    let v = update(v, &["--cap-drop", "RESET", "--cap-add", "ALL"]);
    let cs = &v["TaskTemplate"]["ContainerSpec"];
    assert_eq!(
        (cs["CapabilityAdd"].clone(), cs.get("CapabilityDrop")),
        (json!(["ALL"]), None)
    );
}

#[test]
fn update_takes_exactly_one_service_anywhere() {
    let f = UpdateFlags::parse(["web", "--replicas", "2", "-d"]).unwrap();
    assert_eq!(
        (f.service.as_str(), f.common.replicas, f.common.detach),
        ("web", Some(2), Some(true))
    );
    for args in [&["-d"][..], &["a", "b"]] {
        assert_eq!(
            UpdateFlags::parse(args.iter().copied())
                .unwrap_err()
                .to_string(),
            "'service update' requires 1 argument"
        );
    }
    assert_eq!(
        UpdateFlags::parse(["--env", "A=1", "web"])
            .unwrap_err()
            .to_string(),
        "unknown flag: --env"
    );
}

#[test]
fn typed_flags_built_in_code_are_checked_like_parsed_ones() {
    let mut f = CreateFlags::new("nginx:1.27");
    f.common.replicas = Some(2);
    f.env.push("A=1".into());
    f.dns.push("not-an-ip".into());
    assert_eq!(
        f.to_spec().unwrap_err().to_string(),
        "invalid argument \"not-an-ip\" for \"--dns\" flag: IP address is not correctly formatted: not-an-ip"
    );
    f.dns.clear();
    let spec = f.to_spec().unwrap();
    assert_eq!(spec.mode.replicas(), Some(2));
    assert_eq!(spec.container().unwrap().env, ["A=1"]);
}

/// A flag-like or plain argument.
fn arg() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let names: Vec<String> = create_flags()
        .iter()
        .chain(update_flags())
        .map(|f| format!("--{}", f.name()))
        .collect();
    prop_oneof![
        proptest::sample::select(names),
        "-[a-zA-Z]{1,3}(=[a-z0-9]{0,3})?",
        "[a-z0-9=:/.,_-]{0,12}",
        "--[a-z-]{1,8}=[ -~]{0,10}",
        Just("--".to_owned()),
    ]
}

proptest::proptest! {
    #[test]
    fn any_argument_list_parses_or_is_refused_without_panicking(
        args in proptest::collection::vec(arg(), 0..8)
    ) {
        if let Ok(f) = CreateFlags::parse(&args) {
            let _ = f.to_spec();
            let _ = f.check_api_version(ApiVersion::new(1, 41));
        }
        if let Ok(f) = UpdateFlags::parse(&args) {
            let mut spec = ServiceSpec::default();
            let _ = f.apply(&mut spec, &ObjectIds::default());
        }
    }
}
