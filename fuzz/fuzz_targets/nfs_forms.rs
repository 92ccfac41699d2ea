#![no_main]
//! Every NFS form: mount options, `--mount` strings, fstab lines, mount(8) command lines,
//! devices, exports(5) lines.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        dockwright_fuzz::round_trip::<nfs_mount::NfsOptions>(s);
        dockwright_fuzz::round_trip::<nfs_mount::NfsMount>(s);
        dockwright_fuzz::round_trip::<nfs_mount::FstabEntry>(s);
        dockwright_fuzz::round_trip::<nfs_mount::MountCommand>(s);
        dockwright_fuzz::round_trip::<nfs_mount::Device>(s);
        dockwright_fuzz::round_trip::<nfs_mount::ExportEntry>(s);
    }
});
