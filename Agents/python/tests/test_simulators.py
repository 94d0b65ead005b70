"""Two real third-party simulators, wrapped and searched end to end with small budgets: SCALE-Sim 3.0.0 as
a command environment, ZigZag 3.9.1 hosted in Python. `make test` installs both (pinned)."""

import json
import os
import select
import sqlite3
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT, gym

SCALESIM = ROOT / "Environments" / "External" / "SCALESim" / "scalesim.yaml"


def trials(database):
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT status, design, metrics, error FROM trials ORDER BY experiment_id, number").fetchall()
    return [(status, json.loads(design), json.loads(metrics), error) for status, design, metrics, error in rows]


def test_scalesim_as_a_command_environment(tmp_path):
    if not (ROOT / ".venv" / "scalesim" / "bin" / "python").exists():
        pytest.fail("SCALE-Sim's Python environment is missing: run `make scalesim` (make test does)")
    database = tmp_path / "scalesim.sqlite"
    gym("run", "--env", f"Command:{SCALESIM}", "--workload", "small", "--agent", "bayesian", "--budget", "4", "--seed", "1",
        "--db", database)
    rows = trials(database)
    assert len(rows) == 4
    ok = [(design, metrics) for status, design, metrics, _ in rows if status == "ok"]
    assert ok, rows
    for design, metrics in ok:
        # The small topology: a 14×14×32 map, 3×3 filters, 32 of them. Every filter word (3·3·32·32 = 9216)
        # and every input word (14·14·32 = 6272) comes from DRAM at least once.
        assert metrics["dram_filter_reads"] >= 9216
        assert metrics["dram_ifmap_reads"] >= 6272
        # Cycles with the first prefetch include those after it; stalls are part of those.
        assert metrics["cycles"] >= metrics["compute_cycles"] >= metrics["stall_cycles"] >= 0
        assert 0 < metrics["utilization"] <= 100 and 0 < metrics["mapping_efficiency"] <= 100
        assert design["ifmap_sram_kb"] + design["filter_sram_kb"] + design["ofmap_sram_kb"] <= 1024
    for status, design, _, error in rows:
        if status == "infeasible":
            assert design["ifmap_sram_kb"] + design["filter_sram_kb"] + design["ofmap_sram_kb"] > 1024
            assert "on-chip-memory" in error
    described = json.loads(gym("describe", f"Command:{SCALESIM}", "--json").stdout)
    assert described["revision"].startswith("SCALESim-v1@")


def test_scalesim_fails_clearly_without_scalesim(tmp_path):
    # A Python without SCALE-Sim: the evaluation fails and says what to do; gym exits 2.
    empty = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(empty)], check=True)
    evaluated = gym("evaluate", f"Command:{SCALESIM}", "--workload", "small", "--option", f"python={empty}/bin/python", check=False)
    assert evaluated.returncode == 2, evaluated.stderr
    assert "make scalesim" in json.loads(evaluated.stdout)["message"]


@pytest.fixture(scope="module")
def zigzag_host():
    """examples/zigzag_environment.py serving ZigZag-v0 on a free loopback port."""
    process = subprocess.Popen([sys.executable, str(EXAMPLES / "zigzag_environment.py"), "--bind", "tcp://127.0.0.1:*"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=dict(os.environ, PYTHONPATH=str(ROOT / "Agents" / "python")))
    ready, _, _ = select.select([process.stdout], [], [], 120)
    line = process.stdout.readline() if ready else ""
    assert " on tcp://" in line, f"the ZigZag host did not start: {line!r}"
    yield line.split(" on ")[1].split(" ")[0]
    process.terminate()
    process.wait(timeout=20)


def test_zigzag_hosted_in_python_is_searched_and_logged(zigzag_host, tmp_path):
    database = tmp_path / "zigzag.sqlite"
    gym("run", "--remote", zigzag_host, "--env", "ZigZag-v0", "--workload", "small", "--agent", "bayesian", "--budget", "8",
        "--db", database)
    rows = trials(database)
    assert [status for status, *_ in rows] == ["ok"] * 8
    for _, design, metrics, _ in rows:
        # The small layer has 64·64·8·8 = 262,144 MACs: no array of rows × cols MACs finishes in fewer
        # than 262,144 / (rows · cols) cycles.
        assert metrics["latency"] >= 262_144 / (design["rows"] * design["cols"])
        assert 0 < metrics["utilization"] <= 1
        assert metrics["energy"] > metrics["memory_energy"] > 0
    # CACTI's area grows with the buffer's capacity (at one port width).
    areas = {}
    for _, design, metrics, _ in rows:
        areas.setdefault(design["buffer_bandwidth"], {})[design["buffer_kb"]] = metrics["buffer_area"]
    for by_size in areas.values():
        sizes = sorted(by_size)
        assert [by_size[size] for size in sizes] == sorted(by_size[size] for size in sizes)


def test_zigzag_host_passes_the_checks_over_the_wire(zigzag_host):
    checked = gym("check", "--remote", zigzag_host, "--workload", "small", "--samples", "2")
    assert checked.stdout.startswith("ok    ZigZag-v0"), checked.stdout
