"""DesignGym's libraries used from a package of one's own: Examples/CustomGym, copied outside the tree
with its dependency pointed at this checkout, builds its own `gym` (custom-gym) with one environment
added, and runs it. This is what SwiftPM refuses when a product sets unsafe flags."""

import json
import pathlib
import shutil
import sqlite3
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_a_package_of_ones_own_builds_its_gym_and_runs_its_environment(tmp_path):
    package = tmp_path / "CustomGym"
    shutil.copytree(ROOT / "Examples" / "CustomGym", package, ignore=shutil.ignore_patterns(".build"))
    manifest = package / "Package.swift"
    manifest.write_text(manifest.read_text().replace('path: "../.."', f'path: "{ROOT}"'))
    built = subprocess.run(["swift", "build", "--package-path", str(package), "--scratch-path", str(tmp_path / "build")],
                           capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    gym = str(tmp_path / "build" / "debug" / "custom-gym")

    listed = subprocess.run([gym, "list"], capture_output=True, text=True, check=True).stdout
    assert "Beam-v1" in listed and "Branin-v0" in listed  # its own environment next to DesignGym's

    evaluated = json.loads(subprocess.run([gym, "evaluate", "Beam-v1"], capture_output=True, text=True, check=True).stdout)
    # The default beam: steel, 100 mm × 200 mm, 2 m, 10 kN at the tip.
    # mass = 7850 · 0.1 · 0.2 · 2 = 314 kg; I = 0.1 · 0.2³ / 12 = 6.667e-5 m⁴;
    # deflection = 1e4 · 2³ / (3 · 200e9 · 6.667e-5) = 2.0 mm; stress = 6 · 1e4 · 2 / (0.1 · 0.2²) = 30 MPa.
    assert abs(evaluated["metrics"]["mass"] - 314) < 1e-9
    assert abs(evaluated["metrics"]["deflection"] - 2.0) < 1e-9
    assert abs(evaluated["metrics"]["stress"] - 30) < 1e-9

    database = tmp_path / "beam.sqlite"
    subprocess.run([gym, "run", "--env", "Beam-v1", "--agent", "bayesian", "--budget", "8", "--db", str(database)],
                   capture_output=True, text=True, check=True)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM trials WHERE status = 'ok'").fetchone()[0] == 8

    checked = subprocess.run([gym, "check", "Beam-v1", "--samples", "6"], capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout.startswith("ok    Beam-v1"), checked.stdout
