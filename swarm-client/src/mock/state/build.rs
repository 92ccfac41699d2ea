//! The fake's classic builder (`POST /build`): it reads the context tar, finds the Dockerfile,
//! and interprets it the way the classic builder does where the result can be seen without
//! running anything. `FROM` (scratch, a stored image, an image of the fake's registries, an
//! earlier stage; `--target`), `ARG` with build args, `ENV`, `LABEL` (and the `labels`
//! option, as dockerd's extra last step), `CMD`, `ENTRYPOINT`, `WORKDIR`, `USER`, `EXPOSE`,
//! `VOLUME`, `STOPSIGNAL`, `MAINTAINER` change the config; `COPY` and `ADD` add a layer holding
//! the named context files (wildcards in a path segment; `ADD` neither fetches URLs nor unpacks
//! tars); `RUN` runs nothing and adds nothing. The output is dockerd's (`Step i/N : …`,
//! `Successfully built …`), a step failure is an in-stream error in its words, and the same
//! build again answers from the cache unless `nocache`.

use std::collections::{BTreeMap, HashSet};

use bytes::Bytes;
use serde_json::{Value, json};

use registry_client::digest::Digest;

use crate::dockerignore::{PatternMatcher, read_patterns};
use crate::mock::stamps::{long_id, now_str};

use super::dockerfile::{Instr, clean, exec_form, pairs, parse_dockerfile, subst, words};
use super::images::{ConfigBlob, ImageRecord, LayerRecord, LocalRef};
use super::layers::{CtxEntry, copy_layer, read_context};
use super::model::State;

/// What `POST /build` asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct BuildRequest {
    pub(crate) context: Bytes,
    pub(crate) dockerfile: String,
    pub(crate) tags: Vec<LocalRef>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) build_args: BTreeMap<String, Option<String>>,
    pub(crate) target: Option<String>,
    pub(crate) no_cache: bool,
    pub(crate) pull: bool,
    pub(crate) quiet: bool,
}

/// What the builder answers.
#[derive(Debug, Clone)]
pub(crate) enum BuildResult {
    /// Refused before the stream: an HTTP status and dockerd's message.
    Refused(u16, String),
    /// The JSON messages of the stream (the last one an `errorDetail` when a step failed).
    Stream(Vec<Value>),
}

/// dockerd's 400 for a Dockerfile whose first instruction (after `ARG`s) is not `FROM`.
const NO_STAGE: &str = "no build stage in current context";

const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A stage's result so far.
#[derive(Debug, Clone)]
struct Stage {
    name: Option<String>,
    config: ConfigBlob,
    layers: Vec<LayerRecord>,
    /// The stored image it started from (empty for scratch and earlier stages).
    parent: String,
    /// The cache key of its steps so far.
    key: String,
}

fn stream(s: impl Into<String>) -> Value {
    json!({ "stream": s.into() })
}

fn failure(message: &str) -> Value {
    json!({ "errorDetail": { "message": message }, "error": message })
}

fn short(key: &str) -> String {
    let d = Digest::sha256_of(key.as_bytes()).to_string();
    d.trim_start_matches("sha256:")[..12].to_owned()
}

impl State {
    /// `POST /build`.
    pub(crate) fn build(
        &mut self,
        req: &BuildRequest,
        registries_denied: impl Fn(&str) -> bool,
    ) -> BuildResult {
        let mut ctx = match read_context(&req.context) {
            Ok(c) => c,
            Err(e) => return BuildResult::Refused(500, e),
        };
        let mut dockerfile = clean(if req.dockerfile.is_empty() {
            "Dockerfile"
        } else {
            &req.dockerfile
        });
        if !ctx.contains_key(&dockerfile)
            && dockerfile == "Dockerfile"
            && ctx.contains_key("dockerfile")
        {
            dockerfile = "dockerfile".to_owned();
        }
        let Some(df) = ctx.get(&dockerfile) else {
            let name = if req.dockerfile.is_empty() {
                "Dockerfile"
            } else {
                req.dockerfile.as_str()
            };
            return BuildResult::Refused(
                500,
                format!("Cannot locate specified Dockerfile: {name}"),
            );
        };
        let text = String::from_utf8_lossy(&df.data).into_owned();
        let instrs = match parse_dockerfile(&text) {
            Ok(i) => i,
            Err(e) => return BuildResult::Refused(400, e),
        };
        if let Some(ignore) = ctx.get(".dockerignore")
            && let Ok(patterns) = read_patterns(&String::from_utf8_lossy(&ignore.data))
            && let Ok(pm) = PatternMatcher::new(&patterns)
        {
            for f in [".dockerignore".to_owned(), dockerfile.clone()] {
                if pm.matches_or_parent_matches(&f) {
                    ctx.remove(&f);
                }
            }
        }
        // Meta ARGs before the first FROM; stages split at each FROM.
        let first_from = instrs.iter().position(|i| i.cmd == "FROM");
        let Some(first_from) = first_from else {
            return BuildResult::Refused(400, NO_STAGE.to_owned());
        };
        let mut meta: BTreeMap<String, String> = BTreeMap::new();
        let mut consumed: HashSet<String> = HashSet::new();
        for i in &instrs[..first_from] {
            if i.cmd != "ARG" {
                return BuildResult::Refused(400, NO_STAGE.to_owned());
            }
            let (k, default) = i
                .args
                .split_once('=')
                .map_or((i.args.as_str(), None), |(k, v)| (k, Some(v)));
            consumed.insert(k.to_owned());
            let v = req
                .build_args
                .get(k)
                .cloned()
                .flatten()
                .or(default.map(str::to_owned));
            if let Some(v) = v {
                meta.insert(k.to_owned(), v);
            }
        }
        let mut stages: Vec<(String, Vec<&Instr>)> = Vec::new();
        for i in &instrs[first_from..] {
            if i.cmd == "FROM" {
                stages.push((i.args.clone(), vec![i]));
            } else if let Some(s) = stages.last_mut() {
                s.1.push(i);
            }
        }
        let stage_name = |from_args: &str| {
            let w: Vec<&str> = from_args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            (w.len() == 3 && w[1].eq_ignore_ascii_case("as")).then(|| w[2].to_ascii_lowercase())
        };
        if let Some(t) = &req.target {
            let t = t.to_ascii_lowercase();
            match stages
                .iter()
                .position(|(f, _)| stage_name(f).as_deref() == Some(t.as_str()))
            {
                Some(i) => stages.truncate(i + 1),
                None => {
                    return BuildResult::Refused(
                        400,
                        format!("failed to reach build target {t} in Dockerfile"),
                    );
                }
            }
        }
        let extra_label = !req.labels.is_empty();
        let total: usize =
            stages.iter().map(|s| s.1.len()).sum::<usize>() + usize::from(extra_label);
        let mut out: Vec<Value> = Vec::new();
        let mut done: Vec<Stage> = Vec::new();
        let mut step = 0;
        let last_stage = stages.len() - 1;
        for (si, (_, body)) in stages.iter().enumerate() {
            let mut stage: Option<Stage> = None;
            let mut vars: BTreeMap<String, String> = BTreeMap::new();
            let mut steps: Vec<Instr> = body.iter().map(|i| (*i).clone()).collect();
            if si == last_stage && extra_label {
                let l: Vec<String> = req
                    .labels
                    .iter()
                    .map(|(k, v)| {
                        if v.is_empty() || v.contains(char::is_whitespace) {
                            format!("{k}={v:?}")
                        } else {
                            format!("{k}={v}")
                        }
                    })
                    .collect();
                let args = l.join(" ");
                steps.push(Instr {
                    cmd: "LABEL".to_owned(),
                    original: format!("LABEL {args}"),
                    args,
                });
            }
            for ins in &steps {
                step += 1;
                out.push(stream(format!("Step {step}/{total} : {}", ins.original)));
                out.push(stream("\n"));
                if ins.cmd == "FROM" {
                    let w: Vec<String> = ins
                        .args
                        .split_whitespace()
                        .filter(|w| !w.starts_with("--"))
                        .map(|w| subst(w, &meta))
                        .collect();
                    let image = w.first().cloned().unwrap_or_default();
                    let name = stage_name(&ins.args);
                    let s = match self.stage_base(&image, &done, req.pull, &registries_denied) {
                        Ok(mut s) => {
                            s.name = name;
                            s
                        }
                        Err(e) => {
                            out.push(failure(&e));
                            return self.finish(out, req);
                        }
                    };
                    let shown = if s.parent.is_empty() {
                        String::new()
                    } else {
                        s.parent.trim_start_matches("sha256:")[..12].to_owned()
                    };
                    out.push(stream(format!(" ---> {shown}\n")));
                    vars.clone_from(&meta);
                    stage = Some(s);
                    continue;
                }
                let Some(s) = stage.as_mut() else { continue };
                for e in &s.config.config.env {
                    if let Some((k, v)) = e.split_once('=') {
                        vars.insert(k.to_owned(), v.to_owned());
                    }
                }
                let prev_key = s.key.clone();
                match self.step(s, ins, &mut vars, &ctx, req, &mut consumed) {
                    Ok(()) => {}
                    Err(e) => {
                        out.push(failure(&e));
                        return self.finish(out, req);
                    }
                }
                let layer = matches!(ins.cmd.as_str(), "COPY" | "ADD")
                    .then(|| s.layers.last().map(|l| l.diff_id.clone()))
                    .flatten();
                s.key = format!(
                    "{prev_key}\n{}\n{}\n{}",
                    ins.original,
                    layer.unwrap_or_default(),
                    serde_json::to_string(&s.config.config).unwrap_or_default()
                );
                let cached = !req.no_cache && self.build_cache.contains(&s.key);
                if cached {
                    out.push(stream(" ---> Using cache\n"));
                } else if !matches!(ins.cmd.as_str(), "COPY" | "ADD") {
                    let cid = long_id();
                    out.push(stream(format!(" ---> Running in {}\n", &cid[..12])));
                    out.push(stream(format!(
                        "Removing intermediate container {}\n",
                        &cid[..12]
                    )));
                }
                self.build_cache.insert(s.key.clone());
                out.push(stream(format!(" ---> {}\n", short(&s.key))));
            }
            if let Some(s) = stage {
                done.push(s);
            }
        }
        let Some(last) = done.pop() else {
            return self.finish(out, req);
        };
        let idx = match self.commit_build(last, req.no_cache) {
            Ok(i) => i,
            Err(e) => {
                out.push(failure(&e));
                return self.finish(out, req);
            }
        };
        let id = self.images[idx].id.clone();
        out.push(json!({"aux": {"ID": id}}));
        let unused: Vec<&String> = req
            .build_args
            .keys()
            .filter(|k| !consumed.contains(*k))
            .collect();
        if !unused.is_empty() {
            let names: Vec<&str> = unused.iter().map(|s| s.as_str()).collect();
            out.push(stream(format!(
                "[Warning] One or more build-args [{}] were not consumed\n",
                names.join(" ")
            )));
        }
        out.push(stream(format!(
            "Successfully built {}\n",
            self.images[idx].short_id()
        )));
        for t in &req.tags {
            self.tag_image(idx, t);
            self.image_event("tag", &id, &t.to_string());
            out.push(stream(format!("Successfully tagged {t}\n")));
        }
        self.finish(out, req)
    }

    /// The stream as sent: only the ID (or the failure) when `quiet`.
    fn finish(&self, out: Vec<Value>, req: &BuildRequest) -> BuildResult {
        // A quiet build that fails shows what it held back, as dockerd does.
        if !req.quiet || out.iter().any(|v| v.get("errorDetail").is_some()) {
            return BuildResult::Stream(out);
        }
        let quiet = out
            .iter()
            .filter_map(|v| v.pointer("/aux/ID").and_then(Value::as_str))
            .map(|id| stream(format!("{id}\n")))
            .collect();
        BuildResult::Stream(quiet)
    }

    /// The start of a stage: scratch, an earlier stage, a stored image or one pulled from the
    /// fake's registries (always, with `pull`).
    fn stage_base(
        &mut self,
        image: &str,
        done: &[Stage],
        pull: bool,
        denied: &impl Fn(&str) -> bool,
    ) -> Result<Stage, String> {
        if image.eq_ignore_ascii_case("scratch") {
            let mut config = ConfigBlob {
                architecture: "amd64".to_owned(),
                os: "linux".to_owned(),
                ..ConfigBlob::default()
            };
            config.config.env = vec![DEFAULT_PATH.to_owned()];
            config.rootfs.kind = "layers".to_owned();
            return Ok(Stage {
                name: None,
                config,
                layers: Vec::new(),
                parent: String::new(),
                key: "scratch".to_owned(),
            });
        }
        let lower = image.to_ascii_lowercase();
        if let Some(s) = done
            .iter()
            .rev()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
        {
            return Ok(s.clone());
        }
        let r =
            LocalRef::parse(image).ok_or_else(|| format!("invalid reference format: {image}"))?;
        let i = match (pull, self.find_image(&r.to_string())) {
            (false, Some(i)) => i,
            _ => {
                self.pull_from_registry(&r, denied(&r.repo))
                    .map_err(|f| f.message)?
                    .index
            }
        };
        let im = &self.images[i];
        let mut config = im.config.clone();
        config.parent = String::new();
        Ok(Stage {
            name: None,
            config,
            layers: im.layers.clone(),
            parent: im.id.clone(),
            key: im.id.clone(),
        })
    }

    /// Applies one non-FROM instruction to `s`.
    fn step(
        &self,
        s: &mut Stage,
        ins: &Instr,
        vars: &mut BTreeMap<String, String>,
        ctx: &BTreeMap<String, CtxEntry>,
        req: &BuildRequest,
        consumed: &mut HashSet<String>,
    ) -> Result<(), String> {
        let c = &mut s.config.config;
        match ins.cmd.as_str() {
            "ARG" => {
                let (k, default) = ins
                    .args
                    .split_once('=')
                    .map_or((ins.args.as_str(), None), |(k, v)| {
                        (k, Some(subst(v, vars)))
                    });
                consumed.insert(k.to_owned());
                let v = req.build_args.get(k).cloned().flatten().or(default);
                vars.insert(k.to_owned(), v.unwrap_or_default());
            }
            "ENV" => {
                for (k, v) in pairs(&ins.args, vars) {
                    c.env
                        .retain(|e| e.split_once('=').map_or(e.as_str(), |p| p.0) != k);
                    c.env.push(format!("{k}={v}"));
                    vars.insert(k, v);
                }
            }
            "LABEL" => {
                for (k, v) in pairs(&ins.args, vars) {
                    c.labels.insert(k, v);
                }
            }
            "CMD" | "ENTRYPOINT" => {
                let v = exec_form(&ins.args).unwrap_or_else(|| {
                    vec!["/bin/sh".to_owned(), "-c".to_owned(), ins.args.clone()]
                });
                if ins.cmd == "CMD" {
                    c.cmd = v;
                } else {
                    c.entrypoint = v;
                    c.cmd.clear();
                }
            }
            "WORKDIR" => {
                let w = subst(&ins.args, vars);
                c.working_dir = if w.starts_with('/') {
                    w
                } else {
                    format!("{}/{w}", c.working_dir.trim_end_matches('/'))
                };
            }
            "USER" => c.user = subst(&ins.args, vars),
            "STOPSIGNAL" => c.stop_signal = subst(&ins.args, vars),
            "MAINTAINER" => s.config.author = subst(&ins.args, vars),
            "EXPOSE" => {
                for p in words(&subst(&ins.args, vars)) {
                    let p = if p.contains('/') {
                        p
                    } else {
                        format!("{p}/tcp")
                    };
                    c.exposed_ports.insert(p, json!({}));
                }
            }
            "VOLUME" => {
                let v = exec_form(&ins.args).unwrap_or_else(|| words(&subst(&ins.args, vars)));
                for p in v {
                    c.volumes.insert(p, json!({}));
                }
            }
            "COPY" | "ADD" => {
                let layer = copy_layer(ins, vars, ctx, &c.working_dir)?;
                s.config.rootfs.diff_ids.push(layer.diff_id.clone());
                s.layers.push(layer);
            }
            // RUN runs nothing here; HEALTHCHECK, SHELL, ONBUILD are kept out of the config.
            _ => {}
        }
        Ok(())
    }

    /// Stores the image of a finished build (the cached one when the same build made it
    /// before and `no_cache` is off); its index.
    fn commit_build(&mut self, s: Stage, no_cache: bool) -> Result<usize, String> {
        if !no_cache
            && let Some(i) = self
                .images
                .iter()
                .position(|i| i.build_key.as_deref() == Some(s.key.as_str()))
        {
            return Ok(i);
        }
        let mut config = s.config;
        config.created = now_str();
        config.parent.clone_from(&s.parent);
        config.rootfs.kind = "layers".to_owned();
        config.rootfs.diff_ids = s.layers.iter().map(|l| l.diff_id.clone()).collect();
        config.extra.insert(
            "docker_version".to_owned(),
            json!(crate::mock::wire::ENGINE_VERSION),
        );
        let bytes = serde_json::to_vec(&config).map_err(|e| e.to_string())?;
        let mut im = ImageRecord::new(Bytes::from(bytes), s.layers)?;
        im.build_key = Some(s.key);
        Ok(self.insert_image(im))
    }
}
