//! Shared checks of the fuzz targets: each takes the fuzzer's bytes, feeds them to a parser
//! of outside input and asserts that it does not panic and, where a canonical form exists,
//! that the canonical form parses back to the same value.

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

/// Parses `s` as `T`; when that succeeds, the canonical text must parse again and print the
/// same bytes (display is idempotent, nothing accepted once is rejected the second time).
/// Errors must print (their Display may not panic either).
pub fn round_trip<T>(s: &str)
where
    T: FromStr + Display,
    T::Err: Display,
{
    match s.parse::<T>() {
        Ok(v) => {
            let text = v.to_string();
            let again = text
                .parse::<T>()
                .unwrap_or_else(|e| panic!("{text:?} (from {s:?}) does not parse back: {e}"));
            assert_eq!(
                again.to_string(),
                text,
                "display is not idempotent for {s:?}"
            );
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Splits `data` into chunks whose sizes cycle through `sizes` (each 1..=256): the same bytes
/// arriving as a server might send them.
fn chunks<'a>(data: &'a [u8], sizes: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes
            .get(i % sizes.len().max(1))
            .map_or(7, |s| usize::from(*s) + 1);
        let (a, b) = rest.split_at(n.min(rest.len()));
        out.push(a);
        rest = b;
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// sdk-core

/// A secret no input is likely to hold; checks that use it skip inputs that contain it.
const MARK: &str = "fz-S3cret-7e1d";

/// docker's `config.json`: parsing never panics; a parsed config answers `credentials_for`
/// for its own keys without panicking; its document re-rendered parses to the same document;
/// credentials stored into it read back equal and never show in its `Debug`.
pub fn docker_config(text: &str) {
    use sdk_core::{Credentials, DockerConfig, Secret};
    let path = "/nonexistent-dw-fuzz/config.json";
    let cfg = match DockerConfig::parse(path, text) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = format!("{cfg:?}");
    let rendered = serde_json::to_string(cfg.raw()).expect("a JSON map renders");
    let again = DockerConfig::parse(path, &rendered)
        .unwrap_or_else(|e| panic!("{rendered:?} does not parse back: {e}"));
    assert_eq!(again.raw(), cfg.raw());

    let mut registries: Vec<String> = ["docker.io", "registry.example:5000", "127.0.0.1:5000"]
        .map(String::from)
        .to_vec();
    for section in ["auths", "credHelpers"] {
        if let Some(m) = cfg.raw().get(section).and_then(|v| v.as_object()) {
            registries.extend(m.keys().take(8).cloned());
        }
    }
    for reg in &registries {
        // A configured helper would run a process: only the file's own answers are checked.
        if cfg.creds_store().is_some() || cfg.cred_helper(reg).is_some() {
            continue;
        }
        if let Ok((creds, _)) = cfg.credentials_for(reg) {
            let _ = (format!("{creds:?}"), creds.to_string());
        }
        if text.contains(MARK) {
            continue;
        }
        for creds in [
            Credentials::basic("fuzzuser", MARK),
            Credentials::IdentityToken {
                username: None,
                token: Secret::new(MARK),
            },
            Credentials::Bearer(Secret::new(MARK)),
        ] {
            let mut c = cfg.clone();
            c.store(reg, &creds).expect("storing into auths");
            let (back, _) = c
                .credentials_for(reg)
                .unwrap_or_else(|e| panic!("{reg:?}: stored credentials do not read back: {e}"));
            assert_eq!(back, creds, "{reg:?}");
            assert!(
                !format!("{c:?}").contains(MARK),
                "Debug shows a stored secret"
            );
        }
    }
}

/// A credential helper's `get` answer (first byte: exit status, rest: stdout): never a
/// panic, errors never quote the output, `Debug`/`Display` of the credentials do not depend
/// on the secret, and what `store` would send reads back as the same credentials.
pub fn credential_helper(data: &[u8]) {
    use sdk_core::fuzz::{helper_get_output, helper_store_payload};
    use sdk_core::{Credentials, Secret};
    let Some((status, stdout)) = data.split_first() else {
        return;
    };
    let ok = status & 1 == 0;
    match helper_get_output(ok, stdout) {
        Err(e) => {
            let text = e.to_string();
            assert!(
                [
                    "credential helper docker-credential-fuzz failed: get failed (output withheld: it may contain secrets)",
                    "credential helper docker-credential-fuzz failed: get printed invalid JSON (output withheld)",
                ]
                .contains(&text.as_str()),
                "unexpected error text {text:?}"
            );
        }
        Ok(creds) => {
            let other = match &creds {
                Credentials::Basic { username, .. } => Credentials::Basic {
                    username: username.clone(),
                    password: Secret::new("another"),
                },
                Credentials::IdentityToken { username, .. } => Credentials::IdentityToken {
                    username: username.clone(),
                    token: Secret::new("another"),
                },
                Credentials::Bearer(_) => Credentials::Bearer(Secret::new("another")),
                c => c.clone(),
            };
            assert_eq!(
                format!("{creds:?}"),
                format!("{other:?}"),
                "Debug shows the secret"
            );
            assert_eq!(
                creds.to_string(),
                other.to_string(),
                "Display shows the secret"
            );
            if !creds.is_anonymous() {
                let payload = helper_store_payload("https://index.docker.io/v1/", &creds)
                    .expect("a helper stores what it returned");
                let back = helper_get_output(true, &payload).expect("store payload reads back");
                assert_eq!(back, creds);
            }
        }
    }
}

/// The error-body decoder: never a panic; messages have no control characters and at most
/// `MESSAGE_LIMIT` characters (plus the cut mark); a credential put anywhere into the text
/// after `Authorization: Bearer` or as `token=` never comes out.
pub fn error_body(data: &[u8]) {
    use sdk_core::error_body::{ErrorBody, MESSAGE_LIMIT, clean};
    let body = ErrorBody::parse(data);
    let message = body.message();
    let _ = body.code();
    for m in body
        .errors
        .iter()
        .flat_map(|e| [Some(&e.code), Some(&e.message), e.detail.as_ref()])
        .flatten()
        .chain(body.message.as_ref())
    {
        assert!(m.chars().count() <= MESSAGE_LIMIT + 1, "{m:?} is too long");
        assert!(
            !m.chars().any(char::is_control),
            "{m:?} has control characters"
        );
    }
    assert!(!message.chars().any(char::is_control));
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains(MARK) {
        return;
    }
    // Insert the secret at a char boundary chosen by the input (within the first 512 chars,
    // so the cut at MESSAGE_LIMIT cannot be what hides it).
    let at = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .nth(usize::from(data.first().copied().unwrap_or(0)) * 2)
        .unwrap_or(text.len());
    for wrap in [
        format!(" Authorization: Bearer {MARK} "),
        format!(" token={MARK} "),
        format!(" https://user:{MARK}@host.example/x "),
        format!(" https://host.example/x?X-Amz-Signature={MARK} "),
    ] {
        let with = format!("{}{wrap}{}", &text[..at], &text[at..]);
        let c = clean(&with);
        assert!(!c.contains(MARK), "{with:?} -> {c:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// registry-client

/// Manifests and indexes from a registry (or a layout), read with every media type: never a
/// panic; what parses re-serialises to JSON that parses to the same typed value.
pub fn manifests(data: &[u8]) {
    use registry_client::manifests::{
        DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, ParsedManifest, RawManifest,
    };
    let mut raws: Vec<RawManifest> = [
        OCI_MANIFEST,
        OCI_INDEX,
        DOCKER_MANIFEST,
        DOCKER_MANIFEST_LIST,
    ]
    .iter()
    .map(|mt| RawManifest::new(data.to_vec(), *mt))
    .collect();
    if let Ok(r) = RawManifest::from_bytes(data.to_vec()) {
        raws.push(r);
    }
    for raw in &raws {
        let _ = registry_client::fuzz::manifest_blobs(raw);
        let Ok(parsed) = raw.parse() else { continue };
        let json = match &parsed {
            ParsedManifest::Image(m) => serde_json::to_vec(m),
            ParsedManifest::Index(i) => serde_json::to_vec(i),
            _ => continue,
        }
        .expect("a parsed manifest serialises");
        let again = RawManifest::new(json.clone(), raw.media_type.clone())
            .parse()
            .unwrap_or_else(|e| {
                panic!(
                    "{} does not parse back: {e}",
                    String::from_utf8_lossy(&json)
                )
            });
        assert_eq!(again, parsed);
    }
    let _ = registry_client::fuzz::layout_manifest(data);
}

/// A token endpoint's reply: never a panic; a token is kept between 1 s and a day; a reply
/// rendered from what was read reads the same; errors never quote the reply.
pub fn token_reply(data: &[u8]) {
    match registry_client::fuzz::token_reply(data) {
        Ok((token, lifetime)) => {
            assert!(!token.is_empty());
            assert!(lifetime >= Duration::from_secs(1));
            assert!(lifetime <= Duration::from_secs(24 * 60 * 60));
            let canonical =
                serde_json::json!({"token": token, "expires_in": lifetime.as_secs()}).to_string();
            let back = registry_client::fuzz::token_reply(canonical.as_bytes())
                .expect("a canonical reply reads back");
            assert_eq!(back, (token, lifetime));
        }
        Err(e) => {
            let text = e.to_string();
            let shape: String = text.chars().filter(|c| !c.is_ascii_digit()).collect();
            assert!(
                [
                    "token endpoint https://auth.example/token failed: bad JSON (line , column )",
                    "token endpoint https://auth.example/token failed: no token in the answer",
                ]
                .contains(&shape.as_str()),
                "unexpected error text {text:?}"
            );
        }
    }
}

/// Upload and download headers: the upload status `Range`, a resumed download's
/// `Content-Range` and a `Location` (first 8 bytes: the blob size; then the three values,
/// separated by newlines). Never a panic; an accepted `Range` is within the blob and its
/// canonical form reads the same; a resolved `Location` is a canonical URL.
pub fn upload_headers(data: &[u8]) {
    use registry_client::fuzz::{content_range_start, location, upload_range};
    if data.len() < 8 {
        return;
    }
    let (size, rest) = data.split_at(8);
    let size = u64::from_le_bytes(size.try_into().expect("8 bytes"));
    let mut parts = rest.splitn(3, |b| *b == b'\n');
    let range = parts.next().unwrap_or_default();
    let content_range = parts.next().unwrap_or_default();
    let loc = parts.next().unwrap_or_default();
    if let Ok(range) = std::str::from_utf8(range) {
        match upload_range(range, size) {
            Ok(Some(next)) => {
                assert!(next >= 2 && next <= size, "{range:?} -> {next} of {size}");
                for canonical in [format!("0-{}", next - 1), format!("bytes=0-{}", next - 1)] {
                    assert_eq!(upload_range(&canonical, size), Ok(Some(next)));
                }
            }
            Ok(None) => assert_eq!(upload_range("0-0", size), Ok(None)),
            Err(_) => {}
        }
    }
    if let Ok(cr) = std::str::from_utf8(content_range)
        && let Some(start) = content_range_start(cr)
    {
        assert_eq!(
            content_range_start(&format!("bytes {start}-{size}/*")),
            Some(start)
        );
    }
    for base in [
        "https://registry.example/v2/library/busybox/blobs/uploads/",
        "http://127.0.0.1:5000/v2/a/b/blobs/uploads/3f1?_state=abc",
        "https://[::1]:8443/",
    ] {
        match location(base, loc) {
            Some(Ok(url)) => {
                let again = url::Url::parse(url.as_str()).expect("a resolved URL parses");
                assert_eq!(again, url);
            }
            Some(Err(e)) => {
                let _ = e.to_string();
            }
            None => {}
        }
    }
}

/// `docker save` archives. First byte 0: the rest is the tar file itself; otherwise the rest
/// is `manifest.json` (and, after a NUL byte, `index.json`) in an archive that also holds a
/// config, a layer, a blob and a symlink. Never a panic; the image an archive yields has a
/// manifest that parses and names its layers.
pub fn docker_save(data: &[u8]) {
    use registry_client::image::DockerArchive;
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let _ = registry_client::fuzz::docker_save_manifest(rest);
    let tar = if *mode == 0 {
        rest.to_vec()
    } else {
        let (manifest, index) = match rest.iter().position(|b| *b == 0) {
            Some(i) if mode & 1 == 1 => (&rest[..i], Some(&rest[i + 1..])),
            _ => (rest, None),
        };
        save_archive(manifest, index)
    };
    let path = std::env::temp_dir().join(format!("dw-fuzz-save-{}.tar", std::process::id()));
    std::fs::write(&path, &tar).expect("writing the archive");
    let archive = DockerArchive::open(&path);
    if let Ok(a) = &archive {
        let _ = a.repo_tags();
        for tag in [None, Some("busybox:latest"), Some("x")] {
            if let Ok(img) = a.image(tag) {
                let parsed = img.manifest.parse().expect("a generated manifest parses");
                if let Some(m) = parsed.as_image() {
                    assert_eq!(m.layers().len(), img.layers.len());
                }
            }
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// A tar with `manifest.json`, optionally `index.json`, and members they may name.
fn save_archive(manifest: &[u8], index: Option<&[u8]>) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, bytes: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, bytes).expect("tar member");
    };
    add("manifest.json", manifest);
    if let Some(index) = index {
        add("index.json", index);
    }
    add("config.json", b"{}");
    add("layer.tar", &[0u8; 1024]);
    // sha256 of "{}"
    add(
        "blobs/sha256/44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        b"{}",
    );
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    h.set_cksum();
    b.append_link(&mut h, "layers/l.tar", "../layer.tar")
        .expect("tar link");
    b.into_inner().expect("tar")
}

// ---------------------------------------------------------------------------------------------
// swarm-client

/// The `/events` stream decoder (first byte: line limit, next bytes: chunk sizes, after a
/// NUL: the body): never a panic; the body decodes the same whatever its chunking; each event
/// re-serialised reads back the same.
pub fn engine_events(data: &[u8]) {
    use swarm_client::fuzz::event_lines;
    use swarm_client::models::Event;
    let Some((limit, rest)) = data.split_first() else {
        return;
    };
    let (sizes, body) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&rest[..0], rest),
    };
    let max_line = 16 + usize::from(*limit) * 8;
    let show = |items: Vec<swarm_client::Result<Event>>| -> Vec<String> {
        items
            .into_iter()
            .map(|r| match r {
                Ok(ev) => serde_json::to_string(&ev).expect("an event serialises"),
                Err(e) => format!("error: {e}"),
            })
            .collect()
    };
    let whole = event_lines(&[body], max_line);
    for ev in whole.iter().flatten() {
        let json = serde_json::to_value(ev).expect("an event serialises");
        let back: Event = serde_json::from_value(json.clone()).expect("an event reads back");
        assert_eq!(serde_json::to_value(&back).expect("serialises"), json);
    }
    let whole = show(whole);
    let chunked = show(event_lines(&chunks(body, sizes), max_line));
    assert_eq!(chunked, whole, "chunking changed the events");
}

/// Log/exec frames (first byte: raw or multiplexed, next bytes: chunk sizes, after a NUL:
/// the body): never a panic; the incremental decoder fed in chunks agrees with a one-shot
/// reading of the format (8-byte header, stream 0/1/2, big-endian size up to `MAX_FRAME`).
pub fn engine_frames(data: &[u8]) {
    use swarm_client::stream::{Demux, MAX_FRAME, StreamKind};
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let (sizes, body) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&rest[..0], rest),
    };
    let raw = mode & 1 == 1;
    let mut d = if raw {
        Demux::raw()
    } else {
        Demux::multiplexed()
    };
    let mut got: Vec<(StreamKind, Vec<u8>)> = Vec::new();
    let mut failed = false;
    'feed: for c in chunks(body, sizes) {
        d.push(c);
        loop {
            match d.next_frame() {
                Ok(Some(f)) => got.push((f.kind, f.data.to_vec())),
                Ok(None) => break,
                Err(e) => {
                    assert!(!e.is_empty());
                    failed = true;
                    break 'feed;
                }
            }
        }
    }
    let truncated = !failed && d.finish().is_err();
    if raw {
        assert!(!failed && !truncated);
        assert!(got.iter().all(|(k, _)| *k == StreamKind::Stdout));
        assert_eq!(got.concat_data(), body);
        return;
    }
    // The format read in one go.
    let mut want = Vec::new();
    let mut rest = body;
    let (mut want_failed, mut want_truncated) = (false, false);
    while !rest.is_empty() {
        if rest.len() < 8 {
            want_truncated = true;
            break;
        }
        let kind = match rest[0] {
            0 => StreamKind::Stdin,
            1 => StreamKind::Stdout,
            2 => StreamKind::Stderr,
            _ => {
                want_failed = true;
                break;
            }
        };
        let size = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        if size > MAX_FRAME {
            want_failed = true;
            break;
        }
        if rest.len() < 8 + size {
            want_truncated = true;
            break;
        }
        want.push((kind, rest[8..8 + size].to_vec()));
        rest = &rest[8 + size..];
    }
    assert_eq!(got, want);
    assert_eq!((failed, truncated), (want_failed, want_truncated));
}

trait ConcatData {
    fn concat_data(&self) -> Vec<u8>;
}

impl ConcatData for Vec<(swarm_client::stream::StreamKind, Vec<u8>)> {
    fn concat_data(&self) -> Vec<u8> {
        self.iter().flat_map(|(_, d)| d.iter().copied()).collect()
    }
}
