"""deploy/: the Kubernetes manifests and the Dockerfile hold what a cluster needs — non-root containers,
CURVE optional, a broker Deployment and Service, a probe that asks the broker a real question — and the
containers' own start scripts work, run here with this checkout's gym in place of the image's."""

import os
import pathlib
import re
import shutil
import socket
import subprocess
import time

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"

import importlib.util
_client_tests = importlib.util.spec_from_file_location("client_tests_conftest", ROOT / "Agents" / "python" / "tests" / "conftest.py")
_client_conftest = importlib.util.module_from_spec(_client_tests)
_client_tests.loader.exec_module(_client_conftest)
gym_binary = _client_conftest.gym_binary


def manifests():
    documents = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        documents += [document for document in yaml.safe_load_all(path.read_text()) if document]
    return {(document["kind"], document["metadata"]["name"]): document for document in documents}


def container(deployment):
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_pod_runs_as_a_non_root_user_with_nothing_to_escalate():
    found = manifests()
    deployments = [document for (kind, _), document in found.items() if kind == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {"designgym-broker", "designgym-workers"}
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
        context = container(deployment)["securityContext"]
        assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
        assert context["capabilities"]["drop"] == ["ALL"]
        # CURVE optional: the key secret may be absent, and the start script then leaves the keys out.
        (curve,) = [volume for volume in pod["volumes"] if volume["name"] == "curve"]
        assert curve["secret"]["optional"] is True
        # A read-only root: scratch space (caches, command folders) is a volume.
        assert any(mount["mountPath"] == "/tmp" for mount in container(deployment)["volumeMounts"])
    # The image runs as the user the manifests ask for.
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "USER 10001" in dockerfile and all(container(d)["image"] == container(deployments[0])["image"] for d in deployments)


def test_the_builder_is_the_swift_release_ci_tests_with():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    builder = re.search(r"^FROM swift:([0-9.]+)-\S+ AS build", dockerfile, re.M)
    assert builder, "the Dockerfile's builder is not a swift:<version> image"
    installed = re.search(r"Swift version ([0-9.]+)", subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout)
    assert installed and builder.group(1) == installed.group(1), (builder.group(1), installed and installed.group(1))
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".build/", "Logs/", ".git/"} <= set(ignored)


def test_the_service_reaches_the_broker_and_the_workers_reach_the_service():
    found = manifests()
    broker, service = found[("Deployment", "designgym-broker")], found[("Service", "designgym-broker")]
    ports = {port["name"]: port["containerPort"] for port in container(broker)["ports"]}
    assert {port["targetPort"]: port["port"] for port in service["spec"]["ports"]} == {"clients": 5555, "workers": 5556}
    assert ports == {"clients": 5555, "workers": 5556}
    assert service["spec"]["selector"] == broker["spec"]["template"]["metadata"]["labels"]
    workers = container(found[("Deployment", "designgym-workers")])
    endpoint = next(variable["value"] for variable in workers["env"] if variable["name"] == "BROKER")
    assert endpoint == f"tcp://{service['metadata']['name']}:{ports['workers']}"


def test_the_start_scripts_and_the_probe_work_for_real(tmp_path):
    """The broker's and a worker's start scripts and the broker's probe, run with sh as the container would,
    on free loopback ports: the probe passes while the broker serves, names the worker, and fails once the
    broker is gone."""
    found = manifests()
    broker, workers = container(found[("Deployment", "designgym-broker")]), container(found[("Deployment", "designgym-workers")])
    clients, workers_port = free_port(), free_port()
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "gym").symlink_to(gym_binary())

    def local(text):
        return text.replace("0.0.0.0:5555", f"127.0.0.1:{clients}").replace("0.0.0.0:5556", f"127.0.0.1:{workers_port}") \
                   .replace("127.0.0.1:5555", f"127.0.0.1:{clients}").replace("--allow-remote", "")

    def environment(container_spec, **extra):
        variables = {variable["name"]: variable["value"] for variable in container_spec["env"] if "value" in variable}
        return {**os.environ, **variables, **extra, "PATH": f"{bin_folder}:{os.environ['PATH']}", "HOME": str(tmp_path)}

    assert broker["command"] == ["/bin/sh", "-c"] and workers["command"] == ["/bin/sh", "-c"]
    started = subprocess.Popen(["/bin/sh", "-c", local(broker["args"][0])], env=environment(broker),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    worker = None
    try:
        assert " on tcp://" in started.stdout.readline()
        probe = broker["readinessProbe"]["exec"]["command"]
        assert probe == broker["livenessProbe"]["exec"]["command"] and "broker status" in probe[-1]

        def probed():
            return subprocess.run(probe[:-1] + [local(probe[-1])], env=environment(broker), capture_output=True, text=True, timeout=30)

        assert probed().returncode == 0
        worker = subprocess.Popen(["/bin/sh", "-c", workers["args"][0]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env=environment(workers, BROKER=f"tcp://127.0.0.1:{workers_port}", POD_NAME="designgym-workers-abc12"))
        deadline = time.monotonic() + 30
        while "designgym-workers-abc12" not in probed().stdout and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "designgym-workers-abc12" in probed().stdout
    finally:
        started.terminate()
        started.wait(timeout=20)
        if worker:
            worker.terminate()
            worker.wait(timeout=20)
    # The broker gone, the probe fails: Kubernetes would restart it.
    assert probed().returncode != 0
