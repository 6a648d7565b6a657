# Buildpack selection: BUILDPACK_URL config var, else the app's .buildpacks file, else the shipped buildpacks a CNB
# project.toml's group names (others, such as heroku/procfile or URLs, are skipped with a warning: the control plane
# fetches the URLs of .buildpacks alone), else detection in the order of buildpacks/order (first match wins). Prints
# one buildpack directory a line; detection has no side effects. Sourced by bin/build, which defines $root.
# Buildpack URLs (tarballs, git repositories) are fetched by the control plane before the build, mounted read-only,
# and listed in the file $YB_BUILDPACK_MAP: "URL<TAB>directory" a line. Nothing is downloaded here.

# The directory the control plane fetched URL $1 into (column 1 → 2 of the map), or the URL of directory $1 (2 → 1).
fetched_lookup() {
  [ -n "${YB_BUILDPACK_MAP:-}" ] && [ -f "$YB_BUILDPACK_MAP" ] || return 0
  awk -F'\t' -v key="$1" -v from="$2" -v to="$3" '$from == key { print $to; exit }' "$YB_BUILDPACK_MAP"
}

# Name of a buildpack directory as shown to users: the shipped name, the URL of a fetched one, or the path of a local one.
buildpack_name() {
  local url
  url=$(fetched_lookup "$1" 2 1)
  case "$1" in
    "$root"/*) printf '%s\n' "${1#"$root"/}" ;;
    *) printf '%s\n' "${url:-$1}" ;;
  esac
}

# Maps one buildpack reference (shipped name, heroku/<name>, a fetched URL, or local absolute path) to its directory.
resolve_buildpack() {
  local ref=$1 name dir
  case "$ref" in
    http://* | https://*)
      dir=$(fetched_lookup "$ref" 1 2)
      if [ -n "$dir" ]; then
        printf '%s\n' "$dir"
        return
      fi
      # Heroku's official buildpack URLs map to the shipped buildpack of the same language.
      name=${ref##*/heroku-buildpack-}
      name=${name%%#*}
      name=${name%/}
      name=${name%.git}
      if [[ $ref == */heroku-buildpack-* ]] && [[ $name =~ ^[a-z0-9][a-z0-9_-]*$ ]] && [ -x "$root/$name/bin/compile" ]; then
        yb_info "using the shipped $name buildpack for $ref" >&2
        printf '%s\n' "$root/$name"
        return
      fi
      yb_fail "buildpack '$ref': a buildpack URL must name a tarball (.tgz or .tar.gz) or a git repository (.git, optionally #ref)" ;;
    git@* | git://* | ssh://*)
      yb_fail "buildpack '$ref': only http(s) buildpack URLs are fetched (a .tgz/.tar.gz tarball or a .git repository)" ;;
    /*)
      [ -x "$ref/bin/detect" ] && [ -x "$ref/bin/compile" ] && [ -x "$ref/bin/release" ] ||
        yb_fail "buildpack '$ref': not a buildpack directory (needs executable bin/detect, bin/compile, bin/release)"
      printf '%s\n' "$ref"
      return ;;
  esac
  name=${ref#heroku/}
  name=${name#heroku-buildpack-}
  [[ $name =~ ^[a-z0-9][a-z0-9_-]*$ ]] && [ -x "$root/$name/bin/compile" ] ||
    yb_fail "unknown buildpack '$ref'; shipped buildpacks: $(shipped_list)"
  printf '%s\n' "$root/$name"
}

shipped_list() { grep -v '^[[:space:]]*$' "$root/order" | paste -sd, - | sed 's/,/, /g'; }

# Prints the chosen buildpack directories; exits 1 with a message when none fits.
select_buildpacks() {
  local build=$1 env=$2 line name
  local -a matched=() looked=()
  if [ -f "$env/BUILDPACK_URL" ]; then
    read -r line < "$env/BUILDPACK_URL" || true
    [ -n "$line" ] || yb_fail "config var BUILDPACK_URL is empty"
    resolve_buildpack "$line"
    return
  fi
  if [ -f "$build/.buildpacks" ]; then
    local -a refs=()
    while IFS= read -r line || [ -n "$line" ]; do
      line=${line%$'\r'}
      # A comment starts at a "#" that begins the line or follows a space; "#" inside a URL is its git ref.
      line=${line#"${line%%[![:space:]]*}"}
      [[ $line == '#'* ]] && continue
      line=${line%%[[:space:]]#*}
      line=${line//[[:space:]]/}
      [ -n "$line" ] && refs+=("$line")
    done < "$build/.buildpacks"
    [ "${#refs[@]}" -gt 0 ] || yb_fail ".buildpacks lists no buildpack"
    for line in "${refs[@]}"; do resolve_buildpack "$line"; done
    return
  fi
  # A Cloud Native Buildpacks project.toml naming shipped buildpacks (heroku/nodejs, …) chooses them, in order.
  if [ -f "$build/project.toml" ]; then
    local listed ref
    local -a group=()
    listed=$(python3 "$root/lib/project-toml.py" "$build/project.toml") || yb_fail "project.toml could not be read (see above)"
    while IFS= read -r ref; do
      [ -n "$ref" ] || continue
      name=${ref#heroku/}
      if [[ $name =~ ^[a-z0-9][a-z0-9_-]*$ ]] && [ -x "$root/$name/bin/compile" ]; then
        group+=("$name")
      else
        yb_warn "project.toml names the buildpack '$ref', which is not one shipped here: skipped" >&2
      fi
    done <<< "$listed"
    if [ "${#group[@]}" -gt 0 ]; then
      yb_info "buildpacks chosen by project.toml: ${group[*]}" >&2
      printf "$root/%s\n" "${group[@]}"
      return
    fi
  fi
  while IFS= read -r name; do
    [ -n "$name" ] || continue
    looked+=("$(cat "$root/$name/looks-for" 2>/dev/null || echo "?") ($name)")
    if "$root/$name/bin/detect" "$build" > /dev/null 2>&1; then matched+=("$name"); fi
  done < "$root/order"
  if [ "${#matched[@]}" -eq 0 ]; then
    local text=${looked[0]:-nothing} item
    for item in "${looked[@]:1}"; do text+=", $item"; done
    yb_fail "no buildpack matched: looked for $text" \
      "set one explicitly with the BUILDPACK_URL config var or a .buildpacks file"
  fi
  if [ "${#matched[@]}" -gt 1 ]; then
    yb_warn "several buildpacks match this app: using ${matched[0]}, not ${matched[*]:1}; choose with BUILDPACK_URL or .buildpacks" >&2
  fi
  printf '%s\n' "$root/${matched[0]}"
}
