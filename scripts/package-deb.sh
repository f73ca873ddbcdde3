#!/usr/bin/env bash
# package-deb.sh [--build DIR] [--out DIR] [--fast]: the Debian package tucai_<version>_<arch>.deb.
#
# Contents: `cmake --install` of the build (bin/tucai; share/tucai/ with web pages, profiles, the
# calendar, the region data and the photo models the engine loads, CMakeLists.txt's
# TUCAI_ENGINE_MODELS) under /usr; the systemd unit (deploy/tucai.service); /etc/tucai/tucai.conf
# from deploy/tucai.conf.example, a conffile; maintainer scripts (deploy/debian/: the `tucai`
# user, /var/lib/tucai). Depends are computed from the binary by dpkg-shlibdeps.
#   --build DIR  an existing build to package (default: build/, made by scripts/build.sh release)
#   --out DIR    where the .deb goes (default: dist/); its path is the last line printed
#   --fast       gzip -1 instead of xz (tests: the models hardly compress; xz takes a minute)
# DEBFULLNAME and DEBEMAIL name the maintainer (the default address is a placeholder).
# Built with dpkg-deb alone (no debhelper), as root or not (--root-owner-group).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build OUT=$ROOT/dist COMPRESS=(-Zxz)
while [ $# -gt 0 ]; do
  case "$1" in
  --build) BUILD=$(cd "$2" && pwd); shift 2 ;;
  --out) mkdir -p "$2"; OUT=$(cd "$2" && pwd); shift 2 ;;
  --fast) COMPRESS=(-Zgzip -z1); shift ;;
  *) echo "usage: package-deb.sh [--build DIR] [--out DIR] [--fast]" >&2; exit 2 ;;
  esac
done
[ -x "$BUILD/tucai" ] || "$ROOT/scripts/build.sh" release >&2
mkdir -p "$OUT"

ARCH=$(dpkg --print-architecture)
# Whoever builds the package signs it, as dch does (DEBFULLNAME, DEBEMAIL).
MAINTAINER="${DEBFULLNAME:-Tucai packager} <${DEBEMAIL:-tucai@localhost}>"
# 0.1.0+git<commits>.<hash>: grows with every commit, so upgrades order correctly.
VERSION=0.1.0
if git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1; then
  VERSION="$VERSION+git$(git -C "$ROOT" rev-list --count HEAD).$(git -C "$ROOT" rev-parse --short=8 HEAD)"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PKG=$WORK/tucai
cmake --install "$BUILD" --prefix "$PKG/usr" >/dev/null
# The debug information stays in the build; the package gets the stripped binary.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$PKG/usr/bin/tucai"
install -D -m 0644 "$ROOT/deploy/tucai.service" "$PKG/lib/systemd/system/tucai.service"
# Shipped 0644 (nothing secret in the example); postinst makes it root:tucai 0640.
install -D -m 0644 "$ROOT/deploy/tucai.conf.example" "$PKG/etc/tucai/tucai.conf"
DOC=$PKG/usr/share/doc/tucai
install -D -m 0644 "$ROOT/deploy/debian/README.Debian" "$DOC/README.Debian"
install -m 0644 "$ROOT/deploy/debian/copyright" "$DOC/copyright"
install -D -m 0644 "$ROOT/docs/operations.md" "$DOC/operations.md"
install -D -m 0644 "$ROOT/deploy/nginx-tucai.conf" "$DOC/examples/nginx-tucai.conf"
install -m 0644 "$ROOT/deploy/prometheus/tucai-alerts.yml" "$ROOT/deploy/grafana/tucai-dashboard.json" "$DOC/examples/"
printf 'tucai (%s) unstable; urgency=medium\n\n  * Built from the source tree by scripts/package-deb.sh.\n\n -- %s  %s\n' \
  "$VERSION" "$MAINTAINER" "$(date -R -d "@$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)")" | gzip -9n > "$DOC/changelog.gz"
# The manual page is the binary's own --help (the reference that cannot drift from it).
MAN=$PKG/usr/share/man/man1/tucai.1
mkdir -p "$(dirname "$MAN")"
{
  printf '.TH TUCAI 1 "" "tucai %s" "User Commands"\n.SH NAME\ntucai \\- online collection of graduates\x27 diploma photos\n' "$VERSION"
  printf '.SH SYNOPSIS\n.B tucai\n\\fIcommand\\fR [\\fIoptions\\fR]\n.SH DESCRIPTION\n.nf\n'
  "$PKG/usr/bin/tucai" --help 2>&1 | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./'
  printf '.fi\n.SH FILES\n/etc/tucai/tucai.conf, /var/lib/tucai, /usr/share/tucai, /usr/share/doc/tucai/README.Debian\n'
} | gzip -9n > "$MAN.gz"
find "$PKG" -type d -exec chmod 0755 {} +
find "$PKG/usr/share" -type f -exec chmod 0644 {} +

# Runtime libraries of the binary, as Debian names them.
mkdir -p "$WORK/debian"
printf 'Source: tucai\n\nPackage: tucai\nArchitecture: any\n' > "$WORK/debian/control"
DEPENDS=$(cd "$WORK" && dpkg-shlibdeps -O "$PKG/usr/bin/tucai" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')

mkdir -p "$PKG/DEBIAN"
install -m 0755 "$ROOT/deploy/debian/postinst" "$ROOT/deploy/debian/postrm" "$ROOT/deploy/debian/prerm" "$PKG/DEBIAN/"
echo /etc/tucai/tucai.conf > "$PKG/DEBIAN/conffiles"
SIZE=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
cat > "$PKG/DEBIAN/control" <<CONTROL
Package: tucai
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $SIZE
Depends: adduser, ${DEPENDS}
Section: web
Priority: optional
Homepage: https://github.com/tucai/tucai
Description: online collection of graduates' diploma photos
 Tucai lets graduates prove who they are with the registry's collection
 code, pay, take a photo on the phone and see it turned into the standard
 ID photo; reviewers approve or reject it and the school exports the
 approved photos and prints. One server binary (tucai) with its web pages,
 photo profiles and vision models, SQLite by default or PostgreSQL.
CONTROL

DEB=$OUT/tucai_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group "${COMPRESS[@]}" --build "$PKG" "$DEB" >/dev/null
echo "$DEB"
