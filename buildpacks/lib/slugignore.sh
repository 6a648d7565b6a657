# .slugignore (Heroku semantics): removes the listed paths from the build directory before any compile.
# Patterns as in .gitignore without negation: "#" comments, blank lines skipped; a pattern with a "/" other
# than a trailing one is anchored at the app root; otherwise it matches a name at any depth; a trailing
# "/" matches directories only. Nothing outside the build directory is ever removed. Sourced.

apply_slugignore() {
  local build=$1 line pattern removed=0 path
  local -a match kind
  [ -f "$build/.slugignore" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    line=${line#"${line%%[![:space:]]*}"}
    line=${line%"${line##*[![:space:]]}"}
    case "$line" in
      '' | '#'*) continue ;;
      '!'*) yb_warn ".slugignore: negated pattern '$line' is not supported, ignored"; continue ;;
    esac
    case "/$line/" in
      */../* | */./*) yb_warn ".slugignore: pattern '$line' leaves the app directory, ignored"; continue ;;
    esac
    kind=()
    pattern=$line
    if [ "${pattern%/}" != "$pattern" ]; then kind=(-type d); pattern=${pattern%/}; fi
    if [[ $pattern == */* ]]; then
      match=(-path "./${pattern#/}")
    else
      match=(-name "$pattern")
    fi
    while IFS= read -r -d '' path; do
      rm -rf -- "${build:?}/${path#./}"
      removed=$((removed + 1))
    done < <(cd "$build" && find . -mindepth 1 "${match[@]}" ${kind[@]+"${kind[@]}"} -print0 -prune)
  done < "$build/.slugignore"
  yb_topic "Applied .slugignore: removed $removed path(s)"
}
