//! docker's short volume syntax (`loader.ParseVolume`): `[SOURCE:]TARGET[:MODE]`, with
//! Windows drive letters kept in a part (`c:\data:/data`).

use crate::model::ServiceVolume;

const PROPAGATIONS: &[&str] = &[
    "rprivate", "private", "rshared", "shared", "rslave", "slave",
];

/// Parses a short volume entry.
///
/// # Errors
/// docker's texts: `invalid empty volume spec`, `invalid spec: …: empty section between
/// colons`, `invalid spec: …: too many colons`.
pub fn parse_volume(spec: &str) -> Result<ServiceVolume, String> {
    let mut v = ServiceVolume::default();
    match spec.len() {
        0 => return Err("invalid empty volume spec".into()),
        1 | 2 => {
            v.target = spec.to_owned();
            v.r#type = "volume".into();
            return Ok(v);
        }
        _ => {}
    }
    let mut buf: Vec<char> = Vec::new();
    let chars: Vec<char> = spec.chars().chain(std::iter::once('\0')).collect();
    for &c in &chars {
        let windows_drive = c == ':' && buf.len() == 1 && buf[0].is_alphabetic();
        if windows_drive {
            buf.push(c);
        } else if c == ':' || c == '\0' {
            if let Err(e) = field(c, &buf, &mut v) {
                return Err(format!("invalid spec: {spec}: {e}"));
            }
            buf.clear();
        } else {
            buf.push(c);
        }
    }
    populate_type(&mut v);
    Ok(v)
}

fn field(c: char, buf: &[char], v: &mut ServiceVolume) -> Result<(), &'static str> {
    let s: String = buf.iter().collect();
    if buf.is_empty() {
        return Err("empty section between colons");
    }
    if v.source.is_empty() && c == '\0' {
        v.target = s;
        return Ok(());
    }
    if v.source.is_empty() {
        v.source = s;
        return Ok(());
    }
    if v.target.is_empty() {
        v.target = s;
        return Ok(());
    }
    if c == ':' {
        return Err("too many colons");
    }
    for option in s.split(',') {
        match option {
            "ro" => v.read_only = true,
            "rw" => v.read_only = false,
            "nocopy" => v.volume = Some((true, String::new())),
            o if PROPAGATIONS.contains(&o) => v.bind = Some(o.to_owned()),
            _ => {}
        }
    }
    Ok(())
}

fn populate_type(v: &mut ServiceVolume) {
    v.r#type = if v.source.is_empty() || !is_file_path(&v.source) {
        "volume".into()
    } else {
        "bind".into()
    };
}

fn is_file_path(source: &str) -> bool {
    if matches!(source.as_bytes()[0], b'.' | b'/' | b'~') {
        return true;
    }
    let mut chars = source.chars();
    let first = chars.next().unwrap_or_default();
    let Some(second) = chars.next() else {
        return false;
    };
    if source.starts_with("\\\\") {
        return true;
    }
    // isWindowsDrive([first], next byte): the byte after the first rune is ':'.
    second == ':' && first.is_alphabetic()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ServiceVolume {
        parse_volume(s).unwrap()
    }

    #[test]
    fn short_syntax() {
        let v = p("/data");
        assert_eq!(
            (v.r#type.as_str(), v.source.as_str(), v.target.as_str()),
            ("volume", "", "/data")
        );
        let v = p("www:/usr/share/nginx/html:ro,nocopy");
        assert_eq!(v.r#type, "volume");
        assert!(v.read_only);
        assert_eq!(v.volume, Some((true, String::new())));
        let v = p("./site:/www:rw,rshared");
        assert_eq!(
            (v.r#type.as_str(), v.bind.as_deref()),
            ("bind", Some("rshared"))
        );
        let v = p("c:\\data:/data");
        assert_eq!((v.source.as_str(), v.r#type.as_str()), ("c:\\data", "bind"));
        assert_eq!(p("ab").target, "ab");
        // docker's drive-letter rule applies to any one-letter first part
        let v = p("v:/x");
        assert_eq!((v.source.as_str(), v.target.as_str()), ("", "v:/x"));
    }

    #[test]
    fn errors_are_dockers() {
        assert_eq!(parse_volume(""), Err("invalid empty volume spec".into()));
        assert_eq!(
            parse_volume("ab::c"),
            Err("invalid spec: ab::c: empty section between colons".into())
        );
        assert_eq!(
            parse_volume("ab:cd:ef:gh"),
            Err("invalid spec: ab:cd:ef:gh: too many colons".into())
        );
    }
}
