#!/bin/sh
# Installs the Debian packages autograde needs when they are missing and we are root.
# bubblewrap: the sandbox's cold path and the reference runs; chromium: the browser tests
# (Playwright drives Debian's build). Nothing else is downloaded.
set -e
missing=""
command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
# libseccomp2: the sandbox's seccomp filter (pyseccomp loads it with ctypes).
ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2' || missing="$missing libseccomp2"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "autograde: please install:$missing (e.g. sudo apt-get install$missing)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq $missing >/dev/null
