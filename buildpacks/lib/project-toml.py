"""Prints the buildpacks a Cloud Native Buildpacks project descriptor (project.toml) chooses, one reference a line:
[[io.buildpacks.group]] (schema 0.2) or [[build.buildpacks]] (0.1), each entry's id (e.g. "heroku/nodejs") or uri.
Prints nothing when the file names none; exits 1 with one sentence when it is not TOML. Reads the file only.

usage: python3 project-toml.py PROJECT_TOML
"""
import sys
import tomllib


def groups(doc: dict) -> list:
    io = doc.get("io")
    group = io.get("buildpacks", {}).get("group") if isinstance(io, dict) and isinstance(io.get("buildpacks"), dict) else None
    if group is None and isinstance(doc.get("build"), dict):
        group = doc["build"].get("buildpacks")
    return group if isinstance(group, list) else []


def main(path: str) -> None:
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        print(f"project.toml is not valid TOML: {err}", file=sys.stderr)
        sys.exit(1)
    for entry in groups(doc):
        ref = entry.get("id") or entry.get("uri") if isinstance(entry, dict) else None
        # One reference a line for the driver: nothing that would split a line or hide in one.
        if isinstance(ref, str) and ref.strip() and not any(c in ref for c in "\r\n\t\0"):
            print(ref.strip())


if __name__ == "__main__":
    main(sys.argv[1])
