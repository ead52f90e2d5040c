#!/usr/bin/env bash
# Checks that another Swift package can depend on Vireo by URL and version, as a user's
# package would: `.package(url: …, from: …)` and `import VireoQuery`. SwiftPM refuses a
# dependency whose targets carry unsafe flags, and it finds that out when it plans the
# build, so planning (no compilation) is the check; the library's public API is compiled
# against from outside its module by VireoNet already.
# Tests the committed HEAD (a version dependency needs a git tag).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git clone -q --no-hardlinks "$repo" "$work/vireo"
git -C "$work/vireo" tag 1.0.0

mkdir -p "$work/app/Sources/App"
cat > "$work/app/Package.swift" <<MANIFEST
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "App",
    dependencies: [.package(url: "file://$work/vireo", from: "1.0.0")],
    targets: [.executableTarget(name: "App", dependencies: [.product(name: "Vireo", package: "vireo")])]
)
MANIFEST
cat > "$work/app/Sources/App/main.swift" <<'SOURCE'
import VireoQuery
SOURCE

cd "$work/app"
if ! swift build --print-manifest-job-graph > "$work/plan.txt" 2> "$work/errors.txt"; then
    cat "$work/errors.txt" >&2
    echo "FAIL: a package that depends on Vireo by version cannot be built (see above)" >&2
    exit 1
fi
echo "ok: a package can depend on Vireo by URL and version"
