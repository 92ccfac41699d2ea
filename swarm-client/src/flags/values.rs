//! The value grammars of the docker CLI's service flags (`opts/*.go`, `opts/swarmopts/*.go`,
//! `cli/command/service/opts.go`): what each flag's `Set` accepts, what it makes of the value,
//! and its error text (the reason after `invalid argument "…" for "--flag" flag: `).
//!
//! Go's own grammars (`strconv`, `time.ParseDuration`, `encoding/csv`, `shlex`, go-units) come
//! from `sdk-grammar`; what is here is docker's layer on top.

use std::collections::BTreeMap;

use crate::spec::{
    ConfigReference, CredentialSpec, FileTarget, GenericResource, NamedGenericResource,
    NetworkAttachmentConfig, SecretReference, Ulimit,
};

/// A `Set` error: the reason text.
pub(crate) type SetResult<T> = Result<T, String>;

/// `opts.ValidateEnv` (`-e`, `--env-add`, `--log-opt`): `KEY=VALUE` as given; a bare `KEY`
/// takes its value from this process's environment when it is set, else stays bare.
pub(crate) fn env(v: &str) -> SetResult<String> {
    let (k, has_value) = match v.split_once('=') {
        Some((k, _)) => (k, true),
        None => (v, false),
    };
    if k.is_empty() {
        return Err(format!("invalid environment variable: {v}"));
    }
    if has_value {
        return Ok(v.to_owned());
    }
    Ok(std::env::var(k).map_or_else(|_| v.to_owned(), |val| format!("{k}={val}")))
}

/// `opts.ValidateLabel` (`-l`, `--container-label`, `--label-add`, …).
pub(crate) fn label(v: &str) -> SetResult<String> {
    let key = v.split_once('=').map_or(v, |(k, _)| k);
    let key = key.trim_start_matches([' ', '\t']);
    if key.is_empty() {
        return Err(format!("invalid label '{v}': empty name"));
    }
    if key.contains([' ', '\t']) {
        return Err(format!("label '{key}' contains whitespaces"));
    }
    Ok(v.to_owned())
}

/// `opts.ValidateIPAddress` (`--dns`, `--dns-add`): the address in Go's canonical form.
pub(crate) fn ip_address(v: &str) -> SetResult<String> {
    sdk_grammar::go::parse_ip(v.trim())
        .ok_or_else(|| format!("IP address is not correctly formatted: {v}"))
}

/// `opts.ValidateDNSSearch` (`--dns-search`, `--dns-search-add`): `.`, or a domain (docker's
/// `domainRegexp`, colons allowed, at most 254 characters) without its trailing dot.
pub(crate) fn dns_search(v: &str) -> SetResult<String> {
    let t = v.trim_matches(' ');
    if t == "." {
        return Ok(t.to_owned());
    }
    let bad = || format!("{t} is not a valid domain");
    if !t.bytes().any(|b| b.is_ascii_alphabetic()) {
        return Err(bad());
    }
    // `^(LABELS)\.?\s*$`: the submatch is the labels before an optional dot and spaces.
    let body = t.trim_end_matches(['\t', '\n', '\x0b', '\x0c', '\r', ' ']);
    let body = body.strip_suffix('.').unwrap_or(body);
    if body.len() < 255 && domain_labels(body) {
        Ok(body.to_owned())
    } else {
        Err(bad())
    }
}

/// `(:?(:?LABEL))(:?\.(:?LABEL))*` of docker's `domainRegexp`, a label alphanumeric with
/// inner hyphens.
fn domain_labels(mut rest: &str) -> bool {
    let mut first = true;
    loop {
        if !first {
            rest = rest.strip_prefix(':').unwrap_or(rest);
            let Some(r) = rest.strip_prefix('.') else {
                return false;
            };
            rest = r;
        }
        rest = rest.strip_prefix(':').unwrap_or(rest);
        rest = rest.strip_prefix(':').unwrap_or(rest);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        let l = &rest[..end];
        if l.is_empty() || l.starts_with('-') || l.ends_with('-') {
            return false;
        }
        rest = &rest[end..];
        if rest.is_empty() {
            return true;
        }
        first = false;
    }
}

/// `opts.ValidateExtraHost` (`--host`, `--host-add`): `HOST:IP` or `HOST=IP` (`[IPv6]` brackets
/// allowed, `host-gateway` kept), as `HOST:IP`.
pub(crate) fn extra_host(v: &str) -> SetResult<String> {
    let (k, ip) = v
        .split_once('=')
        .or_else(|| v.split_once(':'))
        .filter(|(k, _)| !k.is_empty() && !k.contains(':'))
        .ok_or_else(|| format!("bad format for add-host: {}", sdk_grammar::go::quote(v)))?;
    let mut ip = ip;
    if ip != "host-gateway" {
        if ip.len() > 2 && ip.starts_with('[') && ip.ends_with(']') {
            ip = &ip[1..ip.len() - 1];
        }
        if ip_address(ip).is_err() {
            return Err(format!(
                "invalid IP address in add-host: {}",
                sdk_grammar::go::quote(ip)
            ));
        }
    }
    Ok(format!("{k}:{ip}"))
}

/// `convertExtraHostsToSwarmHosts`: `HOST:IP` as the swarm `Hosts` line `IP HOST`.
pub(crate) fn swarm_host(validated: &str) -> Option<String> {
    validated
        .split_once(':')
        .map(|(host, ip)| format!("{ip} {host}"))
}

/// `ValidateSingleGenericResource` (`--generic-resource`, `--generic-resource-add`).
pub(crate) fn generic_resource(v: &str) -> SetResult<String> {
    if v.contains('=') {
        Ok(v.to_owned())
    } else {
        Err(format!(
            "invalid generic-resource format `{v}` expected `name=value`"
        ))
    }
}

/// `placementPrefOpts.Set`: `spread=DESCRIPTOR`, the descriptor.
pub(crate) fn placement_pref(v: &str) -> SetResult<String> {
    let (strategy, arg) = v
        .split_once('=')
        .filter(|(s, _)| !s.is_empty())
        .ok_or_else(|| {
            "placement preference must be of the format \"<strategy>=<arg>\"".to_owned()
        })?;
    if strategy != "spread" {
        return Err(format!(
            "unsupported placement preference {strategy} (only spread is supported)"
        ));
    }
    Ok(arg.to_owned())
}

/// `opts.ParseCPUs` (`--limit-cpu`, `--reserve-cpu`): a rational number of CPUs (`0.5`, `1/4`,
/// `2e-1`) in nano CPUs.
pub(crate) fn nano_cpus(v: &str) -> SetResult<i64> {
    sdk_grammar::units::parse_cpus(v).map_err(|e| e.to_string())
}

/// `opts.MemBytes` (`--limit-memory`, `--reserve-memory`): go-units' `RAMInBytes`.
pub(crate) fn mem_bytes(v: &str) -> SetResult<i64> {
    sdk_grammar::units::ram_in_bytes(v).map_err(|e| e.to_string())
}

/// pflag's `uint64` and docker's `Uint64Opt`: `strconv.ParseUint(s, 0, 64)`.
pub(crate) fn uint(v: &str) -> SetResult<u64> {
    sdk_grammar::go::parse_uint(v, 0, 64).map_err(|e| e.to_string())
}

/// pflag's `int64` and `int`: `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn int(v: &str) -> SetResult<i64> {
    sdk_grammar::go::parse_int(v, 0, 64).map_err(|e| e.to_string())
}

/// pflag's `bool`: `strconv.ParseBool`.
pub(crate) fn boolean(v: &str) -> SetResult<bool> {
    sdk_grammar::go::parse_bool(v).map_err(|e| e.to_string())
}

/// `time.ParseDuration` (pflag's `duration`, docker's `DurationOpt`), in nanoseconds.
pub(crate) fn duration(v: &str) -> SetResult<i64> {
    sdk_grammar::go::parse_duration(v).map_err(|e| e.to_string())
}

/// docker's `PositiveDurationOpt` (`--health-*`).
pub(crate) fn positive_duration(v: &str) -> SetResult<i64> {
    let d = duration(v)?;
    if d < 0 {
        return Err("duration cannot be negative".to_owned());
    }
    Ok(d)
}

/// docker's `floatValue` (`--update-max-failure-ratio`): `strconv.ParseFloat(s, 32)`.
pub(crate) fn float32(v: &str) -> SetResult<f32> {
    sdk_grammar::go::parse_float32(v).map_err(|e| e.to_string())
}

/// docker's `ShlexOpt` (`--entrypoint`, `--args`): google/shlex words.
pub(crate) fn shell_words(v: &str) -> SetResult<Vec<String>> {
    sdk_grammar::shlex::split(v).map_err(|e| e.to_string())
}

/// `credentialSpecOpt.Set`: the value as given (empty removes the credential spec on update).
pub(crate) fn credential_spec(v: &str) -> SetResult<String> {
    if v.is_empty()
        || ["config://", "file://", "registry://"]
            .iter()
            .any(|p| v.starts_with(p))
    {
        Ok(v.to_owned())
    } else {
        Err("invalid credential spec: value must be prefixed with \"config://\", \"file://\", or \"registry://\"".to_owned())
    }
}

/// The `CredentialSpec` a valid `--credential-spec` value stands for (`None` for an empty
/// value); its `Config` is the config's name until it is looked up.
pub(crate) fn credential_spec_value(v: &str) -> Option<CredentialSpec> {
    let mut cs = CredentialSpec::default();
    if let Some(c) = v.strip_prefix("config://") {
        cs.config = c.to_owned();
    } else if let Some(f) = v.strip_prefix("file://") {
        cs.file = f.to_owned();
    } else if let Some(r) = v.strip_prefix("registry://") {
        cs.registry = r.to_owned();
    } else {
        return None;
    }
    Some(cs)
}

/// What `SecretOpt`/`ConfigOpt` read from `NAME` or `source=…,target=…,uid=…,gid=…,mode=…`.
fn object_file(kind: &str, v: &str) -> SetResult<(String, FileTarget)> {
    let fields = sdk_grammar::csv::read_values(v).map_err(|e| e.to_string())?;
    let mut file = FileTarget {
        uid: "0".into(),
        gid: "0".into(),
        mode: 0o444,
        ..FileTarget::default()
    };
    if fields.len() == 1 && !fields[0].contains('=') {
        file.name.clone_from(&fields[0]);
        return Ok((fields[0].clone(), file));
    }
    let mut name = String::new();
    for field in &fields {
        let (k, val) = field
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| format!("invalid field '{field}' must be a key=value pair"))?;
        match k.to_lowercase().as_str() {
            "source" | "src" => val.clone_into(&mut name),
            "target" => val.clone_into(&mut file.name),
            "uid" => val.clone_into(&mut file.uid),
            "gid" => val.clone_into(&mut file.gid),
            "mode" => {
                let m = sdk_grammar::go::parse_uint(val, 0, 32)
                    .map_err(|e| format!("invalid mode specified: {e}"))?;
                file.mode = u32::try_from(m).unwrap_or(u32::MAX);
            }
            _ => return Err(format!("invalid field in {kind} request: {k}")),
        }
    }
    if name.is_empty() {
        return Err("source is required".to_owned());
    }
    if file.name.is_empty() {
        file.name.clone_from(&name);
    }
    Ok((name, file))
}

/// `swarmopts.SecretOpt.Set` (`--secret`, `--secret-add`): a reference by name (no ID yet).
pub(crate) fn secret(v: &str) -> SetResult<SecretReference> {
    let (name, file) = object_file("secret", v)?;
    Ok(SecretReference {
        file: Some(file),
        secret_name: name,
        ..SecretReference::default()
    })
}

/// `swarmopts.ConfigOpt.Set` (`--config`, `--config-add`): a reference by name (no ID yet).
pub(crate) fn config(v: &str) -> SetResult<ConfigReference> {
    let (name, file) = object_file("config", v)?;
    Ok(ConfigReference {
        file: Some(file),
        config_name: name,
        ..ConfigReference::default()
    })
}

/// Go's `\w+=\w+` searched anywhere in the value: the long syntax of `--network` and
/// `--publish`.
pub(crate) fn is_long_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let w = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    (1..b.len().saturating_sub(1)).any(|i| b[i] == b'=' && w(b[i - 1]) && w(b[i + 1]))
}

/// `opts.NetworkOpt.Set` (`--network`, `--network-add`): a name or ID, or the long syntax
/// `name=…,alias=…,driver-opt=K=V` (`ip`, `ip6`, `mac-address`, `link-local-ip` and
/// `gw-priority` are read and, as by the docker CLI for services, not sent).
pub(crate) fn network(v: &str) -> SetResult<NetworkAttachmentConfig> {
    let mut n = NetworkAttachmentConfig::default();
    if !is_long_syntax(v) {
        v.clone_into(&mut n.target);
        return Ok(n);
    }
    let fields = sdk_grammar::csv::read_values(v).map_err(|e| e.to_string())?;
    for field in &fields {
        let lower = field.to_lowercase();
        let (k, val) = lower
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| format!("invalid field {field}"))?;
        let (k, val) = (k.trim(), val.trim());
        match k {
            "name" => val.clone_into(&mut n.target),
            "alias" => n.aliases.push(val.to_owned()),
            "ip" | "ip6" | "mac-address" | "link-local-ip" => {}
            "driver-opt" => {
                let (dk, dv) = val
                    .split_once('=')
                    .filter(|(k, _)| !k.is_empty())
                    .ok_or_else(|| "invalid key value pair format in driver options".to_owned())?;
                n.driver_opts
                    .insert(dk.trim().to_owned(), dv.trim().to_owned());
            }
            "gw-priority" => {
                sdk_grammar::go::parse_int(val, 10, 64).map_err(|e| {
                    let why = match e {
                        sdk_grammar::Error::Int {
                            out_of_range: true, ..
                        } => "value out of range",
                        _ => "invalid syntax",
                    };
                    format!("invalid gw-priority ({val}): {why}")
                })?;
            }
            other => return Err(format!("invalid field key {other}")),
        }
    }
    if n.target.is_empty() {
        return Err("network name/id is not specified".to_owned());
    }
    Ok(n)
}

/// go-units' `ParseUlimit` (`--ulimit`, `--ulimit-add`): `NAME=SOFT[:HARD]`.
pub(crate) fn ulimit(v: &str) -> SetResult<Ulimit> {
    const NAMES: &[&str] = &[
        "as",
        "core",
        "cpu",
        "data",
        "fsize",
        "locks",
        "memlock",
        "msgqueue",
        "nice",
        "nofile",
        "nproc",
        "rss",
        "rtprio",
        "rttime",
        "sigpending",
        "stack",
    ];
    let (name, limits) = v
        .split_once('=')
        .ok_or_else(|| format!("invalid ulimit argument: {v}"))?;
    if !NAMES.contains(&name) {
        return Err(format!("invalid ulimit type: {name}"));
    }
    let num = |s: &str| sdk_grammar::go::parse_int(s, 10, 64).map_err(|e| e.to_string());
    let parts: Vec<&str> = limits.split(':').collect();
    let (soft, hard) = match parts[..] {
        [s] => {
            let s = num(s)?;
            (s, s)
        }
        [s, h] => {
            let h = num(h)?;
            (num(s)?, h)
        }
        _ => {
            return Err(format!(
                "too many limit value arguments - {limits}, can only have up to two, `soft[:hard]`"
            ));
        }
    };
    if hard != -1 {
        if soft == -1 {
            return Err(format!(
                "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: {hard}"
            ));
        }
        if soft > hard {
            return Err(format!(
                "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
            ));
        }
    }
    Ok(Ulimit {
        name: name.to_owned(),
        soft,
        hard,
        ..Ulimit::default()
    })
}

/// `UlimitOpt.GetList`: one per name (the last given wins), sorted by name.
pub(crate) fn ulimit_list(values: &[Ulimit]) -> Vec<Ulimit> {
    let by_name: BTreeMap<&str, &Ulimit> = values.iter().map(|u| (u.name.as_str(), u)).collect();
    by_name.into_values().cloned().collect()
}

/// `ParseGenericResources` (swarmkit's `genericresource.Parse`, then only discrete resources):
/// `KIND=N` by kind, sorted by kind (the CLI's order comes from a Go map).
pub(crate) fn generic_resources(values: &[String]) -> Result<Vec<GenericResource>, String> {
    let spec_err = |why: String| {
        format!("invalid generic resource specification: could not parse GenericResource: {why}")
    };
    let mut tokens: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for v in values {
        let kv: Vec<&str> = v.split('=').collect();
        let [k, val] = kv[..] else {
            return Err(spec_err(format!(
                "incorrect term {v}, missing '=' or malformed expression"
            )));
        };
        tokens
            .entry(k.trim().to_owned())
            .or_default()
            .push(val.trim().to_owned());
    }
    let mut out = Vec::new();
    for (k, vals) in tokens {
        let nums: Vec<Option<i64>> = vals.iter().map(|v| v.parse().ok()).collect();
        match nums[..] {
            [Some(n)] if n < 0 => {
                return Err(spec_err(format!("cannot ask for negative resource {k}")));
            }
            [Some(n)] => out.push(GenericResource::discrete(k, n)),
            _ if nums.iter().all(Option::is_none) => {
                let named = NamedGenericResource {
                    kind: k,
                    value: vals[0].clone(),
                    ..NamedGenericResource::default()
                };
                return Err(format!(
                    "invalid generic-resource request `{}={}`, Named Generic Resources is not supported for service create or update",
                    named.kind, named.value
                ));
            }
            _ => {
                return Err(spec_err(format!(
                    "mixed discrete and named resources in expression '{k}=[{}]'",
                    vals.join(" ")
                )));
            }
        }
    }
    Ok(out)
}

/// `opts.NormalizeCapability`: upper case, `CAP_` prefix except for `ALL` and `RESET`.
pub(crate) fn capability(c: &str) -> String {
    let c = c.trim().to_uppercase();
    if c == "ALL" || c == "RESET" || c.starts_with("CAP_") {
        c
    } else {
        format!("CAP_{c}")
    }
}

/// `opts.EffectiveCapAddCapDrop` (create): normalised, `ALL` alone when given, a capability
/// both added and dropped is only added, `RESET` left out, sorted.
pub(crate) fn effective_caps(add: &[String], drop: &[String]) -> (Vec<String>, Vec<String>) {
    use std::collections::BTreeSet;
    let set = |v: &[String]| {
        let s: BTreeSet<String> = v.iter().map(|c| capability(c)).collect();
        if s.contains("ALL") {
            BTreeSet::from(["ALL".to_owned()])
        } else {
            s
        }
    };
    let (add, drop) = (set(add), set(drop));
    let cap_drop = drop
        .iter()
        .filter(|c| !add.contains(*c) && *c != "RESET")
        .cloned()
        .collect();
    let cap_add = add.iter().filter(|c| *c != "RESET").cloned().collect();
    (cap_add, cap_drop)
}

/// `opts.ConvertKVStringsToMap`: `KEY=VALUE` to a map (a bare key maps to ""), for words the
/// flag's own validator has accepted already.
pub(crate) fn kv_map<'a>(items: impl IntoIterator<Item = &'a String>) -> BTreeMap<String, String> {
    items
        .into_iter()
        .map(|i| {
            let (k, v) = crate::args::split_key_value(i);
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// `kvfile.Parse` (`--env-file`): `KEY=VALUE` lines as they are, a bare `KEY` takes its value
/// from this process's environment (and is left out when unset), blank lines and `#` comments
/// are skipped, a leading UTF-8 BOM is dropped.
pub(crate) fn read_env_file(path: &str) -> Result<Vec<String>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("open {path}: {}", io_text(&e)))?;
    sdk_grammar::envfile::parse(&bytes, &|k| std::env::var(k).ok())
        .map_err(|e| format!("invalid env file ({path}): {e}"))
}

/// Go's text for the common `os.Open` failures.
fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_and_labels_like_the_cli() {
        assert_eq!(env("A=1"), Ok("A=1".into()));
        assert_eq!(env("A="), Ok("A=".into()));
        assert_eq!(env("DW_SURELY_UNSET_VAR"), Ok("DW_SURELY_UNSET_VAR".into()));
        let home = std::env::var("HOME").unwrap_or_default();
        if !home.is_empty() {
            assert_eq!(env("HOME"), Ok(format!("HOME={home}")));
        }
        assert_eq!(env("=x").unwrap_err(), "invalid environment variable: =x");
        assert_eq!(label(" a=1"), Ok(" a=1".into()));
        assert_eq!(label("=x").unwrap_err(), "invalid label '=x': empty name");
        assert_eq!(
            label("a b=1").unwrap_err(),
            "label 'a b' contains whitespaces"
        );
    }

    #[test]
    fn addresses_and_domains_like_the_cli() {
        assert_eq!(ip_address(" ::0001").unwrap(), "::1");
        assert_eq!(ip_address("::ffff:1.2.3.4").unwrap(), "1.2.3.4");
        assert_eq!(
            ip_address("foo").unwrap_err(),
            "IP address is not correctly formatted: foo"
        );
        for (v, want) in [
            (" Ex-a.com. ", "Ex-a.com"),
            (".", "."),
            ("::a.com", "::a.com"),
            ("b:.:c.", "b:.:c"),
            ("9a", "9a"),
        ] {
            assert_eq!(dns_search(v).unwrap(), want, "{v:?}");
        }
        for v in [
            "a..com", "-a.com", "a-.com", "12.34", "a com", "a.com..", "_a.com",
        ] {
            let e = dns_search(v).unwrap_err();
            assert!(
                e.ends_with(&format!("{v} is not a valid domain")),
                "{v:?}: {e}"
            );
        }
        assert_eq!(extra_host("h=[::1]").unwrap(), "h:::1");
        assert_eq!(swarm_host("h:::1").unwrap(), "::1 h");
        assert_eq!(extra_host("db:::1").unwrap(), "db:::1");
        assert_eq!(extra_host("d= 127.0.0.4").unwrap(), "d: 127.0.0.4");
        assert_eq!(extra_host("gw:host-gateway").unwrap(), "gw:host-gateway");
        for (v, why) in [
            ("foo", "bad format for add-host: \"foo\""),
            (":1.2.3.4", "bad format for add-host: \":1.2.3.4\""),
            ("foo:bar", "invalid IP address in add-host: \"bar\""),
            ("h=[]", "invalid IP address in add-host: \"[]\""),
            (
                "gw=[host-gateway]",
                "invalid IP address in add-host: \"host-gateway\"",
            ),
        ] {
            assert_eq!(extra_host(v).unwrap_err(), why, "{v:?}");
        }
    }

    #[test]
    fn numbers_like_the_cli() {
        assert_eq!(nano_cpus("0.5"), Ok(500_000_000));
        assert_eq!(nano_cpus("1/4"), Ok(250_000_000));
        assert_eq!(nano_cpus("2e-1"), Ok(200_000_000));
        assert_eq!(nano_cpus("-1"), Ok(-1_000_000_000));
        assert_eq!(
            nano_cpus("0.0000000001").unwrap_err(),
            "value is too precise"
        );
        assert_eq!(
            nano_cpus("lots").unwrap_err(),
            "failed to parse lots as a rational number"
        );
        assert_eq!(uint("0x10"), Ok(16));
        assert_eq!(
            uint("-1").unwrap_err(),
            "strconv.ParseUint: parsing \"-1\": invalid syntax"
        );
        assert_eq!(int("-0o10"), Ok(-8));
        assert_eq!(float32("0.25"), Ok(0.25));
        assert_eq!(
            positive_duration("-1s").unwrap_err(),
            "duration cannot be negative"
        );
        assert_eq!(duration("-1s"), Ok(-1_000_000_000));
        assert_eq!(
            duration("1d").unwrap_err(),
            "time: unknown unit \"d\" in duration \"1d\""
        );
        assert_eq!(mem_bytes("12x").unwrap_err(), "invalid suffix: 'x'");
    }

    #[test]
    fn secret_and_config_values_like_the_cli() {
        let s = secret("db").unwrap();
        let f = s.file.clone().unwrap();
        assert_eq!(
            (
                s.secret_name.as_str(),
                f.name.as_str(),
                f.uid.as_str(),
                f.mode
            ),
            ("db", "db", "0", 0o444)
        );
        let c = config("src=c,target=/etc/x,uid=33,gid=44,mode=0400").unwrap();
        let f = c.file.clone().unwrap();
        assert_eq!(
            (
                c.config_name.as_str(),
                f.name.as_str(),
                f.gid.as_str(),
                f.mode
            ),
            ("c", "/etc/x", "44", 0o400)
        );
        assert_eq!(secret("source=s,mode=256").unwrap().file.unwrap().mode, 256);
        for (bad, why) in [
            ("target=/x", "source is required"),
            ("source=s,Foo=1", "invalid field in secret request: Foo"),
            (
                "source=s,mode=rw",
                "invalid mode specified: strconv.ParseUint: parsing \"rw\": invalid syntax",
            ),
            ("source=s,x", "invalid field 'x' must be a key=value pair"),
        ] {
            assert_eq!(secret(bad).unwrap_err(), why, "{bad}");
        }
        assert_eq!(
            config("source=s,x=1").unwrap_err(),
            "invalid field in config request: x"
        );
    }

    #[test]
    fn networks_like_the_cli() {
        let n = network("name=backend,alias=web,alias=www,driver-opt=com.X=1,ip=10.0.0.2").unwrap();
        assert_eq!(n.target, "backend");
        assert_eq!(n.aliases, ["web", "www"]);
        assert_eq!(n.driver_opts.get("com.x").map(String::as_str), Some("1"));
        assert_eq!(network("host").unwrap().target, "host");
        // No `\w=\w` anywhere: a name, commas and all.
        assert_eq!(network("a,b").unwrap().target, "a,b");
        assert_eq!(
            network("alias=web").unwrap_err(),
            "network name/id is not specified"
        );
        assert_eq!(
            network("name=a,bogus=1").unwrap_err(),
            "invalid field key bogus"
        );
        assert_eq!(network("name=a,x").unwrap_err(), "invalid field x");
        assert_eq!(
            network("name=a,gw-priority=x").unwrap_err(),
            "invalid gw-priority (x): invalid syntax"
        );
        assert_eq!(
            network("name=a,driver-opt=x").unwrap_err(),
            "invalid key value pair format in driver options"
        );
    }

    #[test]
    fn ulimits_like_go_units() {
        let u = ulimit("nofile=1:2").unwrap();
        assert_eq!((u.name.as_str(), u.soft, u.hard), ("nofile", 1, 2));
        let u = ulimit("core=-1").unwrap();
        assert_eq!((u.soft, u.hard), (-1, -1));
        assert_eq!(ulimit("nofile=1:-1").map(|u| u.hard), Ok(-1));
        for (v, why) in [
            ("nofile", "invalid ulimit argument: nofile"),
            ("bogus=1", "invalid ulimit type: bogus"),
            (
                "nofile=x",
                "strconv.ParseInt: parsing \"x\": invalid syntax",
            ),
            (
                "nofile=1:2:3",
                "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`",
            ),
            (
                "nofile=5:1",
                "ulimit soft limit must be less than or equal to hard limit: 5 > 1",
            ),
            (
                "nofile=-1:5",
                "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 5",
            ),
        ] {
            assert_eq!(ulimit(v).unwrap_err(), why, "{v}");
        }
        let list = ulimit_list(&[
            ulimit("nproc=10").unwrap(),
            ulimit("nofile=1").unwrap(),
            ulimit("nproc=20").unwrap(),
        ]);
        assert_eq!(
            list.iter()
                .map(|u| (u.name.as_str(), u.soft))
                .collect::<Vec<_>>(),
            [("nofile", 1), ("nproc", 20)]
        );
    }

    #[test]
    fn generic_resources_like_swarmkit() {
        let g = generic_resources(&["gpu=2".into(), " ssd = 0".into()]).unwrap();
        let kinds: Vec<(String, i64)> = g
            .iter()
            .map(|r| {
                let d = r.discrete_resource_spec.clone().unwrap();
                (d.kind, d.value)
            })
            .collect();
        assert_eq!(kinds, [("gpu".into(), 2), ("ssd".into(), 0)]);
        for (v, why) in [
            (&["gpu=-1"][..], "cannot ask for negative resource gpu"),
            (
                &["gpu=u1"],
                "invalid generic-resource request `gpu=u1`, Named Generic Resources is not supported for service create or update",
            ),
            (
                &["gpu=1", "gpu=2"],
                "mixed discrete and named resources in expression 'gpu=[1 2]'",
            ),
            (
                &["a=b=c"],
                "incorrect term a=b=c, missing '=' or malformed expression",
            ),
        ] {
            let v: Vec<String> = v.iter().map(|s| (*s).to_owned()).collect();
            let e = generic_resources(&v).unwrap_err();
            assert!(e.contains(why), "{v:?}: {e}");
        }
        assert_eq!(
            generic_resource("gpu").unwrap_err(),
            "invalid generic-resource format `gpu` expected `name=value`"
        );
    }

    #[test]
    fn capabilities_like_the_cli() {
        let s = |v: &[&str]| v.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            effective_caps(
                &s(&["net_admin", "CAP_CHOWN", "RESET"]),
                &s(&["chown", "mknod"])
            ),
            (s(&["CAP_CHOWN", "CAP_NET_ADMIN"]), s(&["CAP_MKNOD"]))
        );
        assert_eq!(
            effective_caps(&s(&["all", "chown"]), &s(&["ALL"])),
            (s(&["ALL"]), s(&[]))
        );
    }

    #[test]
    fn credential_specs_and_prefs() {
        assert!(
            credential_spec("c")
                .unwrap_err()
                .contains("must be prefixed")
        );
        assert_eq!(credential_spec(""), Ok(String::new()));
        assert_eq!(credential_spec_value("config://c").unwrap().config, "c");
        assert_eq!(credential_spec_value("registry://k").unwrap().registry, "k");
        assert!(credential_spec_value("").is_none());
        assert_eq!(placement_pref("spread=node.id").unwrap(), "node.id");
        assert!(
            placement_pref("=x")
                .unwrap_err()
                .contains("must be of the format")
        );
        assert_eq!(
            placement_pref("Spread=x").unwrap_err(),
            "unsupported placement preference Spread (only spread is supported)"
        );
    }

    #[test]
    fn env_files_like_kvfile() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("env");
        std::fs::write(&f, "\u{feff}# c\n\nA=1\r\n  B=x y \nDW_SURELY_UNSET_VAR\n").unwrap();
        let p = f.display().to_string();
        assert_eq!(read_env_file(&p).unwrap(), ["A=1", "B=x y "]);
        std::fs::write(&f, "BAD KEY=1\n").unwrap();
        assert_eq!(
            read_env_file(&p).unwrap_err(),
            format!("invalid env file ({p}): variable 'BAD KEY' contains whitespaces")
        );
        std::fs::write(&f, "=1\n").unwrap();
        assert!(
            read_env_file(&p)
                .unwrap_err()
                .contains("no variable name on line '=1'")
        );
        let missing = dir.path().join("missing").display().to_string();
        assert_eq!(
            read_env_file(&missing).unwrap_err(),
            format!("open {missing}: no such file or directory")
        );
    }
}
