#!/bin/sh
# The final stages of the Containerfile: installs the runtime packages the builder listed (PACKAGES, one a
# line: the packages of the libraries tagmetry loads, MeCab's dictionary, CA certificates, curl), adds the
# user `tagmetry` (uid UID; a base image's own user with that uid, e.g. Ubuntu's `ubuntu`, is removed) and
# the volume folders /data (datasets) and /models (HF_HOME, the model cache) owned by it.
# Usage: container-runtime.sh PACKAGES UID
set -eu
packages=$1
uid=$2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2046
apt-get install -y -qq --no-install-recommends $(cat "$packages") >/dev/null
apt-get clean
rm -rf /var/lib/apt/lists/* "$packages"
other=$(getent passwd "$uid" | cut -d: -f1 || true)
[ -z "$other" ] || userdel --remove "$other" 2>/dev/null || userdel "$other"
useradd --uid "$uid" --user-group --create-home --shell /bin/sh tagmetry
mkdir -p /data /models
chown tagmetry:tagmetry /data /models
rm -f "$0"
