# fleetgen passes this to `sh -c CODE sh USER` in bootcmd, which runs before write_files on every boot: the service
# user and its group exist before any file they own or read is written. Creates them once; later boots change nothing.
# One line: cloud-init writes each bootcmd entry as one line of its script.
getent group "$1" >/dev/null || groupadd --system "$1"; getent passwd "$1" >/dev/null || useradd --system --gid "$1" --no-create-home --shell /usr/sbin/nologin "$1"
