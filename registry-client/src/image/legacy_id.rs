//! Which layer a directory of a classic `docker save` holds, known before its `layer.tar`
//! streams by.
//!
//! dockerd ≤ 24 names each layer directory by a "v1 ID": the SHA-256 of a canonical JSON
//! made of the directory's `json` file (which comes before `layer.tar` in the stream) and
//! the layer's chain ID (moby `image/v1.CreateID`). Recomputing it for each chain ID of the
//! image and comparing with the directory's name says which layer follows — so a push can skip
//! a layer the registry has without reading it twice. The answer is checked (a SHA-256
//! match), so a wrong one cannot happen; a daemon that computes IDs another way gives none,
//! and the layer is then treated as unknown.

use sha2::{Digest as _, Sha256};

/// `chain[0] = diff[0]`, `chain[i] = sha256(chain[i-1] + " " + diff[i])` (moby `layer.CreateChainID`).
pub(crate) fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = match out.last() {
            None => d.clone(),
            Some(prev) => format!(
                "sha256:{}",
                hex::encode(Sha256::digest(format!("{prev} {d}").as_bytes()))
            ),
        };
        out.push(next);
    }
    out
}

/// The top-level members of a compact JSON object as `(key, raw value)` text, in order.
fn members(json: &str) -> Option<Vec<(String, &str)>> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    if !v.is_object() {
        return None;
    }
    let b = json.trim().as_bytes();
    let s = json.trim();
    let mut out = Vec::new();
    let mut i = 1; // after '{'
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let string_end = |mut i: usize| -> Option<usize> {
        // i at the opening quote; returns the index after the closing quote.
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    };
    loop {
        skip_ws(&mut i);
        if b.get(i) == Some(&b'}') {
            return Some(out);
        }
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let kend = string_end(i)?;
        let key: String = serde_json::from_str(&s[i..kend]).ok()?;
        i = kend;
        skip_ws(&mut i);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        skip_ws(&mut i);
        let start = i;
        let mut depth = 0usize;
        loop {
            match *b.get(i)? {
                b'"' => {
                    i = string_end(i)?;
                    if depth == 0 {
                        break;
                    }
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                }
                b',' if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        out.push((key, s[start..i].trim_end()));
        skip_ws(&mut i);
        if b.get(i) == Some(&b',') {
            i += 1;
        }
    }
}

/// The v1 ID (hex) dockerd gives the layer with `chain_id`, from the directory's `json` as
/// saved: `id` removed, `os` removed unless it is the image's top layer, the parent as a
/// digest, `layer_id` added, keys sorted, compact.
fn v1_id(members: &[(String, &str)], chain_id: &str, top: bool) -> String {
    let mut m: std::collections::BTreeMap<&str, String> = std::collections::BTreeMap::new();
    for (k, v) in members {
        match k.as_str() {
            "id" => {}
            "os" if !top => {}
            "parent" => {
                // Saved as hex; hashed as `sha256:hex`.
                let hex: String = serde_json::from_str(v).unwrap_or_default();
                m.insert("parent", format!("\"sha256:{hex}\""));
            }
            k => {
                m.insert(k, (*v).to_owned());
            }
        }
    }
    m.insert("layer_id", format!("\"{chain_id}\""));
    let mut s = String::from("{");
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        s.push_str(k);
        s.push_str("\":");
        s.push_str(v);
    }
    s.push('}');
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Which of `diff_ids` (an image's layers, bottom first) the directory `dir` (a v1 ID, hex)
/// with `json` holds: its index, checked by recomputing the ID.
pub(crate) fn identify(dir: &str, json: &str, diff_ids: &[String]) -> Option<usize> {
    let members = members(json)?;
    let chains = chain_ids(diff_ids);
    let last = chains.len().checked_sub(1)?;
    (0..chains.len()).find(|&i| {
        v1_id(&members, &chains[i], false) == dir
            || (i == last && v1_id(&members, &chains[i], true) == dir)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_split_nested_values() {
        let m = members(r#"{"a":"x\"}","b":{"c":[1,{"d":2}]},"e":null,"f":1.5}"#).unwrap();
        let m: Vec<(&str, &str)> = m.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            m,
            [
                ("a", r#""x\"}""#),
                ("b", r#"{"c":[1,{"d":2}]}"#),
                ("e", "null"),
                ("f", "1.5")
            ]
        );
        assert!(members("[1]").is_none());
    }

    #[test]
    fn identifies_layers_of_a_dockerd_save() {
        // `docker save` of `FROM scratch / COPY a /a / COPY b /b / CMD ["x"]` on dockerd
        // 20.10.24: the directory names and json files as saved, the diff IDs from `docker
        // image inspect`.
        let diff = [
            "sha256:7f665bc122bfec3f32f869b0c692a05d29699145638c20df683041525f9f34a0".to_owned(),
            "sha256:a896ee0efa263e61e02ada29e8a7ef0a7630fd6397a35a30e2f9bfa230834250".to_owned(),
        ];
        let bottom_dir = "0cb9e8790823b130e1bf317f05b1a0bc99b961b5cc6e6a6065953ddbdabebd95";
        let bottom = r#"{"id":"0cb9e8790823b130e1bf317f05b1a0bc99b961b5cc6e6a6065953ddbdabebd95","created":"1970-01-01T00:00:00Z","container_config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"os":"linux"}"#;
        let top_dir = "fb7c2d7c04bbe347478f3735c1c867870e6a8e0665801b3e074f491e2a6af0e6";
        let top = r##"{"id":"fb7c2d7c04bbe347478f3735c1c867870e6a8e0665801b3e074f491e2a6af0e6","parent":"0cb9e8790823b130e1bf317f05b1a0bc99b961b5cc6e6a6065953ddbdabebd95","created":"2026-12-06T10:18:32.065120862Z","container":"51a54f0d4421641325ca79ca965cfba17ef285ed9c923a4e72e8bf50a84bc63e","container_config":{"Hostname":"51a54f0d4421","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh","-c","#(nop) ","CMD [\"x\"]"],"Image":"sha256:35e3111d970fceb17d6e1027e4cbf9962a13bd34727c2506c5d6e78acf4ceca8","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{}},"docker_version":"20.10.24+dfsg1","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["x"],"Image":"sha256:35e3111d970fceb17d6e1027e4cbf9962a13bd34727c2506c5d6e78acf4ceca8","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"architecture":"amd64","os":"linux"}"##;
        assert_eq!(identify(bottom_dir, bottom, &diff), Some(0));
        assert_eq!(identify(top_dir, top, &diff), Some(1));
        // Another image's layers, or a changed json: no answer (never a wrong one).
        assert_eq!(identify(top_dir, top, &diff[..1]), None);
        assert_eq!(
            identify(bottom_dir, &bottom.replace("1970", "1971"), &diff),
            None
        );
    }
}
