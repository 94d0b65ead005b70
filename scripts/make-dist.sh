#!/usr/bin/env bash
# Builds a relocatable DesignGym bundle (`make dist`): `gym` with the Swift runtime and Foundation linked in,
# its data bundles beside it, the data notices, and the shared libraries a compute node must have.
#
#   scripts/make-dist.sh [output folder]      (default: dist)
#
# Leaves <output>/designgym-<version>-linux-<arch>/ and the same as a .tar.gz. Unpack it anywhere (a shared
# filesystem, a container) and run bin/gym: no Swift toolchain is needed, only the libraries that
# LIBRARIES names, which Debian and Ubuntu install with the package list in PACKAGES.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
OUT="${1:-dist}"
SCRATCH=.build/dist   # its own build folder: the static build does not invalidate `swift build`'s

echo "Building gym with the Swift standard library and Foundation linked statically (a few minutes)…"
"$SWIFT" build -c release --product gym --static-swift-stdlib --scratch-path "$SCRATCH"
BIN="$("$SWIFT" build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --show-bin-path)"

VERSION="$("$BIN/gym" --version | awk '{print $NF}')"
NAME="designgym-$VERSION-linux-$(uname -m)"
BUNDLE="$OUT/$NAME"
rm -rf "$BUNDLE" "$BUNDLE.tar.gz"
mkdir -p "$BUNDLE/bin" "$BUNDLE/share/notices"
cp "$BIN/gym" "$BUNDLE/bin/"
strip "$BUNDLE/bin/gym" 2>/dev/null || true
# The data the environments read (memspecs, traces, benchmark tables, digits), found beside the binary.
cp -R "$BIN"/*.resources "$BUNDLE/bin/"
for notice in Environments/*/Resources/NOTICE.md; do
    cp "$notice" "$BUNDLE/share/notices/$(basename "$(dirname "$(dirname "$notice")")").md"
done

# The shared libraries gym itself names (its NEEDED entries) beyond the C runtime, and the Debian packages
# that provide them (which bring what those libraries need in turn).
{
    echo "# Shared libraries bin/gym loads, beyond the C runtime; \`ldd bin/gym\` shows any that are missing."
    readelf -d "$BUNDLE/bin/gym" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -Ev '^(ld-linux|libc\.so|libm\.so|libpthread|libdl\.so|librt\.so|libgcc_s|libstdc\+\+|libutil)'
} > "$BUNDLE/LIBRARIES"
if grep -q '^libswift\|^libFoundation\|^libdispatch' "$BUNDLE/LIBRARIES"; then
    echo "error: bin/gym still needs the Swift runtime's shared libraries: $(grep '^libswift\|^libFoundation\|^libdispatch' "$BUNDLE/LIBRARIES" | tr '\n' ' ')" >&2
    exit 1
fi
packages=()
while read -r library; do
    [[ "$library" == \#* || -z "$library" ]] && continue
    path="$(ldd "$BUNDLE/bin/gym" | awk -v name="$library" '$1 == name {print $3}')"
    owner="$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null || true)"
    [[ -n "$owner" ]] && packages+=("${owner%%:*}")
done < "$BUNDLE/LIBRARIES"
printf '%s\n' "${packages[@]}" | sort -u > "$BUNDLE/PACKAGES"

cat > "$BUNDLE/README" <<EOF
DesignGym $VERSION, a relocatable build of the gym command line.

  bin/gym --help
  bin/gym run --env MemoryController-v0 --agent bayesian --budget 100

bin/gym needs no Swift toolchain. It needs the shared libraries listed in LIBRARIES; on Debian or
Ubuntu: apt-get install \$(cat PACKAGES). Keep the *.resources folders beside bin/gym: they hold the
environments' data (their sources and licences are in share/notices). Set OPENBLAS_NUM_THREADS=1 when
running one worker per core.
EOF

tar -C "$OUT" -czf "$BUNDLE.tar.gz" "$NAME"
echo "Bundle: $BUNDLE ($(du -sh "$BUNDLE" | cut -f1)), archive $BUNDLE.tar.gz"
echo "Libraries it needs: $(grep -v '^#' "$BUNDLE/LIBRARIES" | tr '\n' ' ')"
echo "Debian packages: $(tr '\n' ' ' < "$BUNDLE/PACKAGES")"
