//! Loading compose files as `docker stack deploy -c … -c …` does: per file YAML, version,
//! forbidden keys, interpolation, schema and transforms; then the files merged; then docker's
//! warnings for keys it ignores and its image checks.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::decode::{Ctx, decode_file};
use crate::error::LoadError;
use crate::interpolate::interpolate;
use crate::merge::merge;
use crate::model::Compose;
use crate::yaml::{self, Value};

/// Keys docker refuses (`types.ForbiddenProperties`).
const FORBIDDEN: &[(&str, &str)] = &[
    ("extends", "Support for `extends` is not implemented yet."),
    (
        "volume_driver",
        "Instead of setting the volume driver on the service, define a volume using the top-level `volumes` option and specify the driver there.",
    ),
    (
        "volumes_from",
        "To share a volume between services, define it using the top-level `volumes` option and reference it from each service that shares it using the service-level `volumes` option.",
    ),
    ("cpu_quota", "Set resource limits using deploy.resources"),
    ("cpu_shares", "Set resource limits using deploy.resources"),
    ("cpuset", "Set resource limits using deploy.resources"),
    ("mem_limit", "Set resource limits using deploy.resources"),
    (
        "memswap_limit",
        "Set resource limits using deploy.resources",
    ),
];

/// Keys docker ignores with "Ignoring unsupported options" (`types.UnsupportedProperties`).
const UNSUPPORTED: &[&str] = &[
    "build",
    "cgroupns_mode",
    "cgroup_parent",
    "devices",
    "domainname",
    "external_links",
    "ipc",
    "links",
    "mac_address",
    "network_mode",
    "pid",
    "privileged",
    "restart",
    "security_opt",
    "shm_size",
    "userns_mode",
];

/// Keys docker ignores with "Ignoring deprecated options" (`types.DeprecatedProperties`).
const DEPRECATED: &[(&str, &str)] = &[
    (
        "container_name",
        "Setting the container name is not supported.",
    ),
    (
        "expose",
        "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
    ),
];

/// The schema versions docker 28 has (`3.0` … `3.13`); `3` and none mean `3.13`.
const LATEST_MINOR: u32 = 13;

/// One compose file: a name for messages and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeFile {
    name: String,
    text: String,
}

impl ComposeFile {
    /// A file from its name and text (e.g. read from stdin for `-c -`).
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }

    /// Reads a file from disk.
    ///
    /// # Errors
    /// [`LoadError::Read`] when it cannot be read or is not UTF-8.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let p = path.as_ref();
        let name = p.display().to_string();
        let text = std::fs::read_to_string(p).map_err(|e| LoadError::Read {
            path: name.clone(),
            reason: e.to_string(),
        })?;
        Ok(Self { name, text })
    }

    /// The name given.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Reads the files a compose file points to (`env_file`, secret and config `file`s).
pub type FileReader = Arc<dyn Fn(&str) -> Result<Vec<u8>, String> + Send + Sync>;

/// The files' stack after loading, with what docker would have warned about.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Loaded {
    /// The merged model.
    pub compose: Compose,
    /// Keys docker ignores (`build`, `restart`, …), sorted.
    pub unsupported: Vec<String>,
    /// Deprecated keys docker ignores, with docker's explanation.
    pub deprecated: BTreeMap<String, String>,
    /// Other warnings docker logs (deprecated `external.name`, ignored host IPs of ports, …).
    pub warnings: Vec<String>,
}

impl Loaded {
    /// What docker prints on stderr for the ignored keys (empty when nothing was ignored).
    #[must_use]
    pub fn ignored_text(&self) -> String {
        let mut out = String::new();
        if !self.unsupported.is_empty() {
            out.push_str(&format!(
                "Ignoring unsupported options: {}\n\n",
                self.unsupported.join(", ")
            ));
        }
        if !self.deprecated.is_empty() {
            let lines: Vec<String> = self
                .deprecated
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            out.push_str(&format!(
                "Ignoring deprecated options:\n\n{}\n\n",
                lines.join("\n\n")
            ));
        }
        out
    }
}

/// Loads compose files the way `docker stack deploy` does. Nothing here touches a daemon;
/// files named by the compose files are read through a [`FileReader`] (the file system by
/// default).
///
/// ```
/// use swarm_stack::{ComposeFile, Loader};
///
/// let loaded = Loader::new("/srv/app")
///     .env("TAG", "1.25")
///     .file(ComposeFile::new(
///         "docker-compose.yml",
///         "services:\n  web:\n    image: nginx:${TAG}\n    deploy: {replicas: 2}\n",
///     ))
///     .load()
///     .unwrap();
/// let web = &loaded.compose.services["web"];
/// assert_eq!(web.image, "nginx:1.25");
/// assert_eq!(web.deploy.replicas, Some(2));
/// ```
#[derive(Clone)]
#[must_use]
pub struct Loader {
    files: Vec<ComposeFile>,
    working_dir: String,
    env: BTreeMap<String, String>,
    reader: FileReader,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field(
                "files",
                &self.files.iter().map(ComposeFile::name).collect::<Vec<_>>(),
            )
            .field("working_dir", &self.working_dir)
            .field("env", &format_args!("<{} variables>", self.env.len()))
            .finish_non_exhaustive()
    }
}

impl Loader {
    /// A loader whose relative paths resolve against `working_dir` (docker uses the directory
    /// of the first file, or the current directory for stdin), with an empty environment.
    pub fn new(working_dir: impl Into<String>) -> Self {
        Self {
            files: Vec::new(),
            working_dir: working_dir.into(),
            env: BTreeMap::new(),
            reader: Arc::new(|p: &str| std::fs::read(p).map_err(|e| e.to_string())),
        }
    }

    /// Adds a file (later files override earlier ones).
    pub fn file(mut self, file: ComposeFile) -> Self {
        self.files.push(file);
        self
    }

    /// Sets one variable for interpolation and `environment` lookups.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Uses these variables (e.g. `std::env::vars()`, as the docker CLI does).
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Reads referenced files with `reader` instead of the file system (tests, archives).
    pub fn reader(mut self, reader: FileReader) -> Self {
        self.reader = reader;
        self
    }

    /// The working directory.
    #[must_use]
    pub fn working_dir(&self) -> &str {
        &self.working_dir
    }

    /// The reader of referenced files.
    #[must_use]
    pub fn file_reader(&self) -> FileReader {
        self.reader.clone()
    }

    /// Loads, validates and merges the files.
    ///
    /// # Errors
    /// [`LoadError`] with docker's meaning: YAML problems, a version docker does not know or
    /// two different versions, forbidden keys, interpolation errors, the most specific schema
    /// error, transform errors, and a service without a valid image.
    pub fn load(&self) -> Result<Loaded, LoadError> {
        if self.files.is_empty() {
            return Err(LoadError::NoFiles);
        }
        let env = &self.env;
        let lookup = |k: &str| env.get(k).cloned();
        let reader = self.reader.clone();
        let read_file = move |p: &str| reader(p);
        let mut raw = Vec::new();
        for f in &self.files {
            let dict = yaml::parse(&f.text).map_err(|source| LoadError::Yaml {
                file: f.name.clone(),
                source,
            })?;
            raw.push(dict);
        }
        let mut warnings = Vec::new();
        let mut version: Option<String> = None;
        let mut merged: Option<Compose> = None;
        for dict in &raw {
            let v = file_version(dict);
            match &version {
                None => version = Some(v.clone()),
                Some(first) if *first != v => {
                    return Err(LoadError::VersionMismatch(first.clone(), v));
                }
                Some(_) => {}
            }
            let forbidden = service_keys(dict, |k| {
                FORBIDDEN
                    .iter()
                    .find(|(f, _)| *f == k)
                    .map(|(f, d)| ((*f).to_owned(), (*d).to_owned()))
            });
            if !forbidden.is_empty() {
                return Err(LoadError::Forbidden(forbidden));
            }
            let dict = interpolate(dict, &lookup)?;
            let minor = schema_minor(&v).ok_or_else(|| LoadError::UnsupportedVersion(v.clone()))?;
            let mut ctx = Ctx {
                minor,
                working_dir: &self.working_dir,
                lookup: &lookup,
                read_file: &read_file,
                warnings: &mut warnings,
            };
            let mut compose = decode_file(&dict, &mut ctx)?;
            compose.version = v.clone();
            merged = Some(match merged {
                None => compose,
                Some(base) => merge(base, compose),
            });
        }
        let compose = merged.unwrap_or_default();
        let mut unsupported: Vec<String> = Vec::new();
        for dict in &raw {
            for (k, _) in service_keys(dict, |k| {
                UNSUPPORTED
                    .contains(&k)
                    .then(|| (k.to_owned(), String::new()))
            }) {
                if !unsupported.contains(&k) {
                    unsupported.push(k);
                }
            }
        }
        unsupported.sort();
        let mut deprecated = BTreeMap::new();
        for dict in &raw {
            deprecated.extend(service_keys(dict, |k| {
                DEPRECATED
                    .iter()
                    .find(|(d, _)| *d == k)
                    .map(|(d, t)| ((*d).to_owned(), (*t).to_owned()))
            }));
        }
        for (name, svc) in &compose.services {
            if svc.image.is_empty() {
                return Err(LoadError::Image {
                    service: name.clone(),
                    reason: "no image specified".into(),
                });
            }
            check_image(&svc.image).map_err(|reason| LoadError::Image {
                service: name.clone(),
                reason,
            })?;
        }
        Ok(Loaded {
            compose,
            unsupported,
            deprecated,
            warnings,
        })
    }
}

/// `reference.ParseAnyReference`: a 64-hex image ID or a normalised name.
fn check_image(image: &str) -> Result<(), String> {
    if image.len() == 64
        && image
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Ok(());
    }
    registry_client::reference::Reference::parse(image)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Keys of the services of a raw file that `pick` maps to something.
fn service_keys(
    dict: &BTreeMap<String, Value>,
    pick: impl Fn(&str) -> Option<(String, String)>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Value::Map(services)) = dict.get("services") {
        for svc in services.values() {
            if let Value::Map(m) = svc {
                for k in m.keys() {
                    if let Some((k, d)) = pick(k) {
                        out.insert(k, d);
                    }
                }
            }
        }
    }
    out
}

/// `schema.Version`: the `version` value as Go's `%v` prints it, `3.13` when absent or `3`.
fn file_version(dict: &BTreeMap<String, Value>) -> String {
    let v = match dict.get("version") {
        None => return format!("3.{LATEST_MINOR}"),
        Some(v) => v.go_string().unwrap_or_else(|| format!("{v:?}")),
    };
    match v.as_str() {
        "" | "3" => format!("3.{LATEST_MINOR}"),
        _ => v,
    }
}

fn schema_minor(version: &str) -> Option<u32> {
    let minor: u32 = version.strip_prefix("3.")?.parse().ok()?;
    (minor <= LATEST_MINOR && format!("3.{minor}") == version).then_some(minor)
}

/// docker's stack name check: not empty once spaces and quotes are trimmed.
///
/// # Errors
/// [`LoadError::InvalidStackName`].
pub fn validate_stack_name(name: &str) -> Result<(), LoadError> {
    if name
        .trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .is_empty()
    {
        return Err(LoadError::InvalidStackName(name.to_owned()));
    }
    Ok(())
}
