#!/bin/sh
# Vendors axe-core (the accessibility checker the browser tests inject) into tests/e2e/vendor/.
# A test-only asset: never served by the site. Pinned by version and by the registry's integrity
# hash, so a changed tarball fails here instead of changing what the tests check.
# Usage: sh tools/vendor_axe.sh   (needs npm and the registry; run again only to upgrade on purpose)
set -eu
VERSION=4.14.1
INTEGRITY="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/tests/e2e/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "axe-core@$VERSION" >/dev/null
TARBALL="axe-core-$VERSION.tgz"
GOT="sha512-$(openssl dgst -sha512 -binary "$TARBALL" | base64 -w0)"
if [ "$GOT" != "$INTEGRITY" ]; then
    echo "axe-core $VERSION: integrity mismatch ($GOT)" >&2
    exit 1
fi
tar -xzf "$TARBALL"
mkdir -p "$DEST"
cp package/axe.min.js "$DEST/axe.min.js"
cp package/LICENSE "$DEST/axe-core.LICENSE"
printf 'axe-core %s\n%s\n' "$VERSION" "$INTEGRITY" > "$DEST/axe-core.VERSION"
echo "axe-core $VERSION vendored into $DEST"
