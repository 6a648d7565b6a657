# PHP runtime for the slug: the builder's Debian PHP 8.2 CLI copied into BUILD/.heroku/php (the run image has
# no PHP). bin/php is a wrapper that finds the copied shared libraries and ini files relative to itself, so it
# works at the build path and at /app alike. Sourced by bin/compile (BP_DIR, BUILD_DIR set); install_php sets
# PHP_VERSION.

readonly PHP_BIN=/usr/bin/php8.2 PHP_ETC=/etc/php/8.2

install_php() {
  local home="$BUILD_DIR/.heroku/php" ext lib ini
  [ -x "$PHP_BIN" ] || yb_fail "the builder image has no $PHP_BIN (rebuild it: scripts/build-images.sh)"
  PHP_VERSION=$("$PHP_BIN" -r 'echo PHP_VERSION;')
  ext=$("$PHP_BIN" -r 'echo ini_get("extension_dir");')
  yb_topic "Installing PHP $PHP_VERSION"
  rm -rf "$home"
  mkdir -p "$home/bin" "$home/lib/native" "$home/lib/extensions" "$home/etc/conf.d"
  cp "$PHP_BIN" "$home/bin/php.real"
  cp "$ext"/*.so "$home/lib/extensions/"
  # Every shared library PHP and its extensions load, except glibc's own (the stack has that one).
  while IFS= read -r lib; do
    case "${lib##*/}" in libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | ld-linux*) continue ;; esac
    cp -L "$lib" "$home/lib/native/"
  done < <(ldd "$PHP_BIN" "$ext"/*.so | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
  # The CLI's php.ini, with the extension directory of the slug; the enabled extensions' ini files.
  sed -e 's|^;*[[:space:]]*extension_dir[[:space:]]*=.*$|extension_dir = "${YB_PHP_HOME}/lib/extensions"|' \
    "$PHP_ETC/cli/php.ini" > "$home/etc/php.ini"
  grep -q '^extension_dir' "$home/etc/php.ini" || printf '\nextension_dir = "${YB_PHP_HOME}/lib/extensions"\n' >> "$home/etc/php.ini"
  for ini in "$PHP_ETC/cli/conf.d"/*.ini; do cp -L "$ini" "$home/etc/conf.d/"; done
  cat > "$home/bin/php" <<'WRAPPER'
#!/bin/sh
# PHP 8.2 from the builder, with its libraries and ini files beside it (written by the PHP buildpack).
YB_PHP_HOME=$(cd "$(dirname "$0")/.." && pwd)
export YB_PHP_HOME
export PHPRC="${PHPRC:-$YB_PHP_HOME/etc/php.ini}" PHP_INI_SCAN_DIR="${PHP_INI_SCAN_DIR:-$YB_PHP_HOME/etc/conf.d}"
LD_LIBRARY_PATH="$YB_PHP_HOME/lib/native${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$YB_PHP_HOME/bin/php.real" "$@"
WRAPPER
  chmod 0755 "$home/bin/php"
  PHPRC= PHP_INI_SCAN_DIR= "$home/bin/php" -r 'exit(extension_loaded("tokenizer") ? 0 : 1);' ||
    yb_fail "the copied PHP does not load its extensions"
  yb_info "PHP $PHP_VERSION (Debian bookworm CLI, $(du -sm "$home" | cut -f1) MB) into .heroku/php"
}
