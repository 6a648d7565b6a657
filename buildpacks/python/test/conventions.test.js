'use strict';
// Unit tests of the Python buildpack's default web process (lib/conventions.py, bin/release) and of the Django
// collectstatic decision (lib/django-static.py): app folders and installed packages are faked on disk; no pip,
// no Django, no Docker. Issue #3: "default process from Procfile or Django/gunicorn conventions".
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const { appDir, writeFiles } = require('../../test/app-dir.js');

const bp = path.resolve(__dirname, '..');
// An app folder with its installed packages where bin/release looks for them (.heroku/python/.../dist-packages).
const SITE = '.heroku/python/lib/python3.11/dist-packages';
const app = (files, packages = []) => {
  const dir = appDir('yb-python-conv-', files);
  for (const name of packages) {
    writeFiles(dir, { [`${SITE}/${name}-1.0.dist-info/METADATA`]: `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\n` });
  }
  return dir;
};
const choose = (dir) => {
  const r = spawnSync('python3', [`${bp}/lib/conventions.py`, 'json', dir, path.join(dir, SITE)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};

const MANAGE = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n';
const FLASK = 'from flask import Flask\n\napp = Flask(__name__)\n';

test('a Django project with gunicorn gets web: gunicorn <project>.wsgi bound to $PORT', () => {
  const c = choose(app({ 'manage.py': MANAGE, 'mysite/wsgi.py': 'application = None\n', 'mysite/settings.py': '' }, ['gunicorn', 'Django']));
  assert.equal(c.web, 'gunicorn mysite.wsgi --bind 0.0.0.0:$PORT');
  assert.equal(c.level, 'info');
  assert.match(c.message, /Django project 'mysite'/);
});

test("the Django project is manage.py's settings package, else the only folder with a wsgi.py", () => {
  const files = { 'manage.py': MANAGE, 'mysite/wsgi.py': '', 'other/wsgi.py': '' };
  assert.equal(choose(app(files, ['gunicorn'])).web, 'gunicorn mysite.wsgi --bind 0.0.0.0:$PORT');
  const noSettings = { 'manage.py': 'print("custom")\n', 'proj/wsgi.py': '' };
  assert.equal(choose(app(noSettings, ['gunicorn'])).web, 'gunicorn proj.wsgi --bind 0.0.0.0:$PORT');
  const ambiguous = choose(app({ ...noSettings, 'second/wsgi.py': '' }, ['gunicorn']));
  assert.equal(ambiguous.web, null);
  assert.match(ambiguous.message, /several <project>\/wsgi.py \(proj, second\)/);
  const noWsgi = choose(app({ 'manage.py': MANAGE }, ['gunicorn']));
  assert.equal(noWsgi.web, null);
  assert.match(noWsgi.message, /manage.py, but no <project>\/wsgi.py/);
});

test('Django without gunicorn: no default web, and a warning that says to add gunicorn or a Procfile', () => {
  const c = choose(app({ 'manage.py': MANAGE, 'mysite/wsgi.py': '' }, ['Django']));
  assert.equal(c.web, null);
  assert.equal(c.level, 'warn');
  assert.match(c.message, /gunicorn is not among the installed requirements/);
  assert.match(c.message, /add gunicorn to your requirements .* or declare web in a Procfile/);
});

test('app.py, main.py or wsgi.py with a WSGI app or application gets web: gunicorn <module>:<name>', () => {
  const web = (files) => choose(app(files, ['gunicorn'])).web;
  assert.equal(web({ 'app.py': FLASK }), 'gunicorn app:app --bind 0.0.0.0:$PORT');
  assert.equal(web({ 'main.py': 'def application(environ, start_response):\n    pass\n' }), 'gunicorn main:application --bind 0.0.0.0:$PORT');
  assert.equal(web({ 'wsgi.py': 'from myapp import create\napplication = create()\n' }), 'gunicorn wsgi:application --bind 0.0.0.0:$PORT');
  assert.equal(web({ 'wsgi.py': 'from app import app\n' }), 'gunicorn wsgi:app --bind 0.0.0.0:$PORT');
  assert.equal(web({ 'app.py': 'from flask import Flask\napp: Flask = Flask(__name__)\n' }), 'gunicorn app:app --bind 0.0.0.0:$PORT');
  // Both names: gunicorn's own default, application, first. Modules in the order app, main, wsgi.
  assert.equal(web({ 'app.py': `${FLASK}application = app\n` }), 'gunicorn app:application --bind 0.0.0.0:$PORT');
  assert.equal(web({ 'app.py': FLASK, 'wsgi.py': 'application = None\n' }), 'gunicorn app:app --bind 0.0.0.0:$PORT');
  // The first module without a callable is passed over for the next one.
  assert.equal(web({ 'app.py': 'import flask\n', 'main.py': FLASK }), 'gunicorn main:app --bind 0.0.0.0:$PORT');
});

test('what is not a WSGI callable gives no default: a module named app, a nested app, an ASGI framework, bad syntax', () => {
  for (const files of [
    { 'wsgi.py': 'import app\n' },
    { 'app.py': 'def make():\n    app = 1\n    return app\n' },
    { 'main.py': 'from fastapi import FastAPI\napp = FastAPI()\n' },
    { 'app.py': 'app = (\n' },
  ]) {
    const c = choose(app(files, ['gunicorn']));
    assert.equal(c.web, null, JSON.stringify(files));
    assert.equal(c.level, 'warn');
  }
  assert.match(choose(app({ 'app.py': 'app = (\n' }, ['gunicorn'])).message, /app.py does not parse: .*line 1/);
  assert.match(
    choose(app({ 'main.py': 'from fastapi import FastAPI\napp = FastAPI()\n' }, ['gunicorn'])).message,
    /main.py imports fastapi \(an ASGI app, which gunicorn cannot serve as WSGI\)/,
  );
});

test('a WSGI module without gunicorn installed warns to add gunicorn or a Procfile', () => {
  const c = choose(app({ 'app.py': FLASK }, ['flask']));
  assert.equal(c.web, null);
  assert.match(c.message, /app.py defines the WSGI callable 'app', but gunicorn is not among the installed requirements/);
});

test('nothing detected: the build log says plainly that no web process was found and how to add a Procfile', () => {
  const c = choose(app({ 'requirements.txt': 'requests\n', 'worker.py': '' }, ['gunicorn']));
  assert.equal(c.web, null);
  assert.equal(c.level, 'warn');
  assert.match(c.message, /^no web process found: there is no Procfile/);
  assert.match(c.message, /add a Procfile at the app's root, e\.g\. "web: gunicorn app:app --bind 0\.0\.0\.0:\$PORT"/);
  const log = spawnSync('python3', [`${bp}/lib/conventions.py`, 'log', app({}), '/nonexistent'], { encoding: 'utf8' });
  assert.match(log.stdout, /^warn no web process found: .*\(no manage.py and no app.py, main.py or wsgi.py\)/);
});

test('bin/release prints default_process_types with the chosen web, or an empty map', () => {
  const release = (dir) => spawnSync(`${bp}/bin/release`, [dir], { encoding: 'utf8' });
  const django = release(app({ 'manage.py': MANAGE, 'mysite/wsgi.py': '' }, ['gunicorn']));
  assert.equal(django.status, 0, django.stderr);
  assert.equal(django.stdout, '---\ndefault_process_types:\n  web: gunicorn mysite.wsgi --bind 0.0.0.0:$PORT\n');
  assert.equal(release(app({ 'requirements.txt': '' })).stdout, '---\ndefault_process_types: {}\n');
});

test('collectstatic runs only when the settings use django.contrib.staticfiles with a STATIC_ROOT', () => {
  // A fake "django" package is enough: the probe only checks that Django is installed, then reads the settings module.
  const site = appDir('yb-python-site-', { 'django/__init__.py': '' });
  const probe = (settings, env = {}) => {
    const dir = appDir('yb-python-dj-', { 'manage.py': MANAGE, 'mysite/__init__.py': '', 'mysite/settings.py': settings });
    return spawnSync('python3', [`${bp}/lib/django-static.py`], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: site, DJANGO_SETTINGS_MODULE: '', ...env },
    });
  };
  const apps = 'INSTALLED_APPS = ["django.contrib.staticfiles"]\n';
  assert.equal(probe(`${apps}STATIC_ROOT = "/app/staticfiles"\n`).stdout, 'run\n');
  assert.equal(probe('INSTALLED_APPS = ["django.contrib.staticfiles.apps.StaticFilesConfig"]\nSTATIC_ROOT = "s"\n').stdout, 'run\n');
  assert.equal(probe(apps).stdout, 'skip STATIC_ROOT is not set\n');
  assert.equal(probe('STATIC_ROOT = "s"\n').stdout, 'skip django.contrib.staticfiles is not in INSTALLED_APPS\n');
  // DJANGO_SETTINGS_MODULE from the config vars wins over manage.py's default.
  const other = appDir('yb-python-dj-', { 'manage.py': MANAGE, 'prod.py': `${apps}STATIC_ROOT = "x"\n` });
  const r = spawnSync('python3', [`${bp}/lib/django-static.py`], {
    cwd: other,
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: site, DJANGO_SETTINGS_MODULE: 'prod' },
  });
  assert.equal(r.stdout, 'run\n', r.stderr);
  // Settings that do not import fail the probe (the build then fails, naming DISABLE_COLLECTSTATIC).
  const broken = probe('raise RuntimeError("SECRET_KEY missing")\n');
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /SECRET_KEY missing/);
  const noDjango = probe(apps, { PYTHONPATH: '' });
  assert.equal(noDjango.stdout, 'skip Django is not installed\n');
});

// Runs a function of lib/django.sh in bash for an app folder (SITE_DIR holds its packages), as bin/compile does.
const djangoSh = (fn, dir, site, env = {}) =>
  spawnSync('bash', ['-c', `BP_DIR="${bp}" BUILD_DIR="$1" SITE_DIR="$2"; . "${bp}/../lib/output.sh"; . "${bp}/lib/django.sh"; ${fn}`, 'x', dir, site], {
    encoding: 'utf8',
    env: { ...process.env, DJANGO_SETTINGS_MODULE: '', ...env },
  });

test('compile: DISABLE_COLLECTSTATIC skips collectstatic; settings that fail to load fail the build naming it', () => {
  const site = appDir('yb-python-site-', { 'django/__init__.py': '' });
  const dir = appDir('yb-python-dj-', { 'manage.py': MANAGE, 'mysite/__init__.py': '', 'mysite/settings.py': 'raise RuntimeError("no SECRET_KEY")\n' });
  const skipped = djangoSh('collectstatic', dir, site, { DISABLE_COLLECTSTATIC: '1' });
  assert.equal(skipped.status, 0, skipped.stderr);
  assert.match(skipped.stdout, /skipped: DISABLE_COLLECTSTATIC is set/);
  const failed = djangoSh('collectstatic', dir, site, { DISABLE_COLLECTSTATIC: '0' });
  assert.equal(failed.status, 1);
  assert.match(failed.stdout, /RuntimeError: no SECRET_KEY/);
  assert.match(failed.stderr, /settings could not be loaded .*\n.*DISABLE_COLLECTSTATIC=1/);
  assert.equal(djangoSh('collectstatic', app({ 'app.py': FLASK }), site).stdout, '', 'no manage.py, no step');
  // Output of the settings themselves is shown, and does not hide the decision.
  const chatty = appDir('yb-python-dj-', {
    'manage.py': MANAGE,
    'mysite/__init__.py': '',
    'mysite/settings.py': 'print("loading settings")\nSTATIC_ROOT = "s"\n',
  });
  assert.equal(
    djangoSh('collectstatic', chatty, site).stdout,
    '-----> Django: collectstatic\n       loading settings\n       skipped: django.contrib.staticfiles is not in INSTALLED_APPS\n',
  );
});

test('compile: the web process step is silent with a Procfile and warns without one when nothing is found', () => {
  assert.equal(djangoSh('report_web_process', app({ Procfile: 'web: ./run\n' }), '/nonexistent').stdout, '');
  const r = djangoSh('report_web_process', app({ 'requirements.txt': '' }), '/nonexistent');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /-----> Choosing the web process\n ! {5}Warning: no web process found: there is no Procfile/);
});
