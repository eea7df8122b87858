#!/usr/bin/env bash
# Downloads the Debian 12 packages of epilepsyfm's C++ dependencies into a folder, for scripts/gpu_check.sh on a
# machine without network access (an HPC GPU node): headers and CMake files (the -dev packages), the shared libraries
# epilepsyfm links, and every shared library those need at run time except glibc's and GCC's own. Writes
# DIR/MANIFEST (role, package, version, sha256, file) and checks that the libraries' dependencies are complete.
# Run it on a Debian 12 x86-64 machine with package access (no root needed unless the package lists are empty), then
# copy DIR to the node.
#   scripts/deps_bundle.sh [--with-ccache] DIR      (DIR's .deb files and MANIFEST are replaced)
#     --with-ccache   also bundle ccache (speeds up repeated gpu_check.sh builds on the node)
set -euo pipefail

out="" ccache=0
while [ $# -gt 0 ]; do
  case "$1" in
    --with-ccache) ccache=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) echo "deps_bundle.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) if [ -n "$out" ]; then echo "deps_bundle.sh: one DIR only (see --help)" >&2; exit 2; fi; out="$1"; shift ;;
  esac
done
if [ -z "$out" ]; then echo "deps_bundle.sh: give the output folder DIR (see --help)" >&2; exit 2; fi

# Roles, read by gpu_check.sh:
#   dev  headers, static libraries, CMake and pkg-config files;
#   lib  shared libraries epilepsyfm links directly: always loaded from the bundle (the headers' own version;
#        HDF5, for one, aborts when its header and library versions differ);
#   dep  what the lib packages need at run time (HDF5's szip and libcurl with its TLS and Kerberos stack): loaded
#        from the bundle only where the node lacks the library;
#   tool programs (ccache).
# The dep list is the closure of the lib packages' DT_NEEDED entries on Debian 12 (readelf -d, dpkg -S), leaving
# out libc6, libgcc-s1 and libstdc++6, which the node's compiler brings. check_closure below fails when a Debian
# update adds a dependency that is not listed here.
dev=(libeigen3-dev libhdf5-dev libedf-dev libfmt-dev libspdlog-dev libyaml-cpp-dev libgtest-dev libgmock-dev zlib1g-dev)
lib=(libhdf5-103-1 libedf1 libfmt9 libspdlog1.10 libyaml-cpp0.7)
dep=(zlib1g libsz2 libaec0 libcurl4 libssl3 libbrotli1 libnghttp2-14 libpsl5 librtmp1 libssh2-1 libzstd1
     libidn2-0 libunistring2 libgnutls30 libnettle8 libhogweed6 libgmp10 libp11-kit0 libffi8 libtasn1-6
     libldap-2.5-0 libsasl2-2 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2)
tool=()
if [ "$ccache" = 1 ]; then
  tool=(ccache)
  dep+=(libhiredis0.14)
fi
# Provided by every system that can run the node's g++: glibc and the GCC runtime.
host_sonames="libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2 libutil.so.1
ld-linux-x86-64.so.2 libgcc_s.so.1 libstdc++.so.6"

for t in apt-get dpkg dpkg-deb readelf objdump sha256sum; do
  command -v "$t" > /dev/null || { echo "deps_bundle.sh: '$t' not found (run this on Debian 12)" >&2; exit 1; }
done
arch=$(dpkg --print-architecture)
codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
if [ "$arch" != amd64 ] || [ "$codename" != bookworm ]; then
  echo "deps_bundle.sh: the package list is Debian 12 (bookworm) amd64's; this machine is $codename $arch" >&2
  exit 1
fi

all=("${dev[@]}" "${lib[@]}" "${dep[@]}" "${tool[@]}")
if apt-cache policy "${all[@]}" | grep -q "Candidate: (none)"; then
  echo "[deps_bundle] package lists incomplete: apt-get update"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out"/*.deb "$out/MANIFEST"
echo "[deps_bundle] downloading ${#all[@]} packages into $out"
apt_opts=(-q)
# As root, apt drops to the _apt user for downloads, which cannot write into most folders: keep it root.
if [ "$(id -u)" = 0 ]; then apt_opts+=(-o APT::Sandbox::User=root); fi
(cd "$out" && apt-get "${apt_opts[@]}" download "${all[@]}" > /dev/null)

# deb_of PACKAGE: the downloaded file of PACKAGE.
deb_of() {
  local f
  for f in "$out/$1"_*.deb; do
    if [ "$(dpkg-deb -f "$f" Package)" = "$1" ]; then echo "$f"; return; fi
  done
  echo "deps_bundle.sh: $1 was not downloaded" >&2
  exit 1
}

# check_closure: every DT_NEEDED entry of every ELF file in the lib, dep and tool packages is a library of the bundle
# or of host_sonames; prints the newest glibc and libstdc++ symbol versions they need.
check_closure() {
  local tmp f needed missing="" glibc glibcxx
  tmp=$(mktemp -d)
  for p in "${lib[@]}" "${dep[@]}" "${tool[@]}"; do dpkg-deb -x "$(deb_of "$p")" "$tmp"; done
  local provided
  provided="$host_sonames $(find "$tmp" -name '*.so*' -printf '%f\n' | sort -u | tr '\n' ' ')"
  while IFS= read -r -d '' f; do
    [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = "177ELF" ] || continue
    for needed in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      case " $provided " in
        *[[:space:]]"$needed"[[:space:]]*) ;;
        *) missing+="  $needed (needed by ${f#"$tmp"})"$'\n' ;;
      esac
    done
  done < <(find "$tmp" -type f \( -name '*.so*' -o -path '*/bin/*' \) -print0)
  glibc=$(find "$tmp" -type f -name '*.so*' -exec objdump -T {} + 2>/dev/null \
          | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
  glibcxx=$(find "$tmp" -type f -name '*.so*' -exec objdump -T {} + 2>/dev/null \
            | grep -o 'GLIBCXX_[0-9.]*' | sort -uV | tail -1)
  rm -rf "$tmp"
  if [ -n "$missing" ]; then
    echo "deps_bundle.sh: the bundle lacks libraries its packages need (add their packages to 'dep'):" >&2
    printf '%s' "$missing" >&2
    exit 1
  fi
  echo "# requires: $glibc $glibcxx"
}

requires=$(check_closure)
{
  echo "# epilepsyfm dependency bundle for scripts/gpu_check.sh: made by scripts/deps_bundle.sh on $(date -u +%F)"
  echo "# from Debian $(cat /etc/debian_version) ($arch). Columns: role package version sha256 file"
  echo "$requires"
  for role in dev lib dep tool; do
    declare -n names="$role"
    for p in "${names[@]}"; do
      f=$(deb_of "$p")
      printf '%s %s %s %s %s\n' "$role" "$p" "$(dpkg-deb -f "$f" Version)" "$(sha256sum < "$f" | cut -d' ' -f1)" \
        "$(basename "$f")"
    done
    unset -n names
  done
} > "$out/MANIFEST"
echo "[deps_bundle] ${#all[@]} packages, $(du -sh "$out" | cut -f1); ${requires#\# }; dependencies complete"
echo "[deps_bundle] copy $out to the GPU node and run there: scripts/gpu_check.sh --deps DIR"
