//! NFS mount options (nfs(5)) and exports (exports(5)): typed, rendered for Docker volumes, --mount strings, fstab and mount(8), parsed back.
