# Output helpers shared by the build driver and the shipped buildpacks: Heroku-style headings and
# indented detail lines, streamed to the user's `git push` as "remote:" lines. Sourced, never executed.

# A step heading: "-----> Installing dependencies".
yb_topic() { printf -- '-----> %s\n' "$*"; }
# A detail line under the current heading.
yb_info() { printf -- '       %s\n' "$*"; }
# A warning; stays visible in a long log.
yb_warn() { printf -- ' !     Warning: %s\n' "$*"; }
# Indents a command's output (stdin) as detail lines, line by line, without buffering.
yb_indent() { sed -u -e '/^[[:space:]]*$/d' -e 's/^/       /'; }
# Prints an error block and exits 1; the last lines of a failed build say what failed.
yb_fail() {
  printf -- ' !     %s\n' "$@" >&2
  exit 1
}
