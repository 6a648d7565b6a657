"""Says whether `python manage.py collectstatic --noinput` applies to a Django app at build time, as Heroku runs
it: prints "run" when its settings list django.contrib.staticfiles and set STATIC_ROOT, else "skip <reason>".
It imports the app's settings module (app code, as collectstatic itself would), so bin/compile runs it in the app
folder with the app's packages on PYTHONPATH and its config vars in the environment; an import error exits 1.

usage (in the app folder): python3 django-static.py
"""
import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path

SETTINGS = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([A-Za-z_][\w.]*)['"]""")
STATICFILES = "django.contrib.staticfiles"


def decide(installed_apps, static_root) -> str:
    """Pure: "run" or "skip <reason>" from the two settings collectstatic depends on."""
    if not any(a == STATICFILES or str(a).startswith(STATICFILES + ".") for a in installed_apps or ()):
        return f"skip {STATICFILES} is not in INSTALLED_APPS"
    if not static_root:
        return "skip STATIC_ROOT is not set"
    return "run"


def main() -> None:
    if importlib.util.find_spec("django") is None:
        print("skip Django is not installed")
        return
    module = os.environ.get("DJANGO_SETTINGS_MODULE")
    if not module:
        match = SETTINGS.search(Path("manage.py").read_text(errors="replace"))
        if not match:
            print("skip manage.py sets no DJANGO_SETTINGS_MODULE (set it as a config var)")
            return
        module = match.group(1)
    sys.path.insert(0, os.getcwd())
    # Django's settings are its defaults (INSTALLED_APPS [], STATIC_ROOT None) overridden by the module's names.
    settings = importlib.import_module(module)
    print(decide(getattr(settings, "INSTALLED_APPS", []), getattr(settings, "STATIC_ROOT", None)))


if __name__ == "__main__":
    main()
