"""Prints the Python buildpack's metadata fragment: language, languageVersion and the app's direct
requirements (requirements.txt names, else Pipfile [packages] — or the whole "default" of a Pipfile.lock without
its Pipfile —, else pyproject.toml [project].dependencies, else none) with installed versions.

usage: python3 metadata.py BUILD_DIR SITE_PACKAGES PYTHON_VERSION
"""
import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def direct_requirements(build: Path) -> list[str]:
    req = build / "requirements.txt"
    if req.exists():
        lines = req.read_text().splitlines()
    elif (build / "Pipfile.lock").exists():
        try:
            return list(tomllib.loads((build / "Pipfile").read_text()).get("packages", {}))
        except (OSError, tomllib.TOMLDecodeError):
            # No Pipfile (or one pipenv would not read either): every locked package counts as direct.
            return list(json.loads((build / "Pipfile.lock").read_text()).get("default", {}))
    elif (build / "pyproject.toml").exists():
        project = tomllib.loads((build / "pyproject.toml").read_text()).get("project", {})
        lines = project.get("dependencies", [])
    else:
        return []  # a standard-library app (.py files and a Procfile running python)
    names = []
    for line in lines:
        line = line.split("#", 1)[0]
        match = NAME.match(line)
        if match and not line.lstrip().startswith("-"):
            names.append(match.group(1))
    return names


def main(build: str, site: str, version: str) -> None:
    installed = {
        re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version
        for d in metadata.distributions(path=[site])
    }
    deps = {}
    for name in direct_requirements(Path(build)):
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in installed:
            deps[name] = installed[key]
    print(json.dumps({"language": "python", "languageVersion": version, "dependencies": deps}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
