#!/usr/bin/env bash
# Makes a local stand-in for the Dockerfile's base image (oven/bun:<version>-slim) when no registry
# can serve it: Debian bookworm from debootstrap (minbase), the Bun binary this checkout's tests run
# on, user `bun` uid 1000 and workdir /home/bun/app as in the official image, imported into podman
# under the official name. An image already in podman's store under that name is used as it is.
#   usage: scripts/image/local-base.sh <image:tag> <path to the bun binary>
set -euo pipefail
image=$1
bun_binary=$2

if podman image exists "$image"; then
  echo "base: $image is in podman's store; using it"
  exit 0
fi

command -v debootstrap >/dev/null || { echo "base: $image is missing and debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
rootfs=$(mktemp -d /tmp/bun-base.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

echo "base: debootstrap bookworm (minbase) into $rootfs"
debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$rootfs.log" 2>&1 ||
  { tail -20 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"

# What the slim image leaves out: package caches and lists, documentation, locales.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*

install -m 0755 "$bun_binary" "$rootfs/usr/local/bin/bun"
ln -s bun "$rootfs/usr/local/bin/bunx"
# The official image's entrypoint is a shell script too; the Dockerfile must clear it.
printf '#!/bin/sh\nset -e\nexec "$@"\n' >"$rootfs/usr/local/bin/docker-entrypoint.sh"
chmod 0755 "$rootfs/usr/local/bin/docker-entrypoint.sh"
chroot "$rootfs" /usr/sbin/groupadd --gid 1000 bun
chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid 1000 --create-home --shell /bin/sh bun
mkdir -p "$rootfs/home/bun/app"
chroot "$rootfs" /bin/chown 1000:1000 /home/bun/app

tar -C "$rootfs" --numeric-owner -c . | podman import \
  --change 'WORKDIR /home/bun/app' \
  --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
  --change 'CMD ["/usr/local/bin/bun"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'LABEL org.opencontainers.image.description=local-stand-in-for-oven-bun' \
  - "$image" >/dev/null
echo "base: imported $image ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
