#![no_main]
//! Every NFS form: mount options, `--mount` strings, fstab lines, mount(8) command lines,
//! devices, exports(5) lines, Compose volume entries.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        dockwright_fuzz::round_trip::<nfs_mount::NfsOptions>(s);
        dockwright_fuzz::round_trip::<nfs_mount::NfsMount>(s);
        dockwright_fuzz::round_trip::<nfs_mount::FstabEntry>(s);
        dockwright_fuzz::round_trip::<nfs_mount::MountCommand>(s);
        dockwright_fuzz::round_trip::<nfs_mount::Device>(s);
        dockwright_fuzz::round_trip::<nfs_mount::ExportEntry>(s);
        if let Ok((name, v)) = nfs_mount::NfsVolume::from_compose_yaml(s) {
            let text = v.compose_yaml(&name);
            let (n, back) = nfs_mount::NfsVolume::from_compose_yaml(&text)
                .unwrap_or_else(|e| panic!("{text:?} does not parse back: {e}"));
            assert_eq!((n, back.compose_yaml(&name)), (name, text));
        }
    }
});
