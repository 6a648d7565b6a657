"""Reads a Pipfile.lock without pipenv: its "default" section as pip requirement lines, or the Python version its
_meta.requires asks for. The lock's own package sources are not used: builds install from the platform's index.

usage: python3 pipfile-lock.py requirements LOCK [--no-hashes]   pinned lines (with --hash options when present)
       python3 pipfile-lock.py python-version LOCK               the requested version, or nothing
Exits 1 with one line on stderr when the lock cannot be used.
"""
import json
import re
import sys

NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
EXTRA = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class LockError(Exception):
    pass


def load(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            lock = json.load(f)
    except (OSError, ValueError) as err:
        raise LockError(f"Pipfile.lock cannot be read: {err}") from err
    if not isinstance(lock, dict) or not isinstance(lock.get("default", {}), dict):
        raise LockError('Pipfile.lock has no "default" object (is it a pipenv lock file?)')
    return lock


def requirement(name: str, entry: dict) -> tuple[str, list[str]]:
    """One requirement (without hashes) and its hashes; raises LockError for what pip cannot install here."""
    if not NAME.match(name):
        raise LockError(f"Pipfile.lock: {name!r} is not a package name")
    if not isinstance(entry, dict):
        raise LockError(f"Pipfile.lock: the entry of {name} is not an object")
    extras = entry.get("extras") or []
    if not all(isinstance(e, str) and EXTRA.match(e) for e in extras):
        raise LockError(f"Pipfile.lock: the extras of {name} are not names")
    spec = name + (f"[{','.join(extras)}]" if extras else "")
    if "version" in entry:
        version = str(entry["version"])
        if not re.fullmatch(r"===?[A-Za-z0-9.+!*_-]+", version):
            raise LockError(f"Pipfile.lock: {name} has the version {version!r}, not a pinned ==version")
        spec += version
    elif "git" in entry:
        ref = f"@{entry['ref']}" if entry.get("ref") else ""
        spec += f" @ git+{entry['git']}{ref}"
    elif "file" in entry:
        spec += f" @ {entry['file']}"
    elif "path" in entry:
        path = str(entry["path"])
        if path.startswith("/") or ".." in path.split("/"):
            raise LockError(f"Pipfile.lock: {name} points at {path!r}, outside the app")
        spec = path if path.startswith(".") else f"./{path}"
    else:
        raise LockError(f"Pipfile.lock: {name} has no version, git, file or path")
    if entry.get("markers"):
        spec += f" ; {entry['markers']}"
    hashes = [h for h in entry.get("hashes") or [] if isinstance(h, str) and re.fullmatch(r"sha(256|384|512):[0-9a-f]+", h)]
    return spec, hashes


def requirements(lock: dict, with_hashes: bool) -> list[str]:
    entries = sorted(lock.get("default", {}).items())
    reqs = [requirement(name, entry) for name, entry in entries]
    # pip checks hashes for all requirements or none: one entry without hashes (a git or path dependency) means
    # the whole lock is installed without them.
    hashed = with_hashes and reqs and all(hashes for _, hashes in reqs)
    return [spec + "".join(f" --hash={h}" for h in hashes) if hashed else spec for spec, hashes in reqs]


def python_version(lock: dict) -> str:
    requires = (lock.get("_meta") or {}).get("requires") or {}
    return str(requires.get("python_full_version") or requires.get("python_version") or "")


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] not in ("requirements", "python-version"):
        raise LockError("usage: pipfile-lock.py requirements|python-version LOCK [--no-hashes]")
    lock = load(argv[1])
    if argv[0] == "python-version":
        print(python_version(lock))
    else:
        print("\n".join(requirements(lock, "--no-hashes" not in argv[2:])))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except LockError as err:
        print(err, file=sys.stderr)
        sys.exit(1)
