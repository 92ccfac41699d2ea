//! Values cannot add options: a comma, whitespace or control character inside an option word
//! (a typed option's string, or a word of a parsed list) is refused with
//! `Error::InvalidCharacter` naming the character; paths and targets that hold such
//! characters are quoted or escaped so that they read back as the same single value.

use nfs_mount::{Error, ExportEntry, FstabEntry, NfsMount, NfsOption, NfsOptions, NfsVolume};

/// What an attacker-controlled value would use to end one option and start another.
const BAD: [char; 9] = [
    ',', ' ', '\t', '\n', '\r', '\0', '\u{1b}', '\u{85}', '\u{2028}',
];

fn refused_for(e: &Error, c: char) -> bool {
    matches!(e, Error::InvalidCharacter { ch, .. } if *ch == c)
}

#[test]
fn typed_option_strings_cannot_add_options() {
    for c in BAD {
        let v = format!("srv{c}ro");
        for o in [
            NfsOption::MountHost(v.clone()),
            NfsOption::FscTag(v.clone()),
            NfsOption::Generic(v.clone()),
            NfsOption::Other(v.clone(), None),
            NfsOption::Other("x-opt".into(), Some(v.clone())),
        ] {
            let e = NfsOptions::builder()
                .option(NfsOption::Generic("rw".into()))
                .option(o.clone())
                .build()
                .unwrap_err();
            assert!(refused_for(&e, c), "{o:?}: {e:?}");
        }
    }
}

#[test]
fn option_lists_refuse_whitespace_and_control_characters_in_a_word() {
    for c in BAD.into_iter().filter(|c| *c != ',') {
        for text in [
            format!("rw,mounthost=a{c}b"),
            format!("rw,fsc=tag{c}x"),
            format!("x-opt{c}=1,hard"),
        ] {
            let e = text.parse::<NfsOptions>().unwrap_err();
            assert!(refused_for(&e, c), "{text:?}: {e:?}");
            let e = NfsVolume::builder("192.168.1.220".parse().unwrap(), "/www")
                .options_str(&text)
                .build()
                .unwrap_err();
            assert!(refused_for(&e, c), "{text:?}: {e:?}");
        }
    }
}

#[test]
fn mount_targets_with_separators_read_back_as_one_field() {
    let volume = NfsVolume::builder("192.168.1.220".parse().unwrap(), "/www")
        .options_str("nfsvers=4,rw")
        .build()
        .unwrap();
    for target in [
        "/data,readonly=true",
        "/data\",volume-nocopy=true",
        "/data volume-opt=o=addr=10.0.0.1",
        "/a=b",
    ] {
        let m = NfsMount::builder(volume.clone(), target)
            .source("web-content")
            .build()
            .unwrap();
        let text = m.to_string();
        let back: NfsMount = text.parse().unwrap();
        assert_eq!(back.target(), target, "{text}");
        assert!(!back.read_only() && !back.volume_nocopy(), "{text}");
        assert_eq!(back.volume().options(), volume.options(), "{text}");
        assert_eq!(back, m);
    }
    for c in ['\n', '\0', '\u{1b}'] {
        assert!(
            NfsMount::builder(volume.clone(), format!("/data{c}x"))
                .build()
                .is_err(),
            "{c:?}"
        );
    }
}

#[test]
fn fstab_mount_points_with_whitespace_stay_one_field() {
    let volume = NfsVolume::builder("192.168.1.220".parse().unwrap(), "/www")
        .options_str("rw")
        .build()
        .unwrap();
    // fstab(5) escapes: \040 space, \011 tab, \012 newline, \134 backslash.
    for dir in ["/mnt/web content\tx", "/mnt/a\nb", "/mnt/a\\040b"] {
        let line = volume.fstab_entry(dir).unwrap().to_string();
        assert!(!line.contains('\n'), "{line:?}");
        assert_eq!(line.split_whitespace().count(), 6, "{line:?}");
        let back: FstabEntry = line.parse().unwrap();
        assert_eq!(back.mountpoint(), dir);
    }
}

#[test]
fn export_clients_cannot_add_clients_or_options() {
    for (host, opts) in [
        ("10.0.0.1 *", "rw"),
        ("10.0.0.1(rw)", "ro"),
        ("10.0.0.1", "ro) *(rw"),
        ("10.0.0.1", "ro,\tno_root_squash"),
    ] {
        let e = ExportEntry::builder("/www")
            .client(host, opts)
            .build()
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidClient { .. }),
            "{host:?} {opts:?}: {e:?}"
        );
    }
    // A path with whitespace is quoted and reads back whole.
    let e = ExportEntry::builder("/srv/web content")
        .quote_path(true)
        .client("192.168.1.0/24", "rw,sync")
        .build()
        .unwrap();
    let back: ExportEntry = e.to_string().parse().unwrap();
    assert_eq!(back.path().as_str(), "/srv/web content");
    assert_eq!(back.clients().len(), 1);
}
