"""`make dist`'s bundle, unpacked elsewhere and run with the Swift toolchain and this checkout hidden (empty
folders mounted over both in a mount namespace of its own): what a compute node without Swift sees."""

import os
import pathlib
import shutil
import subprocess
import tarfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def toolchain():
    """The Swift toolchain's top folder (…/usr/bin/swift → …)."""
    swift = shutil.which(os.environ.get("SWIFT", "swift"))
    assert swift, "no swift on PATH"
    return pathlib.Path(os.path.realpath(swift)).parents[2]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([str(ROOT / "scripts" / "make-dist.sh"), str(out)], capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    archives = list(out.glob("designgym-*-linux-*.tar.gz"))
    assert len(archives) == 1, list(out.iterdir())
    unpacked = tmp_path_factory.mktemp("elsewhere")
    with tarfile.open(archives[0]) as archive:
        archive.extractall(unpacked, filter="tar")
    (folder,) = unpacked.iterdir()
    return folder


def hidden(bundle, script, tmp_path):
    """Runs `script` (sh) in a mount namespace where the toolchain and the checkout are empty folders."""
    covered = [toolchain(), ROOT]
    mounts = "; ".join(f"mount -t tmpfs none '{folder}'" for folder in covered)
    command = ["unshare", "--mount", "--propagation", "private", "sh", "-ec", f"{mounts}; cd '{tmp_path}'; {script}"]
    if os.geteuid() != 0:
        command[1:1] = ["--map-root-user"]
    environment = {"PATH": f"{bundle / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)


def test_the_bundle_needs_only_the_libraries_it_lists(bundle):
    listed = [line for line in (bundle / "LIBRARIES").read_text().splitlines() if line and not line.startswith("#")]
    assert sorted(listed) == sorted(["libopenblas.so.0", "liblapacke.so.3", "libsqlite3.so.0", "libzmq.so.5"]), listed
    packages = (bundle / "PACKAGES").read_text().split()
    assert {"libzmq5", "libsqlite3-0", "liblapacke"} <= set(packages) and any(p.startswith("libopenblas") for p in packages), packages
    linked = subprocess.run(["ldd", str(bundle / "bin" / "gym")], capture_output=True, text=True, check=True).stdout
    assert "not found" not in linked and "swift" not in linked.lower(), linked
    # Each environment's data, and where it came from.
    assert len(list((bundle / "bin").glob("*.resources"))) >= 3
    assert {"MemoryController.md", "NASBench201.md", "Supernet.md"} <= {p.name for p in (bundle / "share" / "notices").iterdir()}


def test_the_bundle_runs_with_the_toolchain_and_the_checkout_hidden(bundle, tmp_path):
    script = " && ".join([
        f"test ! -e '{toolchain() / 'usr' / 'bin' / 'swift'}'",   # hidden indeed
        "gym --version",
        "gym list",
        # Bundled data: DDR4 memspec and trace, the NAS-Bench-201 table.
        "gym evaluate MemoryController-v0",
        "gym evaluate NASBench201-v0 --workload cifar10",
        "gym run --env MemoryController-v0 --agent genetic --budget 6 --db run.sqlite --progress none",
        "gym show 1 --db run.sqlite",
    ])
    ran = hidden(bundle, script, tmp_path)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "MemoryController-v0" in ran.stdout and "read_latency_avg" in ran.stdout and "accuracy" in ran.stdout, ran.stdout[-3000:]
