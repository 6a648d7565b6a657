"""The Python buildpack's default web process, from the app's files when it has no Procfile: a Django project
(manage.py and <project>/wsgi.py) → gunicorn <project>.wsgi; else app.py, main.py or wsgi.py (in that order)
with a top-level WSGI `application` or `app` → gunicorn <module>:<name>; both only with gunicorn installed.
App code is parsed (ast), never imported or run.

usage: python3 conventions.py json|release|log BUILD_DIR SITE_PACKAGES
  json     {"web": command or null, "level": "info"|"warn", "message": sentence}
  release  bin/release's YAML (default_process_types)
  log      "info <sentence>" or "warn <sentence>": what the build log says
"""
import ast
import json
import re
import sys
from importlib import metadata
from pathlib import Path

BIND = "--bind 0.0.0.0:$PORT"
MODULES = ("app", "main", "wsgi")
NAMES = ("application", "app")  # gunicorn's own default name first
ASGI_FRAMEWORKS = ("fastapi", "starlette", "quart", "sanic", "litestar", "aiohttp")
SETTINGS = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([A-Za-z_][\w.]*)['"]""")
PROCFILE_HINT = "add a Procfile at the app's root, e.g. \"web: gunicorn app:app --bind 0.0.0.0:$PORT\""


def installed(site: Path, name: str) -> bool:
    return any(
        re.sub(r"[-_.]+", "-", d.metadata["Name"] or "").lower() == name for d in metadata.distributions(path=[str(site)])
    )


def django_project(build: Path) -> tuple[str | None, str]:
    """The Django project whose wsgi.py serves the app: the package of manage.py's DJANGO_SETTINGS_MODULE, else
    the only top-level folder with a wsgi.py. Returns (project, why not) — project None with a reason."""
    try:
        manage = (build / "manage.py").read_text(errors="replace")
    except OSError:
        return None, "no manage.py"
    match = SETTINGS.search(manage)
    if match:
        project = match.group(1).split(".")[0]
        if (build / project / "wsgi.py").is_file():
            return project, ""
    found = sorted(p.parent.name for p in build.glob("*/wsgi.py") if p.parent.name.isidentifier())
    if len(found) == 1:
        return found[0], ""
    if found:
        return None, f"manage.py, but several <project>/wsgi.py ({', '.join(found)}) and its DJANGO_SETTINGS_MODULE names none"
    return None, "manage.py, but no <project>/wsgi.py"


def wsgi_name(source: str) -> tuple[str | None, str | None]:
    """The top-level WSGI callable's name a module defines (assignment, def or from-import), and the ASGI framework it
    imports if any (gunicorn cannot serve those as WSGI). Raises SyntaxError for a module that does not parse."""
    tree = ast.parse(source)
    defined: set[str] = set()
    asgi = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            roots = [(node.module or "").split(".")[0]]
        else:
            roots = []
        asgi = asgi or next((r for r in roots if r in ASGI_FRAMEWORKS), None)
    for node in tree.body:
        if isinstance(node, ast.Assign):
            defined.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            defined.add(node.target.id)
        elif isinstance(node, ast.FunctionDef):
            defined.add(node.name)
        elif isinstance(node, ast.ImportFrom):  # "from app import app" in wsgi.py; a plain "import x" is a module
            defined.update(a.asname or a.name for a in node.names)
    return next((n for n in NAMES if n in defined), None), asgi


def choose(build: Path, site: Path) -> dict:
    """The default web process and the sentence the build log shows about it."""
    gunicorn = installed(site, "gunicorn")
    project, django_why = django_project(build)
    if project:
        where = f"Django project '{project}' (manage.py, {project}/wsgi.py)"
        if gunicorn:
            return web(f"gunicorn {project}.wsgi {BIND}", f"{where} with gunicorn installed")
        return none(f"{where} found, but gunicorn is not among the installed requirements, so there is no "
                    "default web process: add gunicorn to your requirements (e.g. requirements.txt), or declare web "
                    "in a Procfile")
    notes = [django_why] if django_why != "no manage.py" else []
    for module in MODULES:
        path = build / f"{module}.py"
        if not path.is_file():
            continue
        try:
            name, asgi = wsgi_name(path.read_text(errors="replace"))
        except (SyntaxError, ValueError) as e:
            notes.append(f"{module}.py does not parse: {e}")
            continue
        if asgi:
            notes.append(f"{module}.py imports {asgi} (an ASGI app, which gunicorn cannot serve as WSGI)")
        elif name and gunicorn:
            return web(f"gunicorn {module}:{name} {BIND}", f"{module}.py defines the WSGI callable '{name}' with gunicorn installed")
        elif name:
            return none(f"{module}.py defines the WSGI callable '{name}', but gunicorn is not among the "
                        "installed requirements, so there is no default web process: add gunicorn to your "
                        "requirements (e.g. requirements.txt), or declare web in a Procfile")
        else:
            notes.append(f"{module}.py defines no top-level 'application' or 'app'")
    looked = "; ".join(notes) if notes else "no manage.py and no app.py, main.py or wsgi.py"
    return none("no web process found: there is no Procfile, and no Django project (manage.py and "
                f"<project>/wsgi.py) or WSGI 'app'/'application' in app.py, main.py or wsgi.py ({looked}); "
                f"{PROCFILE_HINT}")


def web(command: str, why: str) -> dict:
    return {"web": command, "level": "info", "message": f"no Procfile: {why}, so web is \"{command}\""}


def none(message: str) -> dict:
    return {"web": None, "level": "warn", "message": message}


def main(mode: str, build: str, site: str) -> None:
    chosen = choose(Path(build), Path(site))
    if mode == "json":
        print(json.dumps(chosen))
    elif mode == "release":
        print("---")
        print(f"default_process_types:\n  web: {chosen['web']}" if chosen["web"] else "default_process_types: {}")
    elif mode == "log":
        print(chosen["level"], chosen["message"])
    else:
        sys.exit(f"unknown mode {mode!r} (json, release or log)")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:4])
