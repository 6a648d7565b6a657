# Django and the default web process at build time: collectstatic like Heroku, and the build log's sentence
# about which web process the app gets without a Procfile (lib/conventions.py decides; bin/release emits it).
# Sourced by bin/compile after install_dependencies; reads BP_DIR, BUILD_DIR and SITE_DIR.

# Runs the builder's Python in the app folder with the app's installed packages (the slug's Python is the same 3.11).
app_python() {
  (cd "$BUILD_DIR" && PYTHONPATH="$SITE_DIR" /usr/bin/python3 "$@")
}

# `python manage.py collectstatic --noinput` when manage.py exists and its settings use django.contrib.staticfiles
# with a STATIC_ROOT; the config var DISABLE_COLLECTSTATIC (any value but 0) skips it. A failure fails the build.
collectstatic() {
  local decision status=0
  [ -f "$BUILD_DIR/manage.py" ] || return 0
  yb_topic "Django: collectstatic"
  if [ -n "${DISABLE_COLLECTSTATIC:-}" ] && [ "$DISABLE_COLLECTSTATIC" != 0 ]; then
    yb_info "skipped: DISABLE_COLLECTSTATIC is set"
    return
  fi
  decision=$(app_python "$BP_DIR/lib/django-static.py" 2>&1) || status=$?
  if [ "$status" -ne 0 ]; then
    printf '%s\n' "$decision" | yb_indent
    yb_fail "Django's settings could not be loaded to check for collectstatic (see above)" \
      "fix them, or skip collectstatic with the config var DISABLE_COLLECTSTATIC=1"
  fi
  # The decision is the probe's last line; anything before it was printed by the app's settings on import.
  [ "$decision" = "${decision##*$'\n'}" ] || printf '%s\n' "${decision%$'\n'*}" | yb_indent
  decision=${decision##*$'\n'}
  if [ "$decision" != run ]; then
    yb_info "skipped: ${decision#skip }"
    return
  fi
  app_python manage.py collectstatic --noinput 2>&1 | yb_indent || status=$?
  [ "$status" -eq 0 ] || yb_fail "python manage.py collectstatic --noinput failed (exit status $status, see above)" \
    "fix it, or skip it with the config var DISABLE_COLLECTSTATIC=1"
}

# Says which web process the app gets: its Procfile's, or the convention lib/conventions.py finds (a warning when
# none applies, naming what to add).
report_web_process() {
  local line
  if [ -f "$BUILD_DIR/Procfile" ]; then
    return
  fi
  yb_topic "Choosing the web process"
  line=$(/usr/bin/python3 "$BP_DIR/lib/conventions.py" log "$BUILD_DIR" "$SITE_DIR")
  case "$line" in
    "info "*) yb_info "${line#info }" ;;
    *) yb_warn "${line#warn }" ;;
  esac
}
