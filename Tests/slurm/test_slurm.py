"""docs/SCALE_OUT.md's Slurm path, for real: a one-node Slurm cluster (Debian's slurm-wlm and munge, started
by hand on loopback, as a container without systemd needs), deploy/slurm/workers.sbatch submitted as the
document says, and a `gym sweep --remote` through a `gym broker` that those array tasks serve. One array
task is cancelled mid-sweep, and the broker is killed and restarted mid-sweep: the trials must equal a
local run's, with nothing failed, lost or duplicated. Every daemon started here is stopped afterwards."""

import importlib.util
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SBATCH_SCRIPT = ROOT / "deploy" / "slurm" / "workers.sbatch"
TASKS = 3

# Two agents, two seeds, twelve evaluations each: 48 evaluations of 0.4 s, so a sweep on three workers
# takes several seconds, long enough to cancel a task and restart the broker while it runs.
SWEEP = """
name: slurm
budget: 12
seeds: 2
environments: [{id: Branin-v0, options: {delay: 0.4}}]
agents: [{id: random}, {id: genetic}]
"""

_client_tests = importlib.util.spec_from_file_location("client_tests_conftest", ROOT / "Agents" / "python" / "tests" / "conftest.py")
_client_conftest = importlib.util.module_from_spec(_client_tests)
_client_tests.loader.exec_module(_client_conftest)
gym_binary = _client_conftest.gym_binary


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout, what):
    """Polls `condition` until it returns something true; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


class Cluster:
    """munged, slurmctld and slurmd in a folder of their own, on free loopback ports."""

    def __init__(self, folder):
        self.folder = folder
        self.socket = folder / "munge" / "socket"
        self.conf = folder / "slurm.conf"
        self.environment = {**os.environ, "SLURM_CONF": str(self.conf)}

    def start(self):
        folder = self.folder
        for tool in ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo"]:
            assert shutil.which(tool) or os.path.exists(f"/usr/sbin/{tool}"), \
                f"no {tool}: `make test` installs Debian's slurm-wlm and munge (make setup-test)"
        self.munge = folder / "munge"
        self.munge.mkdir(mode=0o711, parents=True)
        key = self.munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        subprocess.run(["munged", "--force", f"--socket={self.socket}", f"--key-file={key}", f"--log-file={self.munge / 'log'}",
                        f"--pid-file={self.munge / 'pid'}", f"--seed-file={self.munge / 'seed'}"], check=True, timeout=30)
        host = socket.gethostname().split(".")[0]
        for name in ["state", "spool"]:
            (folder / name).mkdir()
        self.conf.write_text("\n".join([
            "ClusterName=designgym-test",
            f"SlurmctldHost={host}(127.0.0.1)",
            f"SlurmctldPort={free_port()}",
            f"SlurmdPort={free_port()}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.socket}",
            f"StateSaveLocation={folder / 'state'}",
            f"SlurmdSpoolDir={folder / 'spool'}",
            f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
            f"SlurmdPidFile={folder / 'slurmd.pid'}",
            f"SlurmctldLogFile={folder / 'slurmctld.log'}",
            f"SlurmdLogFile={folder / 'slurmd.log'}",
            # No cgroups and no accounting daemon: a container has neither.
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "MpiDefault=none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "ReturnToService=2",
            # The node as declared here, whatever the machine has: four one-core workers on any runner.
            "SlurmdParameters=config_overrides",
            f"NodeName={host} NodeAddr=127.0.0.1 CPUs=4 RealMemory=8192 State=UNKNOWN",
            "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
        ]) + "\n")
        self.run("slurmctld", "-f", self.conf)
        self.run("slurmd", "-f", self.conf)
        wait_for(lambda: self.run("sinfo", "-h", "-o", "%t", check=False).stdout.strip() == "idle", 60, "the Slurm node to be idle")

    def run(self, *arguments, check=True, cwd=None):
        completed = subprocess.run([str(a) for a in arguments], capture_output=True, text=True, timeout=60, env=self.environment, cwd=cwd)
        if check:
            assert completed.returncode == 0, f"{' '.join(map(str, arguments))}: {completed.stdout}{completed.stderr}"
        return completed

    def tasks(self, job):
        """{array task id: state} of a job array's tasks still known to squeue."""
        listed = self.run("squeue", "-h", "-r", "-j", job, "-o", "%K %t", check=False).stdout.split("\n")
        return dict(line.split() for line in listed if len(line.split()) == 2)

    def stop(self):
        if self.conf.exists():
            self.run("scancel", "--full", "--user", "root", check=False)
        for pid_file in ["slurmd.pid", "slurmctld.pid"]:
            path = self.folder / pid_file
            if path.exists():
                try:
                    pid = int(path.read_text().strip())
                    os.kill(pid, signal.SIGTERM)
                    wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 30, f"{pid_file[:-4]} to stop")
                except (ValueError, ProcessLookupError):
                    pass
        subprocess.run(["munged", "--stop", f"--socket={self.socket}"], capture_output=True, timeout=30)


@pytest.fixture
def cluster(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("slurmd runs as root: run this test as root (as CI and containers do)")
    # Its own short folder: munge's socket path must fit a Unix socket address.
    started = Cluster(pathlib.Path(tempfile.mkdtemp(prefix="gym-slurm-")))
    try:
        started.start()
        yield started
    finally:
        started.stop()
        shutil.rmtree(started.folder, ignore_errors=True)


class Broker:
    """`gym broker` on fixed loopback ports, so a restarted one is found where the last one was."""

    def __init__(self, folder, client_port, workers_port, generation):
        self.endpoint = f"tcp://127.0.0.1:{client_port}"
        self.workers = f"tcp://127.0.0.1:{workers_port}"
        self.log = open(folder / f"broker-{generation}.log", "w")
        self.process = subprocess.Popen([gym_binary(), "broker", "--env", "Branin-v0", "--bind", self.endpoint, "--workers-bind", self.workers],
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        assert " on tcp://" in line, f"unexpected first line from gym broker: {line!r}"

    def workers_connected(self):
        status = subprocess.run([gym_binary(), "broker", "status", self.endpoint, "--json"], capture_output=True, text=True, timeout=30)
        return len(json.loads(status.stdout)["pool"]["workers"]) if status.returncode == 0 else 0

    def stop(self, kill=False):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(timeout=20)
        self.log.close()


def trials(database):
    """Every trial as (agent, seed, trial, status, parameters and metrics): what a run found, not where or when."""
    exported = subprocess.run([gym_binary(), "export", "--format", "jsonl", "--db", database], capture_output=True, text=True, timeout=60, check=True)
    rows = [json.loads(line) for line in exported.stdout.splitlines() if line.strip()]
    ignored = {"experiment", "wall_time", "cached", "worker", "error"}
    return sorted(tuple(sorted((key, json.dumps(value)) for key, value in row.items() if key not in ignored)) for row in rows)


def sweep(sweep_file, database, *arguments):
    return subprocess.Popen([gym_binary(), "sweep", sweep_file, "--jobs", "4", "--db", database, *arguments],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_the_documented_slurm_path_equals_a_local_run_through_a_cancelled_task_and_a_broker_restart(cluster, tmp_path):
    sweep_file = tmp_path / "slurm.yaml"
    sweep_file.write_text(SWEEP)
    local = tmp_path / "local.sqlite"
    completed = subprocess.run([gym_binary(), "sweep", sweep_file, "--jobs", "4", "--db", local], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    expected = trials(local)
    assert len(expected) == 2 * 2 * 12 and all(("status", json.dumps("ok")) in row for row in expected)

    client_port, workers_port = free_port(), free_port()
    broker = Broker(tmp_path, client_port, workers_port, 1)
    try:
        # As docs/SCALE_OUT.md says: the broker's workers endpoint and the gym binary by absolute path.
        submitted = cluster.run("sbatch", "--parsable", f"--array=1-{TASKS}", f"--export=ALL,BROKER={broker.workers},GYM={gym_binary()}",
                                SBATCH_SCRIPT, cwd=tmp_path).stdout.strip()
        job = submitted.split(";")[0]
        wait_for(lambda: broker.workers_connected() == TASKS, 120, f"{TASKS} Slurm workers to connect")
        logs = sorted(tmp_path.glob(f"designgym-worker-{job}_*.log"))
        assert len(logs) == TASKS and all("connected to" in log.read_text() for log in logs), [log.read_text() for log in logs]

        # One array task cancelled mid-sweep: its worker hands in its evaluation and leaves.
        remote = tmp_path / "remote.sqlite"
        running = sweep(sweep_file, remote, "--remote", broker.endpoint, "--remote-timeout", "60")
        wait_for(lambda: remote.exists() and len(trials(remote)) >= 8, 120, "the remote sweep's first trials")
        assert running.poll() is None and len(trials(remote)) < len(expected), "the sweep ended before the cancel"
        cluster.run("scancel", f"{job}_2")
        wait_for(lambda: "2" not in cluster.tasks(job), 60, "the cancelled array task to end")
        output, _ = running.communicate(timeout=300)
        assert running.returncode == 0, output
        assert ", 0 failed" in output and "trial(s) failed" not in output, output
        assert trials(remote) == expected
        assert broker.workers_connected() == TASKS - 1
        cancelled = (tmp_path / f"designgym-worker-{job}_2.log").read_text()
        assert "stopping after the evaluation it is running" in cancelled, cancelled

        # The broker killed mid-sweep and restarted on the same endpoints: the workers join the new one and
        # the run re-sends what was in flight; no transport fault is recorded as a result.
        restarted = tmp_path / "restarted.sqlite"
        running = sweep(sweep_file, restarted, "--remote", broker.endpoint, "--remote-timeout", "60")
        wait_for(lambda: restarted.exists() and len(trials(restarted)) >= 8, 120, "the second remote sweep's first trials")
        assert running.poll() is None and len(trials(restarted)) < len(expected), "the sweep ended before the broker was killed"
        broker.stop(kill=True)
        time.sleep(1)
        broker = Broker(tmp_path, client_port, workers_port, 2)
        output, _ = running.communicate(timeout=300)
        assert running.returncode == 0, output
        assert ", 0 failed" in output and "trial(s) failed" not in output, output
        # Equal to the local run, whose trials are all `ok`: nothing failed.
        assert trials(restarted) == expected
    finally:
        broker.stop()
