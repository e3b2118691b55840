#!/bin/bash
# fleetgen e2e harness — not fleetgen. Runs once inside a freshly debootstrapped Debian root (chroot), to make the
# base that every throwaway test host overlays (bullseye, bookworm or trixie). Usage: base-setup.sh ADMIN_USER
set -euo pipefail
admin=$1

# cloud-init's locale module fails the boot unless en_US.UTF-8 is generated (SANDBOX.md).
sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' /etc/locale.gen
locale-gen
update-locale LANG=en_US.UTF-8

# The user Ansible and ssh log in as: a sudo user. Each host gets the run's throwaway key in its authorized_keys
# when it is created (test-host.ts), so that one key reaches the hosts of every suite.
useradd --create-home --shell /bin/bash --groups sudo "$admin"
install -d -m 0700 -o "$admin" -g "$admin" "/home/$admin/.ssh"
printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$admin" > /etc/sudoers.d/90-fleetgen-e2e
chmod 0440 /etc/sudoers.d/90-fleetgen-e2e

# Every host gets its own identity when it is created (machine-id, hostname, SSH host keys).
rm -f /etc/ssh/ssh_host_* /var/lib/dbus/machine-id
: > /etc/machine-id
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > /etc/hosts

# Like an air-gapped fleet: no Debian archive to reach. The only repository a host will know is the one the
# generated artifacts configure (the harness's mirror).
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
apt-get clean
rm -rf /var/lib/apt/lists/*

# The artifact mirror, served on loopback (the unit file was copied in before this script ran).
systemctl enable fleetgen-e2e-mirror.service
